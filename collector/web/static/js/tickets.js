// The tickets list: filters, each ticket expandable to its history, acknowledge and
// resolve with a note; live changes update the rows in place.

import {
  PROVINCES, canAct, el, fmtTime, initTopbar, liveIndicator, openEvents, operatorLabel,
  provinceName, request, showError, stateBadge,
} from "./api.js";
import { ticketActions, ticketHistory, ticketTime } from "./tickets-ui.js";

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

function matchesFilters(t) {
  const q = query();
  const state = q.get("state") ?? "";
  if (state === "" && t.state === "resolved") return false;
  if (state && state !== "all" && t.state !== state) return false;
  if (q.get("operator") && t.operator !== q.get("operator")) return false;
  if (q.get("problem") && t.problem !== q.get("problem")) return false;
  if (q.get("province") && String(t.province ?? t.site_code.slice(0, 2)) !== q.get("province")) return false;
  if (q.get("site") && t.site_code !== q.get("site")) return false;
  return true;
}

function ticketRow(t) {
  const expand = el("button", {
    type: "button", class: "secondary expand", "aria-expanded": expanded.has(t.id) ? "true" : "false",
    "aria-controls": `history-${t.id}`, "data-action": "history",
  }, "History");
  expand.addEventListener("click", () => toggle(t.id));
  const actions = el("div", { class: "actions" }, expand,
    canAct(account) ? ticketActions(t, account, (updated) => refreshTicket(t.id, updated)) : null);
  return el("tr", { id: `ticket-${t.id}`, "data-ticket": t.id, "data-state": t.state },
    el("td", {}, String(t.id)),
    el("td", {}, el("a", { href: `/site/${encodeURIComponent(t.site_code)}`, class: "mono" }, t.site_code)),
    el("td", {}, provinceName(t.province ?? t.site_code)),
    el("td", {}, t.operator_name && /^\d{3}-\d{2,3}$/.test(t.operator) ? `${t.operator_name} (${t.operator})` : operatorLabel(t.operator)),
    el("td", {}, t.problem),
    el("td", { "data-field": "state" }, stateBadge(t.state),
      t.historical ? el("span", { class: "muted" }, " historical") : null,
      t.escalated ? el("span", { class: "muted" }, " escalated") : null),
    el("td", {}, fmtTime(ticketTime(t, "opened"))),
    el("td", {}, fmtTime(ticketTime(t, "last_bad"))),
    el("td", {}, actions));
}

function detailRow(id) {
  return el("tr", { class: "detail", id: `history-${id}`, "data-history": id },
    el("td", { colspan: 9 }, el("span", { class: "muted" }, "Loading history…")));
}

async function fillHistory(id) {
  const row = document.getElementById(`history-${id}`);
  if (!row) return;
  try {
    const { node } = await ticketHistory(id);
    row.firstElementChild.replaceChildren(el("h3", {}, `History of ticket ${id}`), node);
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

function replaceRow(t) {
  const old = document.getElementById(`ticket-${t.id}`);
  if (!old) return;
  if (old.querySelector("form.note-form:not(.hidden)")) return; // someone is typing
  tickets.set(t.id, t);
  old.replaceWith(ticketRow(t));
  if (expanded.has(t.id)) fillHistory(t.id);
}

async function refreshTicket(id, updated) {
  try {
    const data = updated && updated.state ? updated : await request(`/api/v1/tickets/${id}`);
    const t = data.ticket ?? data;
    const old = document.getElementById(`ticket-${id}`);
    if (old) {
      tickets.set(id, t);
      old.replaceWith(ticketRow(t));
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
  for (const t of list) {
    tickets.set(t.id, t);
    rows.push(ticketRow(t));
    if (expanded.has(t.id)) rows.push(detailRow(t.id));
  }
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 9, class: "muted" }, "No tickets match."))]));
  document.getElementById("ticket-count").textContent =
    `${list.length} ticket${list.length === 1 ? "" : "s"}${list.length >= Number(q.get("limit") ?? 100) ? " (limit reached)" : ""}`;
  for (const id of expanded) if (tickets.has(id)) fillHistory(id);
  document.body.dataset.loaded = "1";
}

function onTickets(message) {
  for (const t of message?.tickets ?? []) {
    if (tickets.has(t.id)) replaceRow(t);
    else if (matchesFilters(t)) newIds.add(t.id);
  }
  const button = document.getElementById("new-tickets");
  if (newIds.size) {
    button.textContent = `${newIds.size} new — show`;
    button.classList.remove("hidden");
  }
}

async function start() {
  options(form.elements.operator, OPERATORS, operatorLabel);
  options(form.elements.problem, PROBLEMS, (p) => p);
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
