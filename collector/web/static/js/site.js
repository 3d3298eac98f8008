// One site: summary, SmokePing-style latency, radio and throughput history, cell and
// operator changes, tickets with their actions; live readings appended as they come.

import {
  canAct, el, fmtAgo, fmtBps, fmtNum, fmtPercent, initTopbar, liveIndicator, openEvents,
  operatorLabel, pick, problemLabel, provinceName, request, showError, stateBadge, statusBadge,
  t, timeElement, translatePage, word,
} from "./api.js";
import { LOSS_COLOURS, LineChart, SmokeChart, itemTime } from "./charts.js";
import { incidentLink, ticketActions, ticketTime } from "./tickets-ui.js";
import "./site-words.js";
import { renderOperators } from "./site-operators.js";

translatePage();

function siteCode() {
  const fromQuery = new URLSearchParams(location.search).get("code");
  if (fromQuery) return fromQuery;
  const parts = location.pathname.split("/").filter(Boolean);
  return decodeURIComponent(parts[parts.length - 1] ?? "");
}

const code = siteCode();
let account = null;
const hoursSelect = document.getElementById("hours");

const place = code; // times on this page are the site's local time
const charts = {
  latency: new SmokeChart(document.getElementById("chart-latency"), { label: t("site.chart-latency"), place }),
  rsrp: new LineChart(document.getElementById("chart-rsrp"), {
    label: t("site.chart-history", { what: "RSRP" }), unit: "dBm", place,
    series: [{ key: "rsrp", label: "RSRP", colour: "#0b5cad", format: (v) => fmtNum(v, 0, "dBm") }],
    bands: [[-80, -40, "rgba(30,158,74,.10)"], [-100, -80, "rgba(224,155,0,.08)"], [-150, -100, "rgba(214,40,40,.08)"]],
  }),
  rsrq: new LineChart(document.getElementById("chart-rsrq"), {
    label: t("site.chart-history", { what: "RSRQ" }), unit: "dB", digits: 1, place,
    series: [{ key: "rsrq", label: "RSRQ", colour: "#6a3d9a", format: (v) => fmtNum(v, 1, "dB") }],
    bands: [[-10, 0, "rgba(30,158,74,.10)"], [-15, -10, "rgba(224,155,0,.08)"], [-40, -15, "rgba(214,40,40,.08)"]],
  }),
  sinr: new LineChart(document.getElementById("chart-sinr"), {
    label: t("site.chart-history", { what: "SINR" }), unit: "dB", place,
    series: [{ key: "sinr", label: "SINR", colour: "#00796b", format: (v) => fmtNum(v, 0, "dB") }],
    bands: [[13, 50, "rgba(30,158,74,.10)"], [0, 13, "rgba(224,155,0,.08)"], [-30, 0, "rgba(214,40,40,.08)"]],
  }),
  throughput: new LineChart(document.getElementById("chart-throughput"), {
    label: t("site.chart-throughput"), unit: "Mbit/s", digits: 2, place,
    series: [
      { key: "down", label: t("site.download"), colour: "#0b5cad", format: (v) => fmtNum(v, 2, "Mbit/s") },
      { key: "up", label: t("site.upload"), colour: "#e07b00", format: (v) => fmtNum(v, 2, "Mbit/s") },
    ],
  }),
};
charts.throughput.floorZero = true;

document.getElementById("latency-legend").replaceChildren(
  el("span", {}, el("span", { class: "swatch", "data-colour": "#9a9a9a" }), t("site.spread")),
  ...LOSS_COLOURS.map(([, colour, label]) =>
    el("span", {}, el("span", { class: "swatch", "data-colour": colour }), t("site.median-loss", { loss: label }))),
);
// Colours set through CSSOM: the CSP forbids inline style attributes.
for (const swatch of document.querySelectorAll("#latency-legend .swatch")) {
  swatch.style.background = swatch.dataset.colour;
}

// -- items to points -----------------------------------------------------------------

function num(value) {
  return value === null || value === undefined || value === "" ? null : Number(value);
}

function pingPoint(item) {
  let rtts = item.rtts_ms ?? item.rtts ?? (item.packets ?? []).map((p) => p.rtt_ms);
  rtts = (rtts ?? []).map(num).filter((v) => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  let loss = num(item.loss_ratio ?? item.loss);
  if (loss === null) {
    const sent = num(item.sent), received = num(item.received);
    loss = sent ? 1 - (received ?? rtts.length) / sent : 0;
  }
  let median = num(item.median_ms);
  if (median === null && rtts.length) median = rtts[rtts.length >> 1];
  return { t: itemTime(item), rtts, median, loss, item };
}

function signalValue(item, name) {
  return num(pick(item, `${name}_dbm`, `${name}_db`, name));
}

function throughputPoint(item) {
  const dir = String(item.direction ?? "download").toLowerCase();
  let mbps = num(item.mbps);
  if (mbps === null) {
    const bps = num(pick(item, "goodput_bps", "bps"));
    mbps = bps === null ? null : bps / 1e6;
  }
  return { t: itemTime(item), values: dir.startsWith("up") ? { up: mbps } : { down: mbps }, item };
}

function addItem(kind, item, { live = false } = {}) {
  if (kind === "ping") {
    charts.latency.add(pingPoint(item));
    if (live) {
      renderSummary({ ...summary, ping_median_ms: item.median_ms, loss_ratio: item.loss_ratio, last_seen: item.time ?? summary.last_seen });
    }
  }
  else if (kind === "signal") {
    const t = itemTime(item);
    for (const name of ["rsrp", "rsrq", "sinr"]) {
      charts[name].add({ t, values: { [name]: signalValue(item, name) }, item });
    }
    if (live) noteRadioChanges(item);
    if (live) updateLatestSignal(item);
  } else if (kind === "throughput") charts.throughput.add(throughputPoint(item));
  else if (kind === "events" || kind === "event") addEventRow(item, true);
  if (live) addReading(kind, item);
}

// -- readings list -------------------------------------------------------------------

// A reading with values outside their valid range says so: they are null in the item.
function describe(kind, item) {
  const text = describeValues(kind, item);
  const invalid = Array.isArray(item.invalid) ? item.invalid : [];
  return invalid.length ? `${text} · ${t("site.invalid", { fields: invalid.join(", ") })}` : text;
}

function describeValues(kind, item) {
  if (kind === "signal") {
    return [
      t("site.kind-signal"),
      `RSRP ${fmtNum(signalValue(item, "rsrp"), 0, "dBm")}`,
      `RSRQ ${fmtNum(signalValue(item, "rsrq"), 1, "dB")}`,
      `SINR ${fmtNum(signalValue(item, "sinr"), 0, "dB")}`,
      item.cell_id !== undefined && item.cell_id !== null ? t("site.cell-id", { id: item.cell_id }) : null,
    ].filter(Boolean).join(" · ");
  }
  if (kind === "ping") {
    const p = pingPoint(item);
    return t("site.ping-text", { target: item.target ?? "", median: fmtNum(p.median, 1, "ms"), loss: fmtPercent(p.loss) });
  }
  if (kind === "throughput") {
    const mbps = throughputPoint(item).values;
    const value = mbps.up ?? mbps.down;
    return t("site.throughput-text", {
      direction: word("direction", item.direction ?? "download"),
      value: value === null || value === undefined ? "-" : fmtBps(value * 1e6),
    });
  }
  if (kind === "events" || kind === "event") return t("site.event-text", { text: eventText(item) });
  return `${kind} ${JSON.stringify(item)}`;
}

const readings = document.getElementById("readings");
function addReading(kind, item) {
  const at = itemTime(item);
  readings.prepend(el("li", { "data-kind": kind },
    timeElement(Number.isFinite(at) ? at : new Date(), place), " ", describe(kind, item)));
  while (readings.children.length > 50) readings.lastElementChild.remove();
}

// -- summary -------------------------------------------------------------------------

let summary = {};
function field(label, value, key) {
  return el("div", {}, el("dt", {}, label), el("dd", { "data-field": key }, value ?? "-"));
}

function renderSummary(site) {
  summary = site;
  const ping = site.ping ?? {
    median_ms: site.ping_median_ms ?? undefined,
    loss_ratio: site.loss_ratio,
  };
  const cell = site.cell && typeof site.cell === "object" ? site.cell : {};
  const problems = site.problems ?? [];
  document.getElementById("site-status").replaceChildren(statusBadge(site.status));
  const lat = pick(site, "lat"), lon = pick(site, "lon");
  document.getElementById("summary").replaceChildren(
    field(t("f.status"), site.status ? word("status", site.status) : "-", "status"),
    field(t("f.operator"), site.operator_name && site.operator
      ? `${site.operator_name} (${site.operator})` : operatorLabel(site.operator), "operator"),
    field(t("f.province"), provinceName(site.province ?? code), "province"),
    field(t("site.position"), lat !== undefined && lon !== undefined
      ? t("site.latlon", { lat: fmtNum(lat, 4), lon: fmtNum(lon, 4) }) +
        (site.located === "province" ? t("site.province-point") : "")
      : "-", "position"),
    field(t("site.last-heard"), site.last_seen
      ? [fmtAgo(site.last_seen), " (", timeElement(site.last_seen, place), ")"] : t("ago.never"), "last_seen"),
    field(t("site.radio"), [pick(site, "rat") ?? cell.rat, pick(site, "reg_state") ?? cell.reg_state]
      .filter(Boolean).map((v) => word("radio", v)).join(" · ") || "-", "radio"),
    field(t("site.cell"), String(pick(site, "cell_id") ?? pick(cell, "cell_id", "id", "eci") ?? "-"), "cell"),
    field("RSRP", fmtNum(pick(site, "rsrp_dbm") ?? cell.rsrp_dbm, 0, "dBm"), "rsrp"),
    field("RSRQ", fmtNum(pick(site, "rsrq_db") ?? cell.rsrq_db, 1, "dB"), "rsrq"),
    field("SINR", fmtNum(pick(site, "sinr_db") ?? cell.sinr_db, 0, "dB"), "sinr"),
    field("Ping", ping.median_ms !== undefined
      ? t("site.ping-summary", { median: fmtNum(ping.median_ms, 1, "ms"), loss: fmtPercent(ping.loss_ratio) }) : "-", "ping"),
    field(t("site.open-problems"), problems.length ? problems.map(problemLabel).join(", ") : t("none"), "problems"),
    field(t("site.kits"), (site.agents ?? []).map((a) => (typeof a === "string" ? a : a.agent_id ?? a.id)).join(", ") || "-", "agents"),
    field(t("site.records"), site.records !== undefined ? fmtNum(site.records) : "-", "records"),
    ...(site.lifeline ? [field(t("site.lifeline"), t("site.lifeline-alive", {
      ago: fmtAgo(site.lifeline.last_sms),
      backlog: site.lifeline.backlog !== null ? fmtNum(site.lifeline.backlog) : "-",
    }), "lifeline")] : []),
  );
}

function updateLatestSignal(item) {
  renderSummary({
    ...summary,
    rsrp_dbm: signalValue(item, "rsrp") ?? summary.rsrp_dbm,
    rsrq_db: signalValue(item, "rsrq") ?? summary.rsrq_db,
    sinr_db: signalValue(item, "sinr") ?? summary.sinr_db,
    cell_id: item.cell_id ?? summary.cell_id,
    last_seen: item.time ?? summary.last_seen,
    operator: item.operator ?? summary.operator,
    operator_name: item.operator && item.operator !== summary.operator ? null : summary.operator_name,
  });
}

// -- events (cell and operator changes) ------------------------------------------------

function eventText(item) {
  const what = word("change", pick(item, "change", "event", "type", "kind", "action") ?? "change");
  const from = pick(item, "from", "old", "previous"), to = pick(item, "to", "new", "current");
  const change = from !== undefined || to !== undefined ? `${from ?? "-"} → ${to ?? "-"}` : "";
  return [what, change, item.message ?? ""].filter(Boolean).join(" ");
}

function eventDetails(item) {
  const skip = new Set(["time", "event_time", "at", "t", "change", "event", "type", "kind", "from", "to", "message"]);
  const rest = Object.entries(item).filter(([k, v]) => !skip.has(k) && v !== null && v !== undefined);
  return rest.map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
}

const eventsBody = document.querySelector("#site-events tbody");
// The newest signal's serving operator, cell and RAT: a live reading that differs adds
// a change row (the history's changes come from the server with the measurements).
const RADIO_KEYS = [["operator", "operator"], ["cell", "cell_id"], ["rat", "rat"]];
let lastRadio = { t: -Infinity };

function rememberRadio(item) {
  const t = itemTime(item);
  if (!(t >= lastRadio.t)) return false;
  lastRadio.t = t;
  for (const [kind, field] of RADIO_KEYS) {
    if (item[field] !== undefined && item[field] !== null) lastRadio[kind] = item[field];
  }
  return true;
}

function noteRadioChanges(item) {
  const before = { ...lastRadio };
  if (!rememberRadio(item)) return; // an older reading (backfill) changes nothing now
  for (const [kind, field] of RADIO_KEYS) {
    const value = item[field];
    if (value === undefined || value === null || before[kind] === undefined) continue;
    if (String(before[kind]) !== String(value)) {
      addEventRow({ time: item.time, kind, from: before[kind], to: value }, true);
    }
  }
}

function addEventRow(item, prepend = false) {
  const row = el("tr", {}, el("td", {}, timeElement(itemTime(item), place)), el("td", {}, eventText(item)),
    el("td", { class: "muted" }, eventDetails(item)));
  if (eventsBody.querySelector(".empty")) eventsBody.replaceChildren();
  if (prepend) eventsBody.prepend(row);
  else eventsBody.append(row);
}

// -- tickets -------------------------------------------------------------------------

const ticketsBody = document.querySelector("#site-tickets tbody");
async function loadTickets() {
  const data = await request(`/api/v1/tickets?site=${encodeURIComponent(code)}&state=all&limit=100`);
  const tickets = data.tickets ?? [];
  const rows = tickets.map((ticket) => el("tr", { "data-ticket": ticket.id, "data-state": ticket.state },
    el("td", {}, el("a", { href: `/tickets?state=all&site=${encodeURIComponent(code)}#ticket-${ticket.id}` }, String(ticket.id))),
    el("td", {}, problemLabel(ticket.problem)),
    el("td", {}, operatorLabel(ticket.operator)),
    el("td", {}, stateBadge(ticket.state)),
    el("td", {}, timeElement(ticketTime(ticket, "opened"), place)),
    el("td", {}, timeElement(ticketTime(ticket, "last_bad"), place)),
    el("td", {}, canAct(account)
      ? ticketActions(ticket, account, () => loadTickets().catch(showError))
      : el("span", { class: "muted" }, t("site.view-only")))));
  ticketsBody.replaceChildren(...(rows.length ? rows
    : [el("tr", { class: "empty" }, el("td", { colspan: 7, class: "muted" }, t("site.no-tickets")))]));
  // Each ticket links to its incident (named by the ticket's detail): the newest few.
  await Promise.all(tickets.slice(0, INCIDENT_LINKS).map(async (ticket, i) => {
    const found = await request(`/api/v1/tickets/${ticket.id}`).catch(() => null);
    if (found?.incident_id) rows[i].firstElementChild.append(" ", incidentLink(found.incident_id));
  }));
}
const INCIDENT_LINKS = 20;

// -- loading -------------------------------------------------------------------------

// Windows longer than this draw the site's 5-minute rollups (kept at ingest), not its
// raw readings, when the rollups cover the whole window.
const RAW_WINDOW_HOURS = 1;
const FIGURE_OF = { rsrp: "rsrp_dbm", rsrq: "rsrq_db", sinr: "sinr_db" };

function rollupPingPoint(r) {
  const rtt = r.figures?.rtt_ms, loss = r.figures?.loss_ratio;
  return { t: Date.parse(r.time), rtts: [], median: num(rtt?.median), loss: num(loss?.mean) ?? 0, item: r };
}

async function loadRollups(hours) {
  if (Number(hours) <= RAW_WINDOW_HOURS) return null;
  const d = await request(`/api/v1/sites/${encodeURIComponent(code)}/rollups?hours=${hours}`);
  return d.complete ? d.items ?? [] : null;
}

async function loadMeasurements() {
  const hours = hoursSelect.value;
  const kinds = ["ping", "signal", "throughput", "events"];
  const rollups = await loadRollups(hours).catch((err) => {
    showError(err);
    return null;
  });
  const results = await Promise.all(kinds.map((kind) => {
    // with rollups, only the newest readings are listed (the charts draw the rollups)
    const limit = rollups && (kind === "ping" || kind === "signal") ? "&limit=15" : "";
    return request(`/api/v1/sites/${encodeURIComponent(code)}/measurements?kind=${kind}&hours=${hours}${limit}`)
      .then((d) => d.items ?? [])
      .catch((err) => {
        showError(err);
        return [];
      });
  }));
  const [ping, signal, throughput, events] = results;
  if (rollups) {
    charts.latency.setPoints(rollups.filter((r) => r.kind === "ping").map(rollupPingPoint));
    const signals = rollups.filter((r) => r.kind === "signal");
    for (const name of ["rsrp", "rsrq", "sinr"]) {
      charts[name].setPoints(signals.map((r) => ({ t: Date.parse(r.time), values: { [name]: num(r.figures?.[FIGURE_OF[name]]?.median) }, item: r })));
    }
  } else {
    charts.latency.setPoints(ping.map(pingPoint));
    for (const name of ["rsrp", "rsrq", "sinr"]) {
      charts[name].setPoints(signal.map((item) => ({ t: itemTime(item), values: { [name]: signalValue(item, name) }, item })));
    }
  }
  charts.throughput.setPoints(throughput.map(throughputPoint));
  // one time axis for every chart: the oldest item of any kind to now
  const times = [...ping, ...signal, ...throughput].map(itemTime)
    .concat((rollups ?? []).map((r) => Date.parse(r.time))).filter(Number.isFinite);
  const t1 = Math.max(Date.now(), ...times);
  const t0 = times.length ? Math.min(...times) : t1 - Number(hours) * 3600e3;
  for (const chart of Object.values(charts)) chart.setSpan(t0, t1);
  eventsBody.replaceChildren();
  const sorted = [...events].sort((a, b) => itemTime(b) - itemTime(a));
  for (const item of sorted) addEventRow(item);
  lastRadio = { t: -Infinity };
  for (const item of signal) rememberRadio(item);
  if (!sorted.length) eventsBody.append(el("tr", { class: "empty" }, el("td", { colspan: 3, class: "muted" }, t("site.no-changes"))));
  const recent = [
    ...signal.map((i) => ["signal", i]), ...ping.map((i) => ["ping", i]), ...throughput.map((i) => ["throughput", i]),
  ].sort((a, b) => itemTime(a[1]) - itemTime(b[1])).slice(-15);
  readings.replaceChildren();
  for (const [kind, item] of recent) addReading(kind, item);
}

async function loadSite() {
  const site = await request(`/api/v1/sites/${encodeURIComponent(code)}`);
  renderSummary(site);
  renderOperators(document.getElementById("site-operators"), site.operators, place);
}

let helloSeen = 0;

async function start() {
  document.getElementById("site-code").textContent = code;
  document.title = t("site.title", { code });
  try {
    account = await initTopbar();
  } catch (err) {
    showError(err);
    return;
  }
  const indicator = liveIndicator(document.getElementById("live"));
  const live = openEvents(`/api/v1/events?site=${encodeURIComponent(code)}`, {
    hello: () => {
      // a reconnection: readings may have gone by while the stream was down
      if (helloSeen++) Promise.all([loadSite(), loadMeasurements(), loadTickets()]).catch(showError);
    },
    reading: (m) => {
      if (m && (m.site === undefined || m.site === code)) addItem(m.kind, m.item ?? {}, { live: true });
    },
    tickets: (m) => {
      if ((m?.tickets ?? []).some((t) => t.site_code === code)) {
        loadTickets().catch(showError);
        loadSite().catch(showError);
      }
    },
    sites: (m) => {
      const cols = m?.columns ?? ["code", "lat", "lon", "status", "operator", "province", "problems", "networks"];
      for (const values of m?.rows ?? []) {
        const row = Array.isArray(values) ? Object.fromEntries(cols.map((c, i) => [c, values[i]])) : values;
        if (row.code === code) renderSummary({ ...summary, status: row.status, problems: row.problems ?? summary.problems });
      }
    },
    resync: () => Promise.all([loadSite(), loadMeasurements(), loadTickets()]).catch(showError),
  }, indicator);
  hoursSelect.addEventListener("change", () => loadMeasurements().catch(showError));
  try {
    await Promise.all([loadSite(), loadMeasurements(), loadTickets()]);
    document.body.dataset.loaded = "1";
  } catch (err) {
    if (err.status === 404) {
      live.close();
      document.getElementById("summary").replaceChildren(el("p", {}, t("site.no-site", { code })));
    }
    showError(err);
  }
}

start();
