// The incidents view: open incidents (the faults tickets are grouped into) by operator
// and area; one incident's TPS on a small map, listed, and its timeline (sites joining
// and recovering, people acknowledging and escalating). Who acknowledged it and when;
// Acknowledge and Escalate for accounts that may act. Live: the list and the incident
// shown reload on ticket changes.

import {
  PROVINCES, canAct, el, fmtNum, initTopbar, liveIndicator, openEvents, operatorLabel, problemLabel,
  provinceName, request, showError, showMessage, stateBadge, t, timeElement, translatePage, word,
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
    "inc.acked-by": "acknowledged by {who}",
    "inc.not-acked": "not acknowledged yet",
    "inc.level": "escalated: level {n}",
    "inc.escalated-at": "escalated to level {n}",
    "inc.ack": "Acknowledge",
    "inc.escalate": "Escalate",
    "inc.ack-note": "Acknowledgement note (optional)",
    "inc.escalate-note": "Why escalate (optional)",
    "inc.confirm": "Confirm",
    "inc.cancel": "Cancel",
    "inc.acked-done": "Incident {id} acknowledged.",
    "inc.escalated-done": "Incident {id} escalated to level {n}.",
    "inc.event.acknowledged": "acknowledged by {actor}",
    "inc.event.escalated": "escalated to level {n} by {actor}",
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
    "inc.acked-by": "ditangani oleh {who}",
    "inc.not-acked": "belum ditangani",
    "inc.level": "dieskalasi: tingkat {n}",
    "inc.escalated-at": "dieskalasi ke tingkat {n}",
    "inc.ack": "Tangani",
    "inc.escalate": "Eskalasi",
    "inc.ack-note": "Catatan penanganan (opsional)",
    "inc.escalate-note": "Alasan eskalasi (opsional)",
    "inc.confirm": "Konfirmasi",
    "inc.cancel": "Batal",
    "inc.acked-done": "Insiden {id} sedang ditangani.",
    "inc.escalated-done": "Insiden {id} dieskalasi ke tingkat {n}.",
    "inc.event.acknowledged": "ditangani oleh {actor}",
    "inc.event.escalated": "dieskalasi ke tingkat {n} oleh {actor}",
  },
});
translatePage();

const OPERATORS = ["510-10", "510-01", "510-11", "510-89", "510-09", "510-28", "field-team"];
const LIMIT = 500;
const MAX_ESCALATION = 3; // collector.incidents.MAX_ESCALATION
const form = document.getElementById("filters");
const body = document.querySelector("#incidents tbody");
const detail = document.getElementById("detail");
const fields = ["state", "operator", "province", "kabupaten"];
let shown = null; // the incident id in the detail panel
let map = null;
let locations = null; // site code -> [lon, lat], from /api/v1/map
let helloSeen = 0;
let reloadTimer = 0;
let account = null; // who is logged in (may this account act?)

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
    incident.parent_id ? el("span", { class: "muted" }, " · ", t("inc.part-of", { id: incident.parent_id })) : null,
    incident.acked_by ? el("span", { class: "acked", "data-acked-by": incident.acked_by },
      " · ", t("inc.acked-by", { who: incident.acked_by })) : null,
    incident.escalation ? el("span", { class: "escalated", "data-escalation": incident.escalation },
      " · ", t("inc.level", { n: incident.escalation })) : null];
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
  for (const e of incident.events ?? []) {
    const text = e.action === "escalated"
      ? t("inc.event.escalated", { n: e.level ?? "?", actor: e.actor })
      : t("inc.event.acknowledged", { actor: e.actor });
    events.push({ at: e.time, bad: 0, kind: e.action, text: e.note ? `${text} — ${e.note}` : text });
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

/** Who acknowledged the incident and when, its escalation (times in the TPS's zone). */
function ackLine(incident) {
  const place = incident.sites[0] ?? incident.scope.province;
  const parts = [incident.acked_by
    ? el("span", { id: "detail-acked", "data-acked-by": incident.acked_by },
      t("inc.acked-by", { who: incident.acked_by }), " · ", timeElement(incident.acked, place),
      incident.ack_note ? el("span", { class: "note" }, ` — ${incident.ack_note}`) : null)
    : el("span", { id: "detail-acked", class: "muted" }, t("inc.not-acked"))];
  if (incident.escalation) {
    parts.push(" · ", el("span", { id: "detail-escalation", "data-escalation": incident.escalation },
      t("inc.escalated-at", { n: incident.escalation }), " · ", timeElement(incident.escalated, place)));
  }
  return parts;
}

/** Acknowledge and Escalate, each with an optional note, for accounts that may act on an
 * open incident that pages (one inside an area is acted on through its area). */
function incidentActions(incident) {
  const box = el("div", { class: "incident-actions", "data-incident": incident.id });
  if (!canAct(account) || incident.state === "resolved" || incident.parent_id) return box;
  const buttons = el("div", { class: "actions" });
  const form = el("form", { class: "note-form hidden" });
  const noteId = `inc-note-${incident.id}`;
  const label = el("label", { for: noteId });
  const note = el("textarea", { id: noteId, name: "note", maxlength: 2000 });
  const submit = el("button", { type: "submit" }, t("inc.confirm"));
  const cancel = el("button", { type: "button", class: "secondary" }, t("inc.cancel"));
  form.append(label, note, el("div", { class: "row" }, submit, cancel));
  let action = null;
  const open = (which) => {
    action = which;
    label.textContent = t(which === "ack" ? "inc.ack-note" : "inc.escalate-note");
    submit.textContent = t(which === "ack" ? "inc.ack" : "inc.escalate");
    submit.dataset.action = which;
    form.classList.remove("hidden");
    note.focus();
  };
  if (!incident.acked_by) {
    const ack = el("button", { type: "button", "data-action": "ack" }, t("inc.ack"));
    ack.addEventListener("click", () => open("ack"));
    buttons.append(ack);
  }
  if (incident.escalation < MAX_ESCALATION) {
    const up = el("button", { type: "button", class: "secondary", "data-action": "escalate" }, t("inc.escalate"));
    up.addEventListener("click", () => open("escalate"));
    buttons.append(up);
  }
  cancel.addEventListener("click", () => {
    form.classList.add("hidden");
    note.value = "";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    // the level wanted: a second click (or a colleague's) at the same level changes nothing
    const body = action === "ack" ? { note: note.value.trim() } : { note: note.value.trim(), level: incident.escalation + 1 };
    try {
      const updated = await request(`/api/v1/incidents/${incident.id}/${action}`, { method: "POST", body });
      showMessage(action === "ack" ? t("inc.acked-done", { id: incident.id })
        : t("inc.escalated-done", { id: incident.id, n: updated.escalation }), { kind: "info", timeoutMs: 5000 });
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
      form.classList.add("hidden"); // done: the reload below draws the incident afresh
    }
    load().catch(showError);
    showIncident(incident.id).catch(showError);
  });
  if (buttons.children.length) box.append(buttons, form);
  return box;
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
  const ackBox = document.getElementById("detail-ack");
  const typing = ackBox.querySelector(`.incident-actions[data-incident="${id}"] form:not(.hidden)`);
  // a reload while someone writes a note keeps their form (and what they wrote)
  const actions = typing ? typing.closest(".incident-actions") : incidentActions(incident);
  ackBox.replaceChildren(...ackLine(incident), actions);
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
    incidents: reloadSoon, // acknowledged or escalated by someone
    resync: reloadSoon,
  }, liveIndicator(document.getElementById("live")));
  await load().catch(showError);
  fromHash();
}

start();
