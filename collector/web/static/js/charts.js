// Time-series charts on <canvas>: a SmokePing-style latency chart and line charts.
// Each chart keeps its points, redraws at most once per animation frame, follows its
// container's size and shows the nearest point under the pointer.

import { toDate } from "./api.js";
import { ZONES, formatNumber, formatTime, registerStrings, t, wallClock, zoneOf } from "./i18n.js";

registerStrings({
  en: {
    "chart.empty": "no measurements in this period",
    "chart.no-reply": "no reply",
    "chart.median": "median {ms} ms",
    "chart.loss": "loss {percent} %",
  },
  id: {
    "chart.empty": "tidak ada pengukuran pada periode ini",
    "chart.no-reply": "tidak ada balasan",
    "chart.median": "median {ms} ms",
    "chart.loss": "paket hilang {percent} %",
  },
});

export const LOSS_COLOURS = [
  [0, "#1e9e4a", "0 %"],
  [0.05, "#1f6fe0", "≤ 5 %"],
  [0.2, "#8a2be2", "≤ 20 %"],
  [1, "#d62828", "> 20 %"],
];

export function lossColour(loss) {
  if (loss === null || loss === undefined || loss <= 0) return LOSS_COLOURS[0][1];
  for (const [limit, colour] of LOSS_COLOURS) if (loss <= limit + 1e-9) return colour;
  return LOSS_COLOURS[3][1];
}

const PAD = { left: 52, right: 12, top: 10, bottom: 24 };

function niceStep(span, target) {
  const raw = span / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function timeStep(spanMs, target) {
  const steps = [60e3, 300e3, 600e3, 1800e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3];
  const raw = spanMs / Math.max(1, target);
  return steps.find((s) => s >= raw) ?? 86400e3 * Math.ceil(raw / 86400e3);
}

/** The base: axes, scaling, resizing, hover; subclasses plot. */
class TimeChart {
  /** `place`: the site (TPS code) whose local time the time axis shows. */
  constructor(container, { unit = "", digits = 0, fixedY = null, bands = null, label = "", place = null } = {}) {
    this.container = container;
    this.place = place;
    this.unit = unit;
    this.digits = digits;
    this.fixedY = fixedY;
    this.bands = bands; // [[from, to, colour]] drawn behind the data
    this.points = []; // sorted by t (ms)
    this.canvas = document.createElement("canvas");
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", label);
    this.tip = document.createElement("div");
    this.tip.className = "chart-tip hidden";
    container.append(this.canvas, this.tip);
    this.frame = 0;
    new ResizeObserver(() => this.request()).observe(container);
    this.canvas.addEventListener("pointermove", (e) => this.hover(e));
    this.canvas.addEventListener("pointerleave", () => this.tip.classList.add("hidden"));
  }

  setPoints(points) {
    this.points = points.filter((p) => Number.isFinite(p.t)).sort((a, b) => a.t - b.t);
    this.request();
  }

  add(point) {
    if (!Number.isFinite(point.t)) return;
    const last = this.points[this.points.length - 1];
    if (!last || last.t <= point.t) this.points.push(point);
    else {
      this.points.push(point);
      this.points.sort((a, b) => a.t - b.t);
    }
    this.request();
  }

  request() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** A time span to show at least (shared by the charts of one page). */
  setSpan(t0, t1) {
    this.span = [t0, t1];
    this.request();
  }

  xRange() {
    if (!this.points.length && !this.span) {
      const now = Date.now();
      return [now - 3600e3, now];
    }
    let t0 = Infinity, t1 = -Infinity;
    if (this.points.length) {
      t0 = this.points[0].t;
      t1 = this.points[this.points.length - 1].t;
    }
    if (this.span) {
      t0 = Math.min(t0, this.span[0]);
      t1 = Math.max(t1, this.span[1]);
    }
    if (t1 - t0 < 120e3) {
      t0 -= 60e3;
      t1 += 60e3;
    }
    const pad = (t1 - t0) * 0.02;
    return [t0 - pad, t1 + pad];
  }

  yRange() {
    return this.fixedY ?? [0, 1];
  }

  draw() {
    const rect = this.container.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(rect.width * dpr);
    this.canvas.height = Math.round(rect.height * dpr);
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, rect.width, rect.height);
    const w = rect.width - PAD.left - PAD.right, h = rect.height - PAD.top - PAD.bottom;
    const [t0, t1] = this.xRange();
    let [y0, y1] = this.yRange();
    if (y1 <= y0) y1 = y0 + 1;
    const x = (t) => PAD.left + ((t - t0) / (t1 - t0)) * w;
    const y = (v) => PAD.top + h - ((v - y0) / (y1 - y0)) * h;
    this.scales = { x, y, t0, t1, y0, y1, w, h };
    ctx.font = "11px system-ui, 'DejaVu Sans', sans-serif";
    // bands
    if (this.bands) {
      for (const [from, to, colour] of this.bands) {
        const a = y(Math.min(Math.max(from, y0), y1)), b = y(Math.min(Math.max(to, y0), y1));
        ctx.fillStyle = colour;
        ctx.fillRect(PAD.left, Math.min(a, b), w, Math.abs(a - b));
      }
    }
    // grid and axes
    ctx.strokeStyle = "#dfe4e8";
    ctx.fillStyle = "#56606b";
    ctx.lineWidth = 1;
    const ys = niceStep(y1 - y0, Math.max(2, Math.floor(h / 40)));
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let v = Math.ceil(y0 / ys) * ys; v <= y1 + 1e-9; v += ys) {
      ctx.beginPath();
      ctx.moveTo(PAD.left, Math.round(y(v)) + 0.5);
      ctx.lineTo(PAD.left + w, Math.round(y(v)) + 0.5);
      ctx.stroke();
      ctx.fillText(formatNumber(v, 2, { trim: true }), PAD.left - 5, y(v));
    }
    const ts = timeStep(t1 - t0, Math.max(2, Math.floor(w / 90)));
    // ticks on whole local hours and days: steps counted from the zone's midnight
    const offset = ZONES[zoneOf(this.place)].utcOffsetH * 3600e3;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (let tick = Math.ceil((t0 + offset) / ts) * ts - offset; tick <= t1; tick += ts) {
      ctx.beginPath();
      ctx.moveTo(Math.round(x(tick)) + 0.5, PAD.top);
      ctx.lineTo(Math.round(x(tick)) + 0.5, PAD.top + h);
      ctx.stroke();
      ctx.fillText(wallClock(new Date(tick), zoneOf(this.place)), x(tick), PAD.top + h + 5);
    }
    ctx.save();
    ctx.translate(11, PAD.top + h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(this.unit, 0, 0);
    ctx.restore();
    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, w, h);
    ctx.clip();
    this.plot(ctx, x, y);
    ctx.restore();
    ctx.strokeStyle = "#8b96a1";
    ctx.strokeRect(PAD.left + 0.5, PAD.top + 0.5, w, h);
    const measured = this.points.some((p) => this.measured(p));
    if (!measured) {
      ctx.fillStyle = "#56606b";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.font = "13px system-ui, 'DejaVu Sans', sans-serif";
      ctx.fillText(t("chart.empty"), PAD.left + w / 2, PAD.top + h / 2);
    }
    this.canvas.dataset.points = String(this.points.length);
    this.canvas.dataset.empty = measured ? "0" : "1";
  }

  plot() {}

  /** Whether a point holds a value to draw (a reading without this figure does not). */
  measured() {
    return true;
  }

  describe(point) {
    return `${point.v}`;
  }

  hover(e) {
    if (!this.scales || !this.points.length) return;
    const rect = this.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const { t0, t1, w } = this.scales;
    const at = t0 + ((px - PAD.left) / w) * (t1 - t0);
    let lo = 0, hi = this.points.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid].t < at) lo = mid + 1;
      else hi = mid;
    }
    let best = this.points[lo];
    if (lo > 0 && Math.abs(this.points[lo - 1].t - at) < Math.abs(best.t - at)) best = this.points[lo - 1];
    this.tip.textContent = `${formatTime(new Date(best.t), this.place, { date: false })} · ${this.describe(best)}`;
    this.tip.classList.remove("hidden");
    const left = Math.min(px + 10, rect.width - this.tip.offsetWidth - 2);
    this.tip.style.left = `${Math.max(0, left)}px`;
    this.tip.style.top = `${Math.max(0, e.clientY - rect.top - 28)}px`;
  }
}

/** Gaps longer than 3 typical spacings break a line. */
function gapLimit(points) {
  if (points.length < 3) return Infinity;
  const gaps = [];
  for (let i = 1; i < points.length; i++) gaps.push(points[i].t - points[i - 1].t);
  gaps.sort((a, b) => a - b);
  return Math.max(gaps[gaps.length >> 1] * 3, 120e3);
}

/** Lines: points {t, values: {series name: number|null}}. */
export class LineChart extends TimeChart {
  constructor(container, { series, ...options }) {
    super(container, options);
    this.series = series; // [{key, label, colour}]
  }

  measured(point) {
    return this.series.some((s) => Number.isFinite(point.values?.[s.key]));
  }

  yRange() {
    if (this.fixedY) return this.fixedY;
    let lo = Infinity, hi = -Infinity;
    for (const p of this.points) {
      for (const s of this.series) {
        const v = p.values[s.key];
        if (v === null || v === undefined) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (!Number.isFinite(lo)) return [0, 1];
    if (this.floorZero) lo = Math.min(0, lo);
    const pad = Math.max((hi - lo) * 0.1, 1);
    return [lo - (this.floorZero ? 0 : pad), hi + pad];
  }

  plot(ctx, x, y) {
    const limit = gapLimit(this.points);
    for (const s of this.series) {
      ctx.strokeStyle = s.colour;
      ctx.fillStyle = s.colour;
      ctx.lineWidth = 1.8;
      ctx.beginPath();
      let prev = null;
      for (const p of this.points) {
        const v = p.values[s.key];
        if (v === null || v === undefined) continue; // another series' point
        if (prev && p.t - prev.t <= limit) ctx.lineTo(x(p.t), y(v));
        else ctx.moveTo(x(p.t), y(v));
        prev = p;
      }
      ctx.stroke();
      if (this.points.length < 120) {
        for (const p of this.points) {
          const v = p.values[s.key];
          if (v === null || v === undefined) continue;
          ctx.beginPath();
          ctx.arc(x(p.t), y(v), 2.2, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
    }
  }

  describe(p) {
    return this.series
      .filter((s) => p.values[s.key] !== null && p.values[s.key] !== undefined)
      .map((s) => `${s.label} ${(s.format ?? ((v) => formatNumber(v, this.digits)))(p.values[s.key])}`)
      .join(" · ");
  }
}

/**
 * SmokePing-style latency: per ping round (point {t, rtts (sorted ms), median, loss,
 * sent}) a grey smoke band from the fastest to the slowest packet, darker towards the
 * middle percentiles, and the median as a mark coloured by the round's loss.
 */
export class SmokeChart extends TimeChart {
  constructor(container, options = {}) {
    super(container, { unit: "ms", digits: 1, ...options });
  }

  yRange() {
    const all = [];
    for (const p of this.points) {
      for (const r of p.rtts) all.push(r);
      if (p.median !== null && p.median !== undefined) all.push(p.median);
    }
    if (!all.length) return [0, 100];
    all.sort((a, b) => a - b);
    const p98 = all[Math.min(all.length - 1, Math.floor(all.length * 0.98))];
    return [0, Math.max(p98 * 1.15, all[all.length >> 1] * 2, 5)];
  }

  plot(ctx, x, y) {
    const pts = this.points;
    const { y0, y1 } = this.scales;
    for (let i = 0; i < pts.length; i++) {
      const p = pts[i];
      const xc = x(p.t);
      const prevGap = i > 0 ? xc - x(pts[i - 1].t) : Infinity;
      const nextGap = i < pts.length - 1 ? x(pts[i + 1].t) - xc : Infinity;
      let half = Math.min(prevGap, nextGap) / 2;
      if (!Number.isFinite(half)) half = 4;
      half = Math.max(1.5, Math.min(half, 8));
      const r = p.rtts;
      const n = r.length;
      // smoke: nested bands from (min, max) inwards, each adding grey
      if (n > 1) {
        const layers = Math.ceil(n / 2);
        const alpha = Math.min(0.5, 0.9 / layers);
        ctx.fillStyle = `rgba(40, 40, 40, ${alpha})`;
        for (let k = 0; k < layers; k++) {
          const lo = r[k], hi = r[n - 1 - k];
          const top = y(Math.min(hi, y1)), bottom = y(Math.max(lo, y0));
          ctx.fillRect(xc - half, top, half * 2, Math.max(1, bottom - top));
        }
      }
      const colour = lossColour(p.loss);
      if (p.median !== null && p.median !== undefined && n > 0) {
        ctx.fillStyle = colour;
        ctx.fillRect(xc - half, y(Math.min(p.median, y1)) - 1.5, half * 2, 3);
      } else {
        // every packet lost: a red mark along the top
        ctx.fillStyle = colour;
        ctx.fillRect(xc - half, this.scales.y(y1), half * 2, 6);
      }
    }
  }

  describe(p) {
    const median = p.median === null || p.median === undefined
      ? t("chart.no-reply") : t("chart.median", { ms: formatNumber(p.median, 1) });
    const range = p.rtts.length
      ? ` · ${formatNumber(p.rtts[0], 1)}–${formatNumber(p.rtts[p.rtts.length - 1], 1)} ms` : "";
    return `${median}${range} · ${t("chart.loss", { percent: formatNumber((p.loss ?? 0) * 100, 0) })}`;
  }
}

/** A time field of an API item as ms since the epoch. */
export function itemTime(item) {
  const d = toDate(item.time ?? item.event_time ?? item.at ?? item.t ?? item.event_ns ?? item.timestamp);
  return d ? d.getTime() : NaN;
}
