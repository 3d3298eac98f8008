// The tickets list: filters, each ticket expandable to its history, acknowledge and
// resolve with a note; live changes update the rows in place.

import {
  PROVINCES, canAct, el, fmtNum, initTopbar, liveIndicator, openEvents, operatorLabel,
  problemLabel, provinceName, request, showError, stateBadge, t, timeElement, translatePage,
} from "./api.js";
import { registerStrings } from "./i18n.js";
import { ticketActions, ticketHistory, ticketTime } from "./tickets-ui.js";

registerStrings({
  en: {
    "tickets.title": "Tickets · Pantau operations centre",
    "tickets.not-resolved": "open or acknowledged",
    "tickets.tps-code": "TPS code",
    "tickets.show": "Show",
    "tickets.apply": "Apply",
    "tickets.list": "Ticket list",
    "tickets.history": "History",
    "tickets.historical": " historical",
    "tickets.escalated": " escalated",
    "tickets.loading": "Loading history…",
    "tickets.history-of": "History of ticket {id}",
    "tickets.none": "No tickets match.",
    "tickets.count-1": "1 ticket",
    "tickets.count": "{n} tickets",
    "tickets.limit": " (limit reached)",
    "tickets.new": "{n} new — show",
  },
  id: {
    "tickets.title": "Tiket · Pusat operasi Pantau",
    "tickets.not-resolved": "terbuka atau ditangani",
    "tickets.tps-code": "Kode TPS",
    "tickets.show": "Tampilkan",
    "tickets.apply": "Terapkan",
    "tickets.list": "Daftar tiket",
    "tickets.history": "Riwayat",
    "tickets.historical": " riwayat lama",
    "tickets.escalated": " dieskalasi",
    "tickets.loading": "Memuat riwayat…",
    "tickets.history-of": "Riwayat tiket {id}",
    "tickets.none": "Tidak ada tiket yang cocok.",
    "tickets.count-1": "1 tiket",
    "tickets.count": "{n} tiket",
    "tickets.limit": " (batas tercapai)",
    "tickets.new": "{n} baru — tampilkan",
  },
});
translatePage();

const PROBLEMS = [
  "NO_SERVICE", "NO_COVERAGE", "MODEM_FAULT", "AGENT_SILENT", "WEAK_SIGNAL", "POOR_QUALITY",
  "HIGH_LATENCY", "HIGH_LOSS", "LOW_THROUGHPUT", "SIM_FAULT", "UNKNOWN_OPERATOR",
];
const OPERATORS = ["510-10", "510-01", "510-11", "510-89", "510-09", "510-28"];

const form = document.getElementById("filters");
const body = document.querySelector("#tickets tbody");
const fields = ["state", "operator", "problem", "province", "site", "limit"];
const tickets = new Map(); // id -> ticket shown
const expanded = new Set();
let account = null;
let newIds = new Set();
let helloSeen = 0;

function options(select, values, label) {
  for (const v of values) select.append(el("option", { value: v }, label(v)));
}

function readQuery() {
  const q = new URLSearchParams(location.search);
  for (const name of fields) {
    const input = form.elements[name];
    const value = q.get(name);
    if (!value) continue;
    if (input.tagName === "SELECT" && ![...input.options].some((o) => o.value === value)) {
      input.append(el("option", { value }, value));
    }
    input.value = value;
  }
}

function query() {
  const q = new URLSearchParams();
  for (const name of fields) {
    const value = form.elements[name].value.trim();
    if (value) q.set(name, value);
  }
  return q;
}

function matchesFilters(ticket) {
  const q = query();
  const state = q.get("state") ?? "";
  if (state === "" && ticket.state === "resolved") return false;
  if (state && state !== "all" && ticket.state !== state) return false;
  if (q.get("operator") && ticket.operator !== q.get("operator")) return false;
  if (q.get("problem") && ticket.problem !== q.get("problem")) return false;
  if (q.get("province") && String(ticket.province ?? ticket.site_code.slice(0, 2)) !== q.get("province")) return false;
  if (q.get("site") && ticket.site_code !== q.get("site")) return false;
  return true;
}

function ticketRow(ticket) {
  const expand = el("button", {
    type: "button", class: "secondary expand", "aria-expanded": expanded.has(ticket.id) ? "true" : "false",
    "aria-controls": `history-${ticket.id}`, "data-action": "history",
  }, t("tickets.history"));
  expand.addEventListener("click", () => toggle(ticket.id));
  const actions = el("div", { class: "actions" }, expand,
    canAct(account) ? ticketActions(ticket, account, (updated) => refreshTicket(ticket.id, updated)) : null);
  return el("tr", { id: `ticket-${ticket.id}`, "data-ticket": ticket.id, "data-state": ticket.state },
    el("td", {}, String(ticket.id)),
    el("td", {}, el("a", { href: `/site/${encodeURIComponent(ticket.site_code)}`, class: "mono" }, ticket.site_code)),
    el("td", {}, provinceName(ticket.province ?? ticket.site_code)),
    el("td", {}, ticket.operator_name && /^\d{3}-\d{2,3}$/.test(ticket.operator) ? `${ticket.operator_name} (${ticket.operator})` : operatorLabel(ticket.operator)),
    el("td", {}, problemLabel(ticket.problem)),
    el("td", { "data-field": "state" }, stateBadge(ticket.state),
      ticket.historical ? el("span", { class: "muted" }, t("tickets.historical")) : null,
      ticket.escalated ? el("span", { class: "muted" }, t("tickets.escalated")) : null),
    el("td", {}, timeElement(ticketTime(ticket, "opened"), ticket.site_code)),
    el("td", {}, timeElement(ticketTime(ticket, "last_bad"), ticket.site_code)),
    el("td", {}, actions));
}

function detailRow(id) {
  return el("tr", { class: "detail", id: `history-${id}`, "data-history": id },
    el("td", { colspan: 9 }, el("span", { class: "muted" }, t("tickets.loading"))));
}

async function fillHistory(id) {
  const row = document.getElementById(`history-${id}`);
  if (!row) return;
  try {
    const { node } = await ticketHistory(id, tickets.get(id)?.site_code);
    row.firstElementChild.replaceChildren(el("h3", {}, t("tickets.history-of", { id })), node);
  } catch (err) {
    row.firstElementChild.replaceChildren(el("span", { class: "error-text" }, err.message));
  }
}

async function toggle(id) {
  const row = document.getElementById(`ticket-${id}`);
  const button = row.querySelector("button.expand");
  if (expanded.has(id)) {
    expanded.delete(id);
    document.getElementById(`history-${id}`)?.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  expanded.add(id);
  button.setAttribute("aria-expanded", "true");
  row.after(detailRow(id));
  await fillHistory(id);
}

function replaceRow(ticket) {
  const old = document.getElementById(`ticket-${ticket.id}`);
  if (!old) return;
  if (old.querySelector("form.note-form:not(.hidden)")) return; // someone is typing
  tickets.set(ticket.id, ticket);
  old.replaceWith(ticketRow(ticket));
  if (expanded.has(ticket.id)) fillHistory(ticket.id);
}

async function refreshTicket(id, updated) {
  try {
    const data = updated && updated.state ? updated : await request(`/api/v1/tickets/${id}`);
    const ticket = data.ticket ?? data;
    const old = document.getElementById(`ticket-${id}`);
    if (old) {
      tickets.set(id, ticket);
      old.replaceWith(ticketRow(ticket));
    }
    if (expanded.has(id)) await fillHistory(id);
  } catch (err) {
    showError(err);
  }
}

async function load() {
  const q = query();
  history.replaceState(null, "", q.toString() ? `?${q}${location.hash}` : `${location.pathname}${location.hash}`);
  const data = await request(`/api/v1/tickets?${q}`);
  const list = data.tickets ?? [];
  tickets.clear();
  newIds = new Set();
  document.getElementById("new-tickets").classList.add("hidden");
  const rows = [];
  for (const ticket of list) {
    tickets.set(ticket.id, ticket);
    rows.push(ticketRow(ticket));
    if (expanded.has(ticket.id)) rows.push(detailRow(ticket.id));
  }
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 9, class: "muted" }, t("tickets.none")))]));
  document.getElementById("ticket-count").textContent =
    (list.length === 1 ? t("tickets.count-1") : t("tickets.count", { n: fmtNum(list.length) })) +
    (list.length >= Number(q.get("limit") ?? 100) ? t("tickets.limit") : "");
  for (const id of expanded) if (tickets.has(id)) fillHistory(id);
  document.body.dataset.loaded = "1";
}

function onTickets(message) {
  for (const ticket of message?.tickets ?? []) {
    if (tickets.has(ticket.id)) replaceRow(ticket);
    else if (matchesFilters(ticket)) newIds.add(ticket.id);
  }
  const button = document.getElementById("new-tickets");
  if (newIds.size) {
    button.textContent = t("tickets.new", { n: fmtNum(newIds.size) });
    button.classList.remove("hidden");
  }
}

async function start() {
  options(form.elements.operator, OPERATORS, operatorLabel);
  options(form.elements.problem, PROBLEMS, problemLabel);
  options(form.elements.province, Object.keys(PROVINCES), (c) => `${PROVINCES[c]} (${c})`);
  readQuery();
  const hash = /^#ticket-(\d+)$/.exec(location.hash);
  if (hash) expanded.add(Number(hash[1]));
  try {
    account = await initTopbar();
  } catch (err) {
    showError(err);
    return;
  }
  if (account.operator) {
    // a scoped account sees one network: the filter would only ever show it
    form.elements.operator.replaceChildren(el("option", { value: account.operator }, operatorLabel(account.operator)));
    form.elements.operator.disabled = true;
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load().catch(showError);
  });
  for (const name of ["state", "operator", "problem", "province", "limit"]) {
    form.elements[name].addEventListener("change", () => load().catch(showError));
  }
  document.getElementById("new-tickets").addEventListener("click", () => load().catch(showError));
  openEvents("/api/v1/events", {
    hello: () => {
      if (helloSeen++) load().catch(showError); // a reconnection: changes may have gone by
    },
    tickets: onTickets,
    resync: () => load().catch(showError),
  }, liveIndicator(document.getElementById("live")));
  await load().catch(showError);
  if (hash) document.getElementById(`ticket-${hash[1]}`)?.scrollIntoView({ block: "center" });
}

start();
