// The tickets page's downloads for the after-action report: the tickets of a window
// (CSV, JSON) and uptime / time to recover per site, operator or province. The links
// follow the page's operator and province filters; the window ends now. Also labels
// each ticket cell with its column's heading, which the phone layout shows (one card
// per ticket instead of a table wider than the screen).

import { el } from "./api.js";
import { registerStrings, t } from "./i18n.js";

registerStrings({
  en: {
    "reports.title": "After-action report",
    "reports.window": "Window",
    "reports.hours": "last {hours} hours",
    "reports.days": "last {days} days",
    "reports.tickets": "Tickets:",
    "reports.uptime": "Uptime and time to recover by {by}:",
    "reports.by.site": "site",
    "reports.by.operator": "operator",
    "reports.by.province": "province",
  },
  id: {
    "reports.title": "Laporan pascakejadian",
    "reports.window": "Rentang waktu",
    "reports.hours": "{hours} jam terakhir",
    "reports.days": "{days} hari terakhir",
    "reports.tickets": "Tiket:",
    "reports.uptime": "Ketersediaan dan waktu pemulihan per {by}:",
    "reports.by.site": "TPS",
    "reports.by.operator": "operator",
    "reports.by.province": "provinsi",
  },
});

const WINDOWS_H = [24, 72, 168, 336];
const section = document.getElementById("reports");
const form = document.getElementById("filters");

function windowLabel(hours) {
  return hours <= 24 ? t("reports.hours", { hours }) : t("reports.days", { days: hours / 24 });
}

const windowSelect = el("select", { id: "report-window", name: "window" },
  ...WINDOWS_H.map((h) => el("option", { value: h }, windowLabel(h))));
const links = []; // [anchor, path, extra params]

function link(id, path, params, text) {
  const a = el("a", { id, href: path, download: true }, text);
  links.push([a, path, params]);
  a.addEventListener("pointerdown", refresh); // the window ends when it is clicked
  a.addEventListener("focus", refresh);
  return a;
}

function refresh() {
  const since = new Date(Date.now() - Number(windowSelect.value) * 3600e3).toISOString();
  for (const [a, path, params] of links) {
    const q = new URLSearchParams({ since, ...params });
    for (const name of ["operator", "province"]) {
      const value = form?.elements[name]?.value;
      if (value) q.set(name, value);
    }
    a.href = `${path}?${q}`;
  }
}

section.replaceChildren(
  el("h2", { id: "reports-title" }, t("reports.title")),
  el("div", { class: "exports" },
    el("label", {}, t("reports.window"), " ", windowSelect),
    el("span", {}, t("reports.tickets"), " ",
      link("export-tickets-csv", "/api/v1/tickets/export", { format: "csv" }, "CSV"), " · ",
      link("export-tickets-json", "/api/v1/tickets/export", { format: "json" }, "JSON")),
    ...["site", "operator", "province"].map((by) => el("span", {},
      t("reports.uptime", { by: t(`reports.by.${by}`) }), " ",
      link(`uptime-${by}-csv`, "/api/v1/reports/uptime", { by, format: "csv" }, "CSV"), " · ",
      link(`uptime-${by}-json`, "/api/v1/reports/uptime", { by, format: "json" }, "JSON")))),
);
windowSelect.addEventListener("change", refresh);
form?.addEventListener("change", refresh);
refresh();

// -- cell labels for the phone layout --------------------------------------------------

const table = document.getElementById("tickets");
function label() {
  const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.querySelectorAll("tbody tr:not(.detail)")) {
    [...row.children].forEach((cell, i) => {
      if (headings[i] && cell.dataset.label !== headings[i]) cell.dataset.label = headings[i];
    });
  }
}
if (table) {
  new MutationObserver(label).observe(table, { childList: true, subtree: true, characterData: true });
  label();
}
