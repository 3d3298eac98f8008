// The overview's trouble list (the sites that are down, degraded, silent or heard only
// by SMS ("sms": data down, kit alive): why, since when, operator, province; sortable
// by each column, the worst first, at most LIMIT rows with a count of the rest), the search box's words, and the map's hover label.
// Fed from the dashboard's live site rows, so it follows the live stream like the map.

import { el, fmtAgo, fmtTime, operatorLabel, provinceName, statusBadge } from "./api.js";
import { registerStrings, t } from "./i18n.js";

registerStrings({
  en: {
    "trouble.title": "Sites in trouble",
    "trouble.site": "TPS",
    "trouble.status": "Status",
    "trouble.problem": "Problem",
    "trouble.since": "Since",
    "trouble.operator": "Operator",
    "trouble.province": "Province",
    "trouble.none": "No site is down, degraded, silent or heard only by SMS.",
    "trouble.count": "{count} sites in trouble",
    "trouble.more": "and {count} more: sort or filter to see them",
    "trouble.silent": "not heard from",
    "trouble.sms": "data down, kit alive (heard by SMS)",
    "trouble.sort": "Sort by {column}",
    "search.placeholder": "3171, Jakarta, Telkomsel",
    "search.found": "{count} sites match “{text}”",
    "search.none": "No site matches “{text}”.",
    "search.clear": "Clear the search",
    "map.cluster": "{count} sites: {down} down, {degraded} degraded, {sms} data down but kit alive, {silent} silent, {ok} ok",
  },
  id: {
    "trouble.title": "TPS bermasalah",
    "trouble.site": "TPS",
    "trouble.status": "Status",
    "trouble.problem": "Masalah",
    "trouble.since": "Sejak",
    "trouble.operator": "Operator",
    "trouble.province": "Provinsi",
    "trouble.none": "Tidak ada TPS yang mati, terganggu, tanpa kabar, atau hanya terdengar lewat SMS.",
    "trouble.count": "{count} TPS bermasalah",
    "trouble.more": "dan {count} lainnya: urutkan atau saring untuk melihatnya",
    "trouble.silent": "tidak ada kabar",
    "trouble.sms": "data terputus, kit hidup (terdengar lewat SMS)",
    "trouble.sort": "Urutkan menurut {column}",
    "search.placeholder": "3171, Jakarta, Telkomsel",
    "search.found": "{count} TPS cocok dengan “{text}”",
    "search.none": "Tidak ada TPS yang cocok dengan “{text}”.",
    "search.clear": "Hapus pencarian",
    "map.cluster": "{count} TPS: {down} mati, {degraded} terganggu, {sms} data terputus tetapi kit hidup, {silent} tanpa kabar, {ok} normal",
  },
});

export const LIMIT = 50;
const SEVERITY = { down: 0, silent: 1, sms: 2, degraded: 3 };

function operatorText(row) {
  if (row.operator) return operatorLabel(row.operator);
  return row.networks.length ? row.networks.map(operatorLabel).join(", ") : "-";
}

function problemText(row) {
  if (row.problems.length) return row.problems.join(", ");
  return t(row.status === "sms" ? "trouble.sms" : "trouble.silent");
}

const sinceOf = (row) => (row.since ? Date.parse(row.since) : Infinity);
const byCode = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
const byText = (f) => (a, b) => f(a).localeCompare(f(b)) || byCode(a, b);

/** Column key -> [label key, compare (ascending)]. */
const COLUMNS = {
  site: ["trouble.site", byCode],
  status: ["trouble.status", (a, b) => SEVERITY[a.status] - SEVERITY[b.status] || sinceOf(a) - sinceOf(b) || byCode(a, b)],
  problem: ["trouble.problem", byText(problemText)],
  since: ["trouble.since", (a, b) => sinceOf(a) - sinceOf(b) || byCode(a, b)],
  operator: ["trouble.operator", byText(operatorText)],
  province: ["trouble.province", (a, b) => byText((r) => provinceName(r.provinceCode))(a, b)],
};

export class TroubleList {
  constructor(section) {
    this.section = section;
    this.sort = { key: "status", dir: 1 }; // the worst, longest in trouble, first
    this.rows = [];
    this.title = el("h2", { id: "trouble-title" }, t("trouble.title"));
    this.count = el("p", { class: "muted", id: "trouble-count", "aria-live": "polite" });
    this.head = el("tr");
    this.body = el("tbody");
    this.more = el("p", { class: "muted", id: "trouble-more" });
    this.table = el("table", { id: "trouble-table" }, el("thead", {}, this.head), this.body);
    section.replaceChildren(this.title, this.count, el("div", { class: "table-wrap" }, this.table), this.more);
    this.renderHead();
  }

  renderHead() {
    this.head.replaceChildren(...Object.entries(COLUMNS).map(([key, [label]]) => {
      const sorted = this.sort.key === key;
      const button = el("button", {
        type: "button", class: "linklike", "data-sort": key,
        "aria-label": t("trouble.sort", { column: t(label) }),
      }, t(label), sorted ? (this.sort.dir > 0 ? " ▲" : " ▼") : "");
      button.addEventListener("click", () => {
        this.sort = { key, dir: sorted ? -this.sort.dir : 1 };
        this.renderHead();
        this.render();
      });
      return el("th", {
        scope: "col", "data-column": key,
        "aria-sort": sorted ? (this.sort.dir > 0 ? "ascending" : "descending") : "none",
      }, button);
    }));
  }

  /** The rows in view (the dashboard's filters applied); those not ok are listed. */
  update(rows) {
    this.rows = rows.filter((r) => r.status !== "ok");
    this.render();
  }

  render() {
    const compare = COLUMNS[this.sort.key][1];
    const dir = this.sort.dir;
    const sorted = this.rows.slice().sort((a, b) => dir * compare(a, b));
    const shown = sorted.slice(0, LIMIT);
    this.section.dataset.total = String(sorted.length);
    this.count.textContent = sorted.length ? t("trouble.count", { count: sorted.length }) : t("trouble.none");
    this.more.textContent = sorted.length > LIMIT ? t("trouble.more", { count: sorted.length - LIMIT }) : "";
    this.body.replaceChildren(...shown.map((row) => el("tr", { "data-code": row.code, "data-status": row.status },
      el("td", {}, el("a", { href: `/site/${encodeURIComponent(row.code)}`, class: "mono" }, row.code)),
      el("td", {}, statusBadge(row.status)),
      el("td", { "data-field": "problem" }, problemText(row)),
      el("td", { "data-field": "since", title: row.since ? fmtAgo(row.since) : null },
        row.since ? fmtTime(row.since, row.code) : "-"),
      el("td", {}, operatorText(row)),
      el("td", {}, provinceName(row.provinceCode)))));
  }
}

/** The map's hover label: the province, and a cluster's counts. */
export function hoverText(hover) {
  const parts = [];
  if (hover.province) parts.push(provinceName(hover.province.code));
  const c = hover.cluster;
  if (c) parts.push(t("map.cluster", { count: c.n, ...c.counts }));
  return parts.join(" · ");
}
