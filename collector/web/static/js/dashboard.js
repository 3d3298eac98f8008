// The dashboard: the province map with every visible site, filters, the province
// table and the live stream (sites deltas, ticket changes).

import {
  PROVINCES, STATUS_ORDER, el, fmtNum, initTopbar, liveIndicator, openEvents, operatorLabel,
  problemLabel, provinceCode, provinceName, request, showError, stateBadge, statusBadge, t, timeElement,
  translatePage,
} from "./api.js";
import { registerStrings } from "./i18n.js";
import { ProvinceMap } from "./map.js";
import { TroubleList, hoverText } from "./trouble.js";

registerStrings({
  en: {
    "index.title": "Pantau operations centre",
    "index.h1": "Sites map",
    "index.find-tps": "Find a TPS",
    "index.find": "Find",
    "index.export": "Coverage export:",
    "index.provinces-img": "Indonesia's provinces",
    "index.canvas": "Sites on the map: use the arrow keys to pan, + and - to zoom",
    "index.zoom-in": "Zoom in",
    "index.zoom-out": "Zoom out",
    "index.zoom-reset": "Show all of Indonesia",
    "index.legend": "Legend",
    "index.attribution": "Province outlines: denyherianto, CC BY 4.0",
    "index.feed": "Ticket changes",
    "index.feed-empty": "None since this page opened.",
    "index.all-tickets": "All tickets",
    "index.by-province": "Sites by province",
    "index.total": "total",
    "index.shown": "{shown} of {total} sites shown",
    "index.all-provinces": "All provinces",
    "index.close": "Close",
    "index.also-here": "Also here ({n}): ",
    "index.open-site": "Open site page",
    "index.popup": "Site {code}",
    "index.problems": "Problems",
    "index.outlines-failed": "The province outlines did not load (HTTP {status}).",
  },
  id: {
    "index.title": "Pusat operasi Pantau",
    "index.h1": "Peta TPS",
    "index.find-tps": "Cari TPS",
    "index.find": "Cari",
    "index.export": "Unduh cakupan:",
    "index.provinces-img": "Provinsi di Indonesia",
    "index.canvas": "TPS di peta: geser dengan tombol panah, perbesar dan perkecil dengan + dan -",
    "index.zoom-in": "Perbesar",
    "index.zoom-out": "Perkecil",
    "index.zoom-reset": "Tampilkan seluruh Indonesia",
    "index.legend": "Keterangan",
    "index.attribution": "Batas provinsi: denyherianto, CC BY 4.0",
    "index.feed": "Perubahan tiket",
    "index.feed-empty": "Belum ada sejak halaman ini dibuka.",
    "index.all-tickets": "Semua tiket",
    "index.by-province": "TPS per provinsi",
    "index.total": "jumlah",
    "index.shown": "{shown} dari {total} TPS ditampilkan",
    "index.all-provinces": "Semua provinsi",
    "index.close": "Tutup",
    "index.also-here": "Juga di sini ({n}): ",
    "index.open-site": "Buka halaman TPS",
    "index.popup": "TPS {code}",
    "index.problems": "Masalah",
    "index.outlines-failed": "Batas provinsi gagal dimuat (HTTP {status}).",
  },
});
translatePage();

const KNOWN_PROBLEMS = [
  "NO_SERVICE", "NO_COVERAGE", "MODEM_FAULT", "AGENT_SILENT", "WEAK_SIGNAL", "POOR_QUALITY",
  "HIGH_LATENCY", "HIGH_LOSS", "LOW_THROUGHPUT", "SIM_FAULT", "UNKNOWN_OPERATOR",
];

const sites = new Map(); // code -> row object
window.pantauSites = sites;
let mapVersion = -1;
let pending = []; // sites events that arrived before the first map load
let loaded = false;
let firstPaintDone = false;
let popupCode = null;

const filters = {
  operator: document.getElementById("f-operator"),
  province: document.getElementById("f-province"),
  status: document.getElementById("f-status"),
  problem: document.getElementById("f-problem"),
};
const wrap = document.getElementById("map");
const map = new ProvinceMap(wrap, { onSelect: (hits, sx, sy) => showPopup(hits, sx, sy) });
window.pantauMap = map;
map.onView = () => positionPopup();
const trouble = new TroubleList(document.getElementById("trouble"));
const hoverLabel = document.getElementById("map-hover");
map.onHover = (hover) => {
  if (!hover) {
    hoverLabel.classList.add("hidden");
    return;
  }
  hoverLabel.textContent = hoverText(hover);
  hoverLabel.dataset.province = hover.province?.code ?? "";
  hoverLabel.classList.remove("hidden");
  hoverLabel.style.left = `${Math.min(hover.sx + 14, map.width - hoverLabel.offsetWidth - 4)}px`;
  hoverLabel.style.top = `${Math.max(4, hover.sy - 30)}px`;
};
// A search (?q=): the codes of the sites it found (null: none made). The API does the
// matching (code prefix, province and operator names); rows keep coming live.
let searchCodes = null;
const searchInput = document.getElementById("f-site");
const searchResult = document.getElementById("search-result");
searchInput.placeholder = t("search.placeholder");

// -- data ----------------------------------------------------------------------------

function rowObject(columns, values) {
  const row = {};
  for (let i = 0; i < columns.length; i++) row[columns[i]] = values[i];
  row.code = String(row.code ?? row.site_code ?? "");
  row.status = row.status || "silent";
  row.problems = Array.isArray(row.problems) ? row.problems : row.problems ? [row.problems] : [];
  row.networks = Array.isArray(row.networks) ? row.networks : [];
  // each network's own status at a site known on several (absent from older collectors)
  row.operators = row.operators && typeof row.operators === "object" ? row.operators : {};
  row.provinceCode = provinceCode(row.province) ?? row.code.slice(0, 2);
  const lat = Number(row.lat), lon = Number(row.lon);
  if (row.lat !== null && row.lon !== null && Number.isFinite(lat) && Number.isFinite(lon) && map.bounds) {
    [row.wx, row.wy] = map.project(lon, lat);
  }
  return row;
}

let columns = ["code", "lat", "lon", "status", "operator", "province", "problems", "networks"];

function applyRows(rows, cols = columns) {
  for (const values of rows) {
    const row = Array.isArray(values) ? rowObject(cols, values) : rowObject(Object.keys(values), Object.values(values));
    if (row.code) sites.set(row.code, row);
  }
}

async function loadMap(data = null) {
  data = data ?? (await request("/api/v1/map"));
  if (Array.isArray(data.columns)) columns = data.columns;
  sites.clear();
  applyRows(data.rows ?? []);
  mapVersion = Number(data.version ?? 0);
  loaded = true;
  const queued = pending;
  pending = [];
  for (const message of queued) onSites(message);
  refreshOptions();
  render();
}

function onSites(message) {
  if (!loaded) {
    pending.push(message);
    return;
  }
  const version = message.version === undefined ? null : Number(message.version);
  if (version !== null && version <= mapVersion) return; // already in the map we loaded
  applyRows(message.rows ?? [], message.columns ?? columns);
  if (version !== null) mapVersion = version;
  refreshOptions();
  render();
}

// -- filters -------------------------------------------------------------------------

function fillSelect(select, values, label) {
  const current = select.value;
  const options = [el("option", { value: "" }, t("all"))];
  for (const value of values) options.push(el("option", { value }, label(value)));
  select.replaceChildren(...options);
  if (current && [...values].includes(current)) select.value = current;
  else if (current) {
    select.append(el("option", { value: current }, label(current)));
    select.value = current;
  }
}

let operatorKey = "", problemKey = "";
function refreshOptions() {
  const operators = new Set(), problems = new Set(KNOWN_PROBLEMS);
  for (const row of sites.values()) {
    if (row.operator) operators.add(String(row.operator));
    for (const network of row.networks) operators.add(String(network));
    for (const p of row.problems) problems.add(p);
  }
  const ops = [...operators].sort();
  const probs = [...problems].sort();
  if (ops.join() !== operatorKey) {
    operatorKey = ops.join();
    fillSelect(filters.operator, ops, operatorLabel);
  }
  if (probs.join() !== problemKey) {
    problemKey = probs.join();
    fillSelect(filters.problem, probs, problemLabel);
  }
}

function readQuery() {
  const q = new URLSearchParams(location.search);
  fillSelect(filters.province, Object.keys(PROVINCES), (c) => `${PROVINCES[c]} (${c})`);
  for (const [name, select] of Object.entries(filters)) {
    const value = q.get(name);
    if (value) {
      if (![...select.options].some((o) => o.value === value)) {
        const label = { operator: operatorLabel, problem: problemLabel }[name] ?? ((v) => v);
        select.append(el("option", { value }, label(value)));
      }
      select.value = value;
    }
  }
}

function writeQuery() {
  const q = new URLSearchParams();
  for (const [name, select] of Object.entries(filters)) if (select.value) q.set(name, select.value);
  if (searchCodes && searchInput.dataset.searched) q.set("q", searchInput.dataset.searched);
  const text = q.toString();
  history.replaceState(null, "", text ? `?${text}` : location.pathname);
  const exportQuery = new URLSearchParams();
  if (filters.operator.value) exportQuery.set("operator", filters.operator.value);
  if (filters.province.value) exportQuery.set("province", filters.province.value);
  for (const format of ["geojson", "csv"]) {
    exportQuery.set("format", format);
    document.getElementById(`export-${format}`).href = `/api/v1/coverage?${exportQuery}`;
  }
}

/** The row as the operator filter's network sees it: that network's own status at a
 * site known on several networks (its tickets and the kit's), else the site's. */
function viewOf(row) {
  const own = filters.operator.value ? row.operators[filters.operator.value] : undefined;
  return own && own !== row.status ? { ...row, status: own } : row;
}

function matches(row, { ignoreProvince = false } = {}) {
  const f = {
    operator: filters.operator.value,
    province: filters.province.value,
    status: filters.status.value,
    problem: filters.problem.value,
  };
  // A site is on every network it is known on, not only its latest reading's (none
  // while the modem searches: exactly when it is down).
  if (f.operator && String(row.operator ?? "") !== f.operator && !row.networks.includes(f.operator)) return false;
  if (!ignoreProvince && f.province && row.provinceCode !== f.province) return false;
  if (f.status && row.status !== f.status) return false;
  if (f.problem && !row.problems.includes(f.problem)) return false;
  if (searchCodes && !searchCodes.has(row.code)) return false;
  return true;
}

for (const select of Object.values(filters)) {
  select.addEventListener("change", () => {
    writeQuery();
    if (select === filters.province) map.focusProvince(filters.province.value || null);
    render();
  });
}

document.getElementById("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = searchInput.value.trim();
  if (!text) {
    clearSearch();
    return;
  }
  const row = sites.get(text);
  if (/^\d{13}$/.test(text)) {
    if (!row) {
      location.assign(`/site/${encodeURIComponent(text)}`);
      return;
    }
    clearSearch();
    showSite(row);
    return;
  }
  search(text).catch(showError);
});

function showSite(row) {
  if (row.wx === undefined) return;
  map.zoom = Math.max(map.zoom, 8);
  map.centreOn(row.wx, row.wy);
  map.applyView();
  map.requestDraw(() => {
    const pos = map.screenPosition(row);
    showPopup([row], pos.local[0], pos.local[1]);
  });
}

async function search(text) {
  let found;
  try {
    found = await request(`/api/v1/sites?${new URLSearchParams({ q: text, limit: "10000" })}`);
  } catch (err) {
    if (err.status !== 400) throw err;
    showSearchResult(text, err.message, null); // says what is wrong with the text
    return;
  }
  const codes = (found.sites ?? []).map((s) => s.code);
  searchCodes = new Set(codes);
  searchInput.dataset.searched = text;
  const count = codes.length;
  showSearchResult(text, count ? t("search.found", { count, text }) : t("search.none", { text }), count);
  writeQuery();
  render();
  const rows = codes.map((c) => sites.get(c)).filter((r) => r && r.wx !== undefined);
  if (rows.length === 1) showSite(rows[0]);
  else if (rows.length) map.fitRows(rows);
}

// The span names the text it answers, so a reader (or a test) can tell this answer from the last one.
function showSearchResult(text, message, count) {
  const clear = el("button", { type: "button", class: "linklike", id: "search-clear" }, t("search.clear"));
  clear.addEventListener("click", () => {
    searchInput.value = "";
    clearSearch();
  });
  searchResult.replaceChildren(el("span", { "data-count": count ?? "", "data-query": text }, message), " ", clear);
  searchResult.classList.remove("hidden");
  searchResult.classList.toggle("error-text", count === null);
}

function clearSearch() {
  const had = searchCodes !== null;
  searchCodes = null;
  delete searchInput.dataset.searched;
  searchResult.classList.add("hidden");
  searchResult.replaceChildren();
  if (had) {
    writeQuery();
    map.focusProvince(filters.province.value || null); // the view before the search
    render();
  }
}

// -- rendering (batched: at most once per animation frame) ---------------------------

let renderQueued = false;
function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    const visible = [];
    const byProvince = new Map();
    const totals = { ok: 0, degraded: 0, down: 0, silent: 0, sms: 0 };
    for (const site of sites.values()) {
      const row = viewOf(site);
      if (!matches(row, { ignoreProvince: true })) continue;
      let counts = byProvince.get(row.provinceCode);
      if (!counts) byProvince.set(row.provinceCode, (counts = { ok: 0, degraded: 0, down: 0, silent: 0, sms: 0 }));
      counts[row.status] = (counts[row.status] ?? 0) + 1;
      if (filters.province.value && row.provinceCode !== filters.province.value) continue;
      totals[row.status] = (totals[row.status] ?? 0) + 1;
      visible.push(row);
    }
    map.setSites(visible);
    map.requestDraw(() => {
      if (!firstPaintDone && loaded && map.bounds) {
        firstPaintDone = true;
        window.pantauFirstPaint = performance.now();
        document.body.dataset.painted = "1";
      }
    });
    renderCounts(totals, visible.length);
    trouble.update(visible);
    renderProvinces(byProvince);
    refreshPopup();
  });
}

function renderCounts(totals, shown) {
  document.getElementById("counts").replaceChildren(
    el("span", {}, t("index.shown", { shown: fmtNum(shown), total: fmtNum(sites.size) })),
    ...STATUS_ORDER.slice().reverse().map((s) =>
      el("span", { "data-status": s }, statusBadge(s), ` ${fmtNum(totals[s] ?? 0)}`)),
  );
}

/** The province table's status columns, in the order of its header (index.html). */
const PROVINCE_COLUMNS = ["ok", "degraded", "down", "silent", "sms"];

function renderProvinces(byProvince) {
  const body = document.querySelector("#province-table tbody");
  const foot = document.querySelector("#province-table tfoot");
  const rows = [];
  const sum = { ok: 0, degraded: 0, down: 0, silent: 0, sms: 0 };
  for (const code of [...byProvince.keys()].sort()) {
    const c = byProvince.get(code);
    const total = PROVINCE_COLUMNS.reduce((n, s) => n + (c[s] ?? 0), 0);
    for (const s of Object.keys(sum)) sum[s] += c[s] ?? 0;
    const button = el("button", { type: "button", class: "linklike", "data-province": code },
      `${provinceName(code)} (${code})`);
    button.addEventListener("click", () => {
      filters.province.value = filters.province.value === code ? "" : code;
      writeQuery();
      map.focusProvince(filters.province.value || null);
      render();
    });
    rows.push(el("tr", { "data-province": code, class: filters.province.value === code ? "selected" : null },
      el("th", { scope: "row" }, button),
      ...PROVINCE_COLUMNS.map((s) => el("td", { class: "num", "data-status": s }, fmtNum(c[s] ?? 0))),
      el("td", { class: "num" }, fmtNum(total))));
  }
  body.replaceChildren(...rows);
  foot.replaceChildren(el("tr", {}, el("th", { scope: "row" }, t("index.all-provinces")),
    ...PROVINCE_COLUMNS.map((s) => el("td", { class: "num" }, fmtNum(sum[s]))),
    el("td", { class: "num" }, fmtNum(PROVINCE_COLUMNS.reduce((n, s) => n + sum[s], 0)))));
}

// -- the popup -----------------------------------------------------------------------

let popup = null;
function closePopup() {
  popup?.remove();
  popup = null;
  popupCode = null;
}

function popupContent(row, others) {
  const close = el("button", { type: "button", class: "close", "aria-label": t("index.close") }, "×");
  close.addEventListener("click", () => {
    closePopup();
    map.canvas.focus();
  });
  const list = others.length
    ? el("p", {}, t("index.also-here", { n: others.length }),
      ...others.slice(0, 8).flatMap((o, i) => [i ? ", " : "", el("a", { href: `/site/${o.code}` }, o.code)]),
      others.length > 8 ? " …" : "")
    : null;
  return [
    close,
    el("h3", {}, el("span", { class: "mono" }, row.code)),
    el("dl", {},
      el("dt", {}, t("f.operator")), el("dd", { "data-field": "operator" }, operatorLabel(row.operator)),
      el("dt", {}, t("f.province")), el("dd", {}, provinceName(row.provinceCode)),
      el("dt", {}, t("f.status")), el("dd", { "data-field": "status" }, statusBadge(row.status)),
      el("dt", {}, t("index.problems")), el("dd", { "data-field": "problems" },
        row.problems.length ? row.problems.map(problemLabel).join(", ") : t("none"))),
    list,
    el("a", { href: `/site/${encodeURIComponent(row.code)}`, class: "button", id: "popup-link" }, t("index.open-site")),
  ].filter(Boolean);
}

function showPopup(hits) {
  if (!hits.length) {
    closePopup();
    return;
  }
  const [row, ...others] = hits;
  if (!popup) {
    popup = el("div", { class: "popup", role: "dialog", "aria-label": t("index.popup", { code: row.code }), id: "site-popup" });
    popup.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        closePopup();
        map.canvas.focus();
      }
    });
    wrap.append(popup);
  }
  popupCode = row.code;
  popup.popupOthers = others.map((o) => o.code);
  popup.dataset.code = row.code;
  popup.replaceChildren(...popupContent(row, others));
  positionPopup();
  popup.querySelector("#popup-link").focus({ preventScroll: true });
}

function refreshPopup() {
  if (!popup || !popupCode) return;
  const row = sites.get(popupCode);
  if (!row) return closePopup();
  const others = (popup.popupOthers ?? []).map((c) => sites.get(c)).filter(Boolean);
  const focused = document.activeElement && popup.contains(document.activeElement);
  popup.replaceChildren(...popupContent(row, others));
  if (focused) popup.querySelector("#popup-link").focus({ preventScroll: true });
  positionPopup();
}

function positionPopup() {
  if (!popup || !popupCode) return;
  const pos = map.screenPosition(sites.get(popupCode));
  if (!pos) return;
  const [x, y] = pos.local;
  const w = popup.offsetWidth, h = popup.offsetHeight;
  const left = Math.min(Math.max(4, x + 12), map.width - w - 4);
  const top = y + 12 + h > map.height ? Math.max(4, y - h - 12) : y + 12;
  popup.style.left = `${left}px`;
  popup.style.top = `${top}px`;
}

// -- ticket feed ---------------------------------------------------------------------

const feed = document.getElementById("ticket-feed");
let feedEmpty = true;
function onTickets(message) {
  const tickets = message?.tickets ?? [];
  if (feedEmpty && tickets.length) {
    feed.replaceChildren();
    feedEmpty = false;
  }
  for (const ticket of tickets) {
    feed.prepend(el("li", { "data-ticket": ticket.id },
      timeElement(new Date(), ticket.site_code, { date: false }), " ",
      stateBadge(ticket.state), " ",
      el("a", { href: `/site/${encodeURIComponent(ticket.site_code)}` }, ticket.site_code), " ",
      problemLabel(ticket.problem), " · ", operatorLabel(ticket.operator)));
  }
  while (feed.children.length > 40) feed.lastElementChild.remove();
}

// -- wiring --------------------------------------------------------------------------

document.getElementById("zoom-in").addEventListener("click", () => map.zoomAt(1.6));
document.getElementById("zoom-out").addEventListener("click", () => map.zoomAt(1 / 1.6));
document.getElementById("zoom-reset").addEventListener("click", () => {
  filters.province.value = "";
  writeQuery();
  map.focusProvince(null);
  render();
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && popup) closePopup();
});

async function start() {
  const searched = new URLSearchParams(location.search).get("q");
  readQuery();
  writeQuery();
  // Everything the first paint needs is asked for at once.
  const account = initTopbar();
  const geo = fetch("/static/provinces.geojson", { credentials: "same-origin" }).then((r) => {
    if (!r.ok) throw new Error(t("index.outlines-failed", { status: r.status }));
    return r.json();
  });
  const first = request("/api/v1/map");
  geo.catch(() => {});
  first.catch(() => {});
  const indicator = liveIndicator(document.getElementById("live"));
  try {
    await account; // 401 -> the login page, before anything else is shown
  } catch (err) {
    showError(err);
    return;
  }
  openEvents("/api/v1/events", {
    hello: (m) => {
      if (loaded && m && m.version !== undefined && Number(m.version) > mapVersion) loadMap().catch(showError);
    },
    sites: onSites,
    tickets: onTickets,
    resync: () => loadMap().catch(showError),
  }, indicator);
  try {
    map.setProvinces(await geo);
    if (filters.province.value) map.focusProvince(filters.province.value);
    await loadMap(await first);
    if (searched) {
      searchInput.value = searched;
      await search(searched);
    }
  } catch (err) {
    showError(err);
  }
}

start();
