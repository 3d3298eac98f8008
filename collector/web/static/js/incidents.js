// The incidents view: open incidents (the faults tickets are grouped into) by operator
// and area; one incident's TPS on a small map, listed, and its timeline (sites joining
// and recovering). Live: the list and the incident shown reload on ticket changes.

import {
  PROVINCES, el, fmtNum, initTopbar, liveIndicator, openEvents, operatorLabel, problemLabel,
  provinceName, request, showError, stateBadge, t, timeElement, translatePage, word,
} from "./api.js";
import { lang, registerStrings } from "./i18n.js";
import { ProvinceMap } from "./map.js";

registerStrings({
  en: {
    "inc.title": "Incidents · Pantau operations centre",
    "inc.kabupaten": "Regency/city",
    "inc.kabupaten-code": "4 digits",
    "inc.apply": "Apply",
    "inc.export": "After-action report (last 24 hours):",
    "inc.list": "Incident list",
    "inc.col-title": "Incident",
    "inc.col-kind": "Kind",
    "inc.col-affected": "Affected TPS",
    "inc.col-since": "Since",
    "inc.provinces-img": "Indonesia's provinces",
    "inc.map": "The incident's TPS on the map",
    "inc.sites": "Affected TPS",
    "inc.timeline": "Timeline",
    "inc.none": "No incidents match.",
    "inc.count-1": "1 incident",
    "inc.count": "{n} incidents",
    "inc.limit": " (limit reached)",
    "inc.kind.site": "one TPS",
    "inc.kind.cell": "cell",
    "inc.kind.area": "area",
    "inc.kind.field": "field team",
    "inc.paged.no": "not paged",
    "inc.paged.triggered": "paged",
    "inc.paged.resolved": "paged, resolved",
    "inc.silenced": "silenced (planned work {id})",
    "inc.part-of": "part of incident {id}",
    "inc.others-fine": "other networks fine at {n} of these TPS ({operators})",
    "inc.facts": "{kind} · {operator} · {problem} · notified to {route}",
    "inc.opened": "incident opened",
    "inc.resolved": "incident resolved",
    "inc.joined": "TPS {site} joined ({problem})",
    "inc.recovered": "TPS {site} recovered",
    "inc.no-sites": "No TPS affected now.",
    "inc.no-location": "(no location)",
    "inc.loading": "Loading the incident…",
    "inc.not-found": "Incident {id} is not visible to this account or does not exist.",
  },
  id: {
    "inc.title": "Insiden · Pusat operasi Pantau",
    "inc.kabupaten": "Kabupaten/kota",
    "inc.kabupaten-code": "4 digit",
    "inc.apply": "Terapkan",
    "inc.export": "Laporan pascakejadian (24 jam terakhir):",
    "inc.list": "Daftar insiden",
    "inc.col-title": "Insiden",
    "inc.col-kind": "Jenis",
    "inc.col-affected": "TPS terdampak",
    "inc.col-since": "Sejak",
    "inc.provinces-img": "Provinsi di Indonesia",
    "inc.map": "TPS insiden ini di peta",
    "inc.sites": "TPS terdampak",
    "inc.timeline": "Kronologi",
    "inc.none": "Tidak ada insiden yang cocok.",
    "inc.count-1": "1 insiden",
    "inc.count": "{n} insiden",
    "inc.limit": " (batas tercapai)",
    "inc.kind.site": "satu TPS",
    "inc.kind.cell": "sel",
    "inc.kind.area": "wilayah",
    "inc.kind.field": "tim lapangan",
    "inc.paged.no": "belum dikirim",
    "inc.paged.triggered": "terkirim",
    "inc.paged.resolved": "terkirim, selesai",
    "inc.silenced": "dijeda (pekerjaan terencana {id})",
    "inc.part-of": "bagian dari insiden {id}",
    "inc.others-fine": "jaringan lain normal di {n} TPS ini ({operators})",
    "inc.facts": "{kind} · {operator} · {problem} · dikirim ke {route}",
    "inc.opened": "insiden dibuka",
    "inc.resolved": "insiden selesai",
    "inc.joined": "TPS {site} bergabung ({problem})",
    "inc.recovered": "TPS {site} pulih",
    "inc.no-sites": "Tidak ada TPS terdampak saat ini.",
    "inc.no-location": "(tanpa lokasi)",
    "inc.loading": "Memuat insiden…",
    "inc.not-found": "Insiden {id} tidak terlihat oleh akun ini atau tidak ada.",
  },
});
translatePage();

const OPERATORS = ["510-10", "510-01", "510-11", "510-89", "510-09", "510-28", "field-team"];
const LIMIT = 500;
const form = document.getElementById("filters");
const body = document.querySelector("#incidents tbody");
const detail = document.getElementById("detail");
const fields = ["state", "operator", "province", "kabupaten"];
let shown = null; // the incident id in the detail panel
let map = null;
let locations = null; // site code -> [lon, lat], from /api/v1/map
let helloSeen = 0;
let reloadTimer = 0;

function titleOf(incident) {
  return lang() === "id" ? incident.title_id || incident.title : incident.title;
}

function networkLabel(code) {
  return code === "field-team" ? t("inc.kind.field") : operatorLabel(code);
}

function readQuery() {
  const q = new URLSearchParams(location.search);
  for (const name of fields) {
    const value = q.get(name);
    if (value) form.elements[name].value = value;
  }
}

function query() {
  const q = new URLSearchParams();
  for (const name of fields) {
    const value = form.elements[name].value.trim();
    if (value && !(name === "state" && value === "open")) q.set(name, value);
  }
  return q;
}

function inArea(incident, q) {
  const province = q.get("province");
  if (province && incident.scope.province !== province) return false;
  const kabupaten = q.get("kabupaten");
  if (kabupaten) {
    const own = incident.scope.kabupaten;
    if (own ? !own.startsWith(kabupaten) : !incident.sites.some((s) => s.startsWith(kabupaten))) return false;
  }
  return true;
}

function stateParts(incident) {
  return [stateBadge(incident.state), " ",
    el("span", { class: "muted", "data-paged": incident.paged }, word("inc.paged", incident.paged)),
    incident.silenced_by ? el("span", { class: "silenced", "data-silenced": incident.silenced_by },
      " · ", t("inc.silenced", { id: incident.silenced_by })) : null,
    incident.parent_id ? el("span", { class: "muted" }, " · ", t("inc.part-of", { id: incident.parent_id })) : null];
}

function stateCell(incident) {
  return el("td", { "data-field": "state" }, ...stateParts(incident));
}

function incidentRow(incident) {
  const link = el("a", { href: `#incident-${incident.id}`, "data-open": incident.id }, String(incident.id));
  return el("tr", { id: `incident-row-${incident.id}`, "data-incident": incident.id, "data-kind": incident.kind,
    "data-state": incident.state, class: shown === incident.id ? "selected" : "" },
    el("td", {}, link),
    el("td", {}, el("a", { href: `#incident-${incident.id}`, class: "incident-title" }, titleOf(incident))),
    el("td", {}, word("inc.kind", incident.kind)),
    el("td", {}, networkLabel(incident.operator)),
    el("td", {}, provinceName(incident.scope.province)),
    el("td", { class: "num", "data-field": "affected" }, fmtNum(incident.affected)),
    el("td", {}, timeElement(incident.opened, incident.sites[0] ?? incident.scope.province)),
    stateCell(incident));
}

async function load() {
  const q = query();
  history.replaceState(null, "", `${q.toString() ? `?${q}` : location.pathname}${location.hash}`);
  const api = new URLSearchParams({ state: form.elements.state.value || "open", limit: String(LIMIT) });
  if (form.elements.operator.value) api.set("operator", form.elements.operator.value);
  const data = await request(`/api/v1/incidents?${api}`);
  const all = data.incidents ?? [];
  const list = all.filter((i) => inArea(i, q));
  body.replaceChildren(...(list.length ? list.map(incidentRow)
    : [el("tr", {}, el("td", { colspan: 8, class: "muted" }, t("inc.none")))]));
  // the phone layout: each cell labelled with its column's heading (one card per incident)
  const headings = [...document.querySelectorAll("#incidents thead th")].map((th) => th.textContent.trim());
  for (const row of body.querySelectorAll("tr[data-incident]")) {
    [...row.children].forEach((cell, i) => { cell.dataset.label = headings[i]; });
  }
  document.getElementById("incident-count").textContent =
    (list.length === 1 ? t("inc.count-1") : t("inc.count", { n: fmtNum(list.length) })) +
    (data.next_cursor ? t("inc.limit") : "");
  const exportQuery = new URLSearchParams();
  if (form.elements.operator.value) exportQuery.set("operator", form.elements.operator.value);
  if (form.elements.province.value) exportQuery.set("province", form.elements.province.value);
  for (const format of ["csv", "json"]) {
    exportQuery.set("format", format);
    document.getElementById(`export-${format}`).href = `/api/v1/incidents/export?${exportQuery}`;
  }
  document.body.dataset.loaded = "1";
}

// -- one incident ----------------------------------------------------------------------

let mapReady = null;
function ensureMap() {
  // once, however many incidents are shown meanwhile (again after a failure)
  mapReady ??= makeMap().catch((err) => {
    mapReady = null;
    throw err;
  });
  return mapReady;
}

async function makeMap() {
  map = new ProvinceMap(document.getElementById("map"));
  const [geo, sites] = await Promise.all([
    fetch("/static/provinces.geojson", { credentials: "same-origin" }).then((r) => r.json()),
    request("/api/v1/map"),
  ]);
  map.setProvinces(geo);
  const columns = sites.columns ?? [];
  const [c, x, y] = ["code", "lon", "lat"].map((name) => columns.indexOf(name));
  locations = new Map();
  for (const row of sites.rows ?? []) {
    const lon = Number(row[x]), lat = Number(row[y]);
    if (row[x] !== null && row[y] !== null && Number.isFinite(lon) && Number.isFinite(lat)) locations.set(row[c], [lon, lat]);
  }
}

function timeline(incident) {
  const place = incident.sites[0] ?? incident.scope.province;
  const events = [{ at: incident.opened, kind: "opened", text: t("inc.opened"), bad: 0 }];
  for (const ticket of incident.tickets) {
    // a site joins when its ticket opens; those opening together, in the order they failed
    events.push({ at: ticket.opened, bad: Date.parse(ticket.first_bad), kind: "joined", site: ticket.site_code,
      text: t("inc.joined", { site: ticket.site_code, problem: problemLabel(ticket.problem) }) });
    if (ticket.resolved) {
      events.push({ at: ticket.resolved, bad: 0, kind: "recovered", site: ticket.site_code,
        text: t("inc.recovered", { site: ticket.site_code }) });
    }
  }
  if (incident.resolved) events.push({ at: incident.resolved, kind: "resolved", text: t("inc.resolved"), bad: 0 });
  events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.bad - b.bad);
  return events.map((e) => el("li", { "data-event": e.kind, "data-site": e.site ?? "" },
    timeElement(e.at, e.site ?? place), " · ", e.text));
}

function siteItem(code, live, incident) {
  const ticket = incident.tickets.find((tk) => tk.site_code === code);
  return el("li", { "data-site": code, "data-live": live ? "1" : "0" },
    el("a", { href: `/site/${encodeURIComponent(code)}`, class: "mono" }, code), " ",
    el("span", { class: "muted" }, provinceName(code)),
    ticket ? el("span", {}, " · ", el("a", { href: `/tickets?state=all&site=${encodeURIComponent(code)}#ticket-${ticket.id}` },
      problemLabel(ticket.problem)), " ", stateBadge(ticket.state)) : null,
    locations && !locations.has(code) ? el("span", { class: "muted" }, " ", t("inc.no-location")) : null);
}

async function showIncident(id) {
  shown = id;
  for (const row of body.querySelectorAll("tr[data-incident]")) row.classList.toggle("selected", Number(row.dataset.incident) === id);
  detail.classList.remove("hidden");
  delete detail.dataset.loaded;
  let incident;
  try {
    incident = await request(`/api/v1/incidents/${id}`);
  } catch (err) {
    if (err.status !== 404) throw err;
    document.getElementById("detail-title").textContent = t("inc.not-found", { id });
    return;
  }
  if (shown !== id) return;
  await ensureMap();
  detail.dataset.incident = String(id);
  document.getElementById("detail-title").textContent = titleOf(incident);
  const fine = incident.others_fine;
  const kind = word("inc.kind", incident.kind);
  document.getElementById("detail-facts").replaceChildren(
    t("inc.facts", { kind, operator: networkLabel(incident.operator),
      problem: problemLabel(incident.problem), route: incident.route }), " · ",
    timeElement(incident.opened, incident.sites[0] ?? incident.scope.province), " · ",
    el("span", { id: "detail-state" }, ...stateParts(incident)),
    fine.count ? el("div", { class: "others-fine" }, t("inc.others-fine", {
      n: fmtNum(fine.count), operators: fine.operators.map(operatorLabel).join(", ") })) : null);
  const live = new Set(incident.tickets.filter((tk) => tk.state !== "resolved").map((tk) => tk.site_code));
  const codes = [...new Set([...incident.sites, ...incident.tickets.map((tk) => tk.site_code)])];
  document.getElementById("detail-sites").replaceChildren(...(codes.length
    ? codes.map((code) => siteItem(code, live.has(code), incident))
    : [el("li", { class: "muted" }, t("inc.no-sites"))]));
  document.getElementById("detail-timeline").replaceChildren(...timeline(incident));
  const rows = [];
  for (const code of codes) {
    const where = locations.get(code);
    if (!where) continue;
    const [wx, wy] = map.project(where[0], where[1]);
    rows.push({ code, lon: where[0], lat: where[1], wx, wy, status: live.has(code) ? "down" : "ok" });
  }
  map.resize(true);
  map.setSites(rows);
  if (rows.length) map.fitRows(rows);
  map.requestDraw(() => { detail.dataset.loaded = "1"; });
}

function fromHash() {
  const match = /^#incident-(\d+)$/.exec(location.hash);
  if (match) showIncident(Number(match[1])).catch(showError);
}

function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => {
    load().catch(showError);
    if (shown !== null) showIncident(shown).catch(showError);
  }, 1000);
}

async function start() {
  for (const code of OPERATORS) form.elements.operator.append(el("option", { value: code }, networkLabel(code)));
  for (const code of Object.keys(PROVINCES)) form.elements.province.append(el("option", { value: code }, `${PROVINCES[code]} (${code})`));
  readQuery();
  let account;
  try {
    account = await initTopbar();
  } catch (err) {
    showError(err);
    return;
  }
  if (account.operator) {
    form.elements.operator.replaceChildren(el("option", { value: account.operator }, operatorLabel(account.operator)));
    form.elements.operator.disabled = true;
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load().catch(showError);
  });
  for (const name of ["state", "operator", "province"]) form.elements[name].addEventListener("change", () => load().catch(showError));
  window.addEventListener("hashchange", fromHash);
  openEvents("/api/v1/events", {
    hello: () => {
      if (helloSeen++) reloadSoon(); // a reconnection: changes may have gone by
    },
    tickets: reloadSoon,
    resync: reloadSoon,
  }, liveIndicator(document.getElementById("live")));
  await load().catch(showError);
  fromHash();
}

start();
