// The site page's operators side by side: what a kit with a modem per operator
// measured at this TPS in the last hour (GET /api/v1/sites/{code}, "operators").

import { el, fmtBps, fmtNum, fmtPercent, t, timeElement, word } from "./api.js";
import { registerStrings } from "./i18n.js";

registerStrings({
  en: {
    "ops.title": "Operators at this TPS",
    "ops.hint": "Each modem of the kit, last hour; coverage from the hour's median RSRP and SINR.",
    "ops.operator": "Operator",
    "ops.modem": "Modem",
    "ops.coverage": "Coverage",
    "ops.radio": "Radio",
    "ops.ping": "Ping (loss)",
    "ops.throughput": "Down / up",
    "ops.reading": "Latest reading",
    "ops.none-measured": "No operator measured in the last hour.",
    "ops.class-strong": "strong",
    "ops.class-medium": "medium",
    "ops.class-weak": "weak",
    "ops.class-none": "none",
    "ops.class-unknown": "unknown",
  },
  id: {
    "ops.title": "Operator di TPS ini",
    "ops.hint": "Setiap modem kit, satu jam terakhir; cakupan dari median RSRP dan SINR selama satu jam.",
    "ops.operator": "Operator",
    "ops.modem": "Modem",
    "ops.coverage": "Cakupan",
    "ops.radio": "Radio",
    "ops.ping": "Ping (hilang)",
    "ops.throughput": "Unduh / unggah",
    "ops.reading": "Pembacaan terakhir",
    "ops.none-measured": "Belum ada operator yang diukur dalam satu jam terakhir.",
    "ops.class-strong": "kuat",
    "ops.class-medium": "sedang",
    "ops.class-weak": "lemah",
    "ops.class-none": "tidak ada",
    "ops.class-unknown": "tidak diketahui",
  },
});

const COLUMNS = ["ops.operator", "ops.modem", "ops.coverage", "ops.radio", "RSRP", "SINR",
  "ops.ping", "ops.throughput", "ops.reading"];

function head(key) {
  return el("th", { scope: "col" }, key.startsWith("ops.") ? t(key) : key);
}

function row(op, place) {
  const name = op.operator_name ? `${op.operator_name} (${op.operator})` : op.operator;
  const radio = [op.rat, op.reg_state].filter(Boolean).map((v) => word("radio", v)).join(" · ");
  const ping = op.ping_median_ms !== null && op.ping_median_ms !== undefined
    ? `${fmtNum(op.ping_median_ms, 1, "ms")} (${fmtPercent(op.loss_ratio)})` : "-";
  const tput = op.download_bps !== null || op.upload_bps !== null
    ? `${op.download_bps !== null ? fmtBps(op.download_bps) : "-"} / ${op.upload_bps !== null ? fmtBps(op.upload_bps) : "-"}` : "-";
  return el("tr", { "data-operator": op.operator, "data-coverage": op.coverage },
    el("th", { scope: "row" }, name),
    el("td", {}, op.modem ?? "-"),
    el("td", { class: `coverage-${op.coverage}` }, t(`ops.class-${op.coverage}`)),
    el("td", {}, radio || "-"),
    el("td", {}, fmtNum(op.rsrp_dbm, 0, "dBm")),
    el("td", {}, fmtNum(op.sinr_db, 0, "dB")),
    el("td", {}, ping),
    el("td", {}, tput),
    el("td", {}, op.time ? timeElement(op.time, place) : "-"));
}

// Fill #site-operators (a section with a table) from the site's "operators" list.
export function renderOperators(section, operators, place) {
  if (!section) return;
  const list = Array.isArray(operators) ? operators : [];
  section.replaceChildren(
    el("h2", { id: "operators-title" }, t("ops.title")),
    el("p", { class: "hint" }, t("ops.hint")),
    list.length
      ? el("div", { class: "table-wrap" }, el("table", { id: "site-operators-table" },
          el("thead", {}, el("tr", {}, ...COLUMNS.map(head))),
          el("tbody", {}, ...list.map((op) => row(op, place)))))
      : el("p", {}, t("ops.none-measured")));
}
