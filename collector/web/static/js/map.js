// The province map: SVG outlines (equirectangular, fitted to the data's bounds) with a
// <canvas> on top for the sites, so 10,000 dots are one canvas pass, not 10,000 nodes.
// World coordinates are degrees scaled by WORLD (x east, y south); the view is
// screen = world * scale + translate, applied to the SVG group and the canvas alike.

import { STATUS_COLOURS, STATUS_ORDER } from "./api.js";

const WORLD = 100; // world units per degree
const SVG_NS = "http://www.w3.org/2000/svg";
const STATUS_RANK = Object.fromEntries(STATUS_ORDER.map((s, i) => [s, i]));
const MIN_ZOOM = 0.8;
const MAX_ZOOM = 64;
// Clusters: with more than CLUSTER_ABOVE sites on screen (10,000 zoomed out), the sites
// of each CLUSTER_CELL-pixel square (a grid fixed to the map, so panning does not
// regroup them) become one disc showing how many there are, its ring split by status
// in proportion (4 % down reads as a sliver of red, not a red map). A square holding
// one site, or every site once few are on screen (zoomed in), is drawn as its marker.
export const CLUSTER_ABOVE = 400;
const CLUSTER_CELL = 48;
const HALO = "rgba(20, 30, 45, 0.55)";

/** Province code of a GeoJSON feature: the file's 91/92 split by name (93-96). */
const PAPUA_BY_NAME = {
  "papua selatan": "93",
  "papua tengah": "94",
  "papua pegunungan": "95",
  "papua barat daya": "96",
};
export function featureCode(properties) {
  const name = String(properties.PROVINSI ?? properties.name ?? "").toLowerCase();
  return PAPUA_BY_NAME[name] ?? String(properties.KODE_PROV ?? properties.id ?? "").slice(0, 2);
}

function ringPath(ring, bounds) {
  let d = "";
  for (let i = 0; i < ring.length; i++) {
    const x = ((ring[i][0] - bounds.minLon) * WORLD).toFixed(1);
    const y = ((bounds.maxLat - ring[i][1]) * WORLD).toFixed(1);
    d += (i === 0 ? "M" : "L") + x + " " + y;
  }
  return d + "Z";
}

function polygonsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

export class ProvinceMap {
  constructor(wrap, { onSelect } = {}) {
    this.wrap = wrap;
    this.onSelect = onSelect ?? (() => {});
    this.svg = wrap.querySelector("svg");
    this.group = document.createElementNS(SVG_NS, "g");
    this.svg.append(this.group);
    this.canvas = wrap.querySelector("canvas");
    this.ctx = this.canvas.getContext("2d", { alpha: true });
    this.sites = []; // the rows to draw (already filtered)
    this.drawn = []; // [x, y, row] of the last pass, for hit tests
    this.clusters = []; // {x, y, r, n, counts, rows} of the last pass
    this.clusterAbove = CLUSTER_ABOVE;
    this.zoom = 1;
    this.tx = 0;
    this.ty = 0;
    this.baseScale = 1;
    this.width = 0;
    this.height = 0;
    this.frame = 0;
    this.afterDraw = [];
    this.paths = new Map(); // province code -> [path]
    this.bounds = null;
    this.bindInput();
    new ResizeObserver(() => this.resize()).observe(wrap);
  }

  /** Draws the provinces from a GeoJSON FeatureCollection. */
  setProvinces(geojson) {
    const b = { minLon: 180, maxLon: -180, minLat: 90, maxLat: -90 };
    for (const f of geojson.features) {
      for (const poly of polygonsOf(f.geometry)) {
        for (const [lon, lat] of poly[0]) {
          if (lon < b.minLon) b.minLon = lon;
          if (lon > b.maxLon) b.maxLon = lon;
          if (lat < b.minLat) b.minLat = lat;
          if (lat > b.maxLat) b.maxLat = lat;
        }
      }
    }
    this.bounds = b;
    const fragment = document.createDocumentFragment();
    for (const f of geojson.features) {
      const code = featureCode(f.properties ?? {});
      let d = "";
      for (const poly of polygonsOf(f.geometry)) for (const ring of poly) d += ringPath(ring, b);
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      path.setAttribute("class", "province");
      path.setAttribute("fill-rule", "evenodd");
      path.setAttribute("vector-effect", "non-scaling-stroke");
      path.dataset.code = code;
      path.dataset.name = f.properties?.PROVINSI ?? "";
      const title = document.createElementNS(SVG_NS, "title");
      title.textContent = f.properties?.PROVINSI ?? code;
      path.append(title);
      fragment.append(path);
      if (!this.paths.has(code)) this.paths.set(code, []);
      this.paths.get(code).push(path);
    }
    this.group.append(fragment);
    this.resize(true);
  }

  /** World coordinates of a lon/lat. */
  project(lon, lat) {
    return [(lon - this.bounds.minLon) * WORLD, (this.bounds.maxLat - lat) * WORLD];
  }

  get scale() {
    return this.baseScale * this.zoom;
  }

  resize(refit = false) {
    const rect = this.wrap.getBoundingClientRect();
    if (!rect.width || !rect.height || !this.bounds) return;
    const dpr = window.devicePixelRatio || 1;
    const first = this.width === 0 || refit;
    const oldCentre = first ? null : this.toWorld(this.width / 2, this.height / 2);
    this.width = rect.width;
    this.height = rect.height;
    this.canvas.width = Math.round(rect.width * dpr);
    this.canvas.height = Math.round(rect.height * dpr);
    const worldW = (this.bounds.maxLon - this.bounds.minLon) * WORLD;
    const worldH = (this.bounds.maxLat - this.bounds.minLat) * WORLD;
    this.baseScale = Math.min(rect.width / worldW, rect.height / worldH) * 0.97;
    if (first) {
      this.zoom = 1;
      this.tx = (rect.width - worldW * this.baseScale) / 2;
      this.ty = (rect.height - worldH * this.baseScale) / 2;
    } else {
      this.centreOn(oldCentre[0], oldCentre[1]);
    }
    this.applyView();
  }

  toWorld(sx, sy) {
    return [(sx - this.tx) / this.scale, (sy - this.ty) / this.scale];
  }

  centreOn(wx, wy) {
    this.tx = this.width / 2 - wx * this.scale;
    this.ty = this.height / 2 - wy * this.scale;
  }

  zoomAt(factor, sx = this.width / 2, sy = this.height / 2) {
    const next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom * factor));
    const [wx, wy] = this.toWorld(sx, sy);
    this.zoom = next;
    this.tx = sx - wx * this.scale;
    this.ty = sy - wy * this.scale;
    this.applyView();
  }

  reset() {
    this.resize(true);
  }

  /** Zooms to a province (its outline's bounding box), or back out with null. */
  focusProvince(code) {
    for (const paths of this.paths.values()) for (const p of paths) p.classList.remove("selected");
    const paths = code ? this.paths.get(code) : null;
    if (!paths) {
      this.reset();
      return;
    }
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const p of paths) {
      p.classList.add("selected");
      const box = p.getBBox();
      x0 = Math.min(x0, box.x);
      y0 = Math.min(y0, box.y);
      x1 = Math.max(x1, box.x + box.width);
      y1 = Math.max(y1, box.y + box.height);
    }
    const zoom = Math.min(this.width / (x1 - x0), this.height / (y1 - y0)) * 0.85 / this.baseScale;
    this.zoom = Math.min(MAX_ZOOM, Math.max(1, zoom));
    this.centreOn((x0 + x1) / 2, (y0 + y1) / 2);
    this.applyView();
  }

  /** Zooms to show every one of `rows` (with wx, wy), at least all of Indonesia. */
  fitRows(rows) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const r of rows) {
      x0 = Math.min(x0, r.wx);
      y0 = Math.min(y0, r.wy);
      x1 = Math.max(x1, r.wx);
      y1 = Math.max(y1, r.wy);
    }
    if (!Number.isFinite(x0)) return;
    const pad = 20; // world units: a fifth of a degree around them
    const zoom = Math.min(this.width / (x1 - x0 + 2 * pad), this.height / (y1 - y0 + 2 * pad)) * 0.9 / this.baseScale;
    this.zoom = Math.min(MAX_ZOOM / 4, Math.max(1, zoom));
    this.centreOn((x0 + x1) / 2, (y0 + y1) / 2);
    this.applyView();
  }

  applyView() {
    const s = this.scale;
    this.group.setAttribute("transform", `matrix(${s} 0 0 ${s} ${this.tx} ${this.ty})`);
    this.requestDraw();
    this.onView?.();
  }

  /** The rows to draw: objects with lat, lon, status (and code). */
  setSites(rows) {
    this.sites = rows;
    this.requestDraw();
  }

  /** Draws at the next animation frame, once however many changes come before it. */
  requestDraw(callback) {
    if (callback) this.afterDraw.push(callback);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
      const callbacks = this.afterDraw;
      this.afterDraw = [];
      for (const cb of callbacks) cb();
    });
  }

  dotRadius() {
    return Math.min(7, Math.max(3, 3 + Math.log2(this.zoom)));
  }

  /** One pass over the sites: clusters when many are on screen (see CLUSTER_ABOVE),
   * then the markers bucketed by status: a dark halo and one fill per status. */
  draw() {
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.bounds) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const s = this.scale, tx = this.tx, ty = this.ty, w = this.width, h = this.height;
    const r = this.dotRadius();
    const onScreen = []; // x, y, row
    for (const row of this.sites) {
      if (row.wx === undefined) continue;
      const x = row.wx * s + tx;
      const y = row.wy * s + ty;
      if (x < -r || y < -r || x > w + r || y > h + r) continue;
      onScreen.push(x, y, row);
    }
    this.clusters = [];
    const clustering = onScreen.length / 3 > this.clusterAbove && this.zoom < MAX_ZOOM;
    const markers = clustering ? this.cluster(onScreen) : onScreen;
    this.drawMarkers(markers, r);
    this.drawClusters();
    this.drawn = markers;
    this.canvas.dataset.mode = clustering ? "clusters" : "markers";
    this.canvas.dataset.drawn = String(markers.length / 3);
    this.canvas.dataset.clusters = String(this.clusters.length);
    this.canvas.dataset.clustered = String(this.clusters.reduce((n, c) => n + c.n, 0));
  }

  /** Groups [x, y, row, ...] by grid square: this.clusters gets the squares of two or
   * more sites; the lone sites are returned, to be drawn as markers. */
  cluster(points) {
    const cells = new Map();
    for (let i = 0; i < points.length; i += 3) {
      const key = `${Math.floor((points[i] - this.tx) / CLUSTER_CELL)},${Math.floor((points[i + 1] - this.ty) / CLUSTER_CELL)}`;
      let cell = cells.get(key);
      if (!cell) cells.set(key, (cell = []));
      cell.push(i);
    }
    const lone = [];
    for (const members of cells.values()) {
      if (members.length === 1) {
        const i = members[0];
        lone.push(points[i], points[i + 1], points[i + 2]);
        continue;
      }
      let sx = 0, sy = 0;
      const counts = Object.fromEntries(STATUS_ORDER.map((st) => [st, 0]));
      const rows = [];
      for (const i of members) {
        sx += points[i];
        sy += points[i + 1];
        const row = points[i + 2];
        counts[row.status in counts ? row.status : "silent"] += 1;
        rows.push(row);
      }
      const n = members.length;
      this.clusters.push({ x: sx / n, y: sy / n, r: Math.min(24, 9 + 2.5 * Math.log2(n)), n, counts, rows });
    }
    return lone;
  }

  drawMarkers(points, r) {
    const ctx = this.ctx;
    const buckets = STATUS_ORDER.map(() => []);
    for (let i = 0; i < points.length; i += 3) {
      const rank = STATUS_RANK[points[i + 2].status] ?? STATUS_RANK.silent;
      buckets[rank].push(points[i], points[i + 1]);
    }
    ctx.beginPath();
    for (const b of buckets) {
      for (let i = 0; i < b.length; i += 2) {
        ctx.moveTo(b[i] + r + 1, b[i + 1]);
        ctx.arc(b[i], b[i + 1], r + 1, 0, 2 * Math.PI);
      }
    }
    ctx.fillStyle = HALO;
    ctx.fill();
    STATUS_ORDER.forEach((status, rank) => {
      const b = buckets[rank];
      if (!b.length) return;
      ctx.beginPath();
      for (let i = 0; i < b.length; i += 2) {
        ctx.moveTo(b[i] + r, b[i + 1]);
        ctx.arc(b[i], b[i + 1], r, 0, 2 * Math.PI);
      }
      ctx.fillStyle = STATUS_COLOURS[status];
      ctx.fill();
    });
  }

  /** Each cluster: a ring split by status in proportion (worst first, from twelve
   * o'clock), a white disc inside with the count. */
  drawClusters() {
    const ctx = this.ctx;
    ctx.font = "bold 11px system-ui, 'DejaVu Sans', sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const c of this.clusters) {
      ctx.beginPath();
      ctx.arc(c.x, c.y, c.r + 1.5, 0, 2 * Math.PI);
      ctx.fillStyle = HALO;
      ctx.fill();
      let angle = -Math.PI / 2;
      for (const status of [...STATUS_ORDER].reverse()) {
        const share = c.counts[status] / c.n;
        if (!share) continue;
        const next = angle + share * 2 * Math.PI;
        ctx.beginPath();
        ctx.moveTo(c.x, c.y);
        ctx.arc(c.x, c.y, c.r, angle, next);
        ctx.closePath();
        ctx.fillStyle = STATUS_COLOURS[status];
        ctx.fill();
        angle = next;
      }
      ctx.beginPath();
      ctx.arc(c.x, c.y, c.r * 0.62, 0, 2 * Math.PI);
      ctx.fillStyle = "#ffffff";
      ctx.fill();
      ctx.fillStyle = "#1b2430";
      ctx.fillText(c.n > 999 ? `${Math.round(c.n / 1000)}k` : String(c.n), c.x, c.y + 0.5);
    }
  }

  /** The cluster under a point (canvas CSS pixels), or null. */
  clusterAt(sx, sy) {
    for (const c of this.clusters) {
      if ((c.x - sx) ** 2 + (c.y - sy) ** 2 <= (c.r + 2) ** 2) return c;
    }
    return null;
  }

  /** The province under a point (canvas CSS pixels): {code, name} or null. */
  provinceAt(sx, sy) {
    const [wx, wy] = this.toWorld(sx, sy);
    const point = new DOMPoint(wx, wy);
    for (const [code, paths] of this.paths) {
      for (const path of paths) {
        const box = path.pantauBox ?? (path.pantauBox = path.getBBox());
        if (wx < box.x || wy < box.y || wx > box.x + box.width || wy > box.y + box.height) continue;
        if (path.isPointInFill(point)) return { code, name: path.dataset.name || code };
      }
    }
    return null;
  }

  /** Sites under a point (canvas CSS pixels), worst status first, then nearest. */
  sitesAt(sx, sy, slack = 3) {
    const r = this.dotRadius() + slack;
    const hits = [];
    const d = this.drawn;
    for (let i = 0; i < d.length; i += 3) {
      const dx = d[i] - sx, dy = d[i + 1] - sy;
      const dist = dx * dx + dy * dy;
      if (dist <= r * r) hits.push([dist, d[i + 2]]);
    }
    hits.sort((a, b) =>
      (STATUS_RANK[b[1].status] ?? 0) - (STATUS_RANK[a[1].status] ?? 0) || a[0] - b[0]);
    return hits.map((h) => h[1]);
  }

  /** Where a site's dot is, in the page's client coordinates (for popups and tests). */
  screenPosition(row) {
    if (!row || row.wx === undefined) return null;
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: rect.left + row.wx * this.scale + this.tx,
      y: rect.top + row.wy * this.scale + this.ty,
      local: [row.wx * this.scale + this.tx, row.wy * this.scale + this.ty],
    };
  }

  /** Tells onHover the province (and cluster) under the pointer, once a frame. */
  hoverAt(e) {
    this.hoverEvent = e;
    if (this.hoverFrame) return;
    this.hoverFrame = requestAnimationFrame(() => {
      this.hoverFrame = 0;
      const ev = this.hoverEvent;
      if (!this.bounds || !this.onHover) return;
      const rect = this.canvas.getBoundingClientRect();
      const sx = ev.clientX - rect.left, sy = ev.clientY - rect.top;
      const province = this.provinceAt(sx, sy);
      this.onHover(province || this.clusterAt(sx, sy) ? { sx, sy, province, cluster: this.clusterAt(sx, sy) } : null);
    });
  }

  bindInput() {
    const c = this.canvas;
    c.tabIndex = 0;
    let down = null;
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      down = { x: e.clientX, y: e.clientY, tx: this.tx, ty: this.ty, moved: false, id: e.pointerId };
    });
    c.addEventListener("pointermove", (e) => {
      if (!down) this.hoverAt(e);
      if (!down || e.pointerId !== down.id) return;
      const dx = e.clientX - down.x, dy = e.clientY - down.y;
      if (!down.moved && Math.hypot(dx, dy) < 4) return;
      if (!down.moved) {
        down.moved = true;
        c.setPointerCapture(e.pointerId);
        this.wrap.classList.add("dragging");
      }
      this.tx = down.tx + dx;
      this.ty = down.ty + dy;
      this.applyView();
    });
    const end = (e) => {
      if (!down || e.pointerId !== down.id) return;
      const wasDrag = down.moved;
      down = null;
      this.wrap.classList.remove("dragging");
      if (wasDrag || e.type !== "pointerup") return;
      const rect = c.getBoundingClientRect();
      const sx = e.clientX - rect.left, sy = e.clientY - rect.top;
      const hits = this.sitesAt(sx, sy);
      const cluster = hits.length ? null : this.clusterAt(sx, sy);
      if (cluster) {
        this.onSelect([], sx, sy);
        this.zoomAt(3, cluster.x, cluster.y); // into the cluster: its sites spread out
        return;
      }
      this.onSelect(hits, sx, sy);
    };
    c.addEventListener("pointerleave", () => this.onHover?.(null));
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const rect = c.getBoundingClientRect();
      const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      this.zoomAt(Math.exp(-delta * 0.0015), e.clientX - rect.left, e.clientY - rect.top);
    }, { passive: false });
    c.addEventListener("keydown", (e) => {
      const step = 60;
      const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[e.key]) {
        this.tx += moves[e.key][0];
        this.ty += moves[e.key][1];
        this.applyView();
      } else if (e.key === "+" || e.key === "=") {
        this.zoomAt(1.5);
      } else if (e.key === "-" || e.key === "_") {
        this.zoomAt(1 / 1.5);
      } else if (e.key === "0") {
        this.reset();
      } else {
        return;
      }
      e.preventDefault();
    });
  }
}
