// Shared by every page: API calls with the session's CSRF token, error display,
// formatting, the top bar. Plain ES module, no dependencies but ./i18n.js.

import {
  formatNumber, formatTime, has, lang, t, timeElement, toDate, translatePage, wallClock, zoneOf,
} from "./i18n.js";
import "./words.js";

export { formatTime, t, timeElement, toDate, translatePage };

// draw order: worst on top; "sms": data down, kit alive (its newest news is a lifeline SMS)
export const STATUS_ORDER = ["ok", "silent", "sms", "degraded", "down"];
export const STATUS_COLOURS = {
  ok: "#1e9e4a",
  degraded: "#e09b00",
  down: "#d62828",
  silent: "#8a8f96",
  sms: "#7b3fbf",
};

/** Kemendagri province codes (38 provinces since 2022). */
export const PROVINCES = {
  11: "Aceh", 12: "Sumatera Utara", 13: "Sumatera Barat", 14: "Riau", 15: "Jambi",
  16: "Sumatera Selatan", 17: "Bengkulu", 18: "Lampung", 19: "Kepulauan Bangka Belitung",
  21: "Kepulauan Riau", 31: "DKI Jakarta", 32: "Jawa Barat", 33: "Jawa Tengah",
  34: "DI Yogyakarta", 35: "Jawa Timur", 36: "Banten", 51: "Bali",
  52: "Nusa Tenggara Barat", 53: "Nusa Tenggara Timur", 61: "Kalimantan Barat",
  62: "Kalimantan Tengah", 63: "Kalimantan Selatan", 64: "Kalimantan Timur",
  65: "Kalimantan Utara", 71: "Sulawesi Utara", 72: "Sulawesi Tengah",
  73: "Sulawesi Selatan", 74: "Sulawesi Tenggara", 75: "Gorontalo", 76: "Sulawesi Barat",
  81: "Maluku", 82: "Maluku Utara", 91: "Papua", 92: "Papua Barat", 93: "Papua Selatan",
  94: "Papua Tengah", 95: "Papua Pegunungan", 96: "Papua Barat Daya",
};
const PROVINCE_BY_NAME = new Map(
  Object.entries(PROVINCES).map(([code, name]) => [name.toLowerCase(), code]),
);
PROVINCE_BY_NAME.set("daerah istimewa yogyakarta", "34");

/** A province as a two-digit code, whether given as a code, a name or a TPS code. */
export function provinceCode(value) {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (/^\d{2}$/.test(text)) return text;
  if (/^\d{13}$/.test(text)) return text.slice(0, 2);
  return PROVINCE_BY_NAME.get(text.toLowerCase()) ?? null;
}

export function provinceName(value) {
  const code = provinceCode(value);
  return code && PROVINCES[code] ? PROVINCES[code] : value ? String(value) : t("unknown");
}

/** MNC (MCC 510) -> operator brand. */
const OPERATORS_510 = {
  "00": "PSN", "01": "Indosat", "03": "Indosat", "07": "Telkomsel", "08": "XL",
  "09": "Smartfren", 10: "Telkomsel", 11: "XL", 20: "Telkomsel", 21: "Indosat",
  27: "Net1", 28: "Smartfren", 78: "Hinet", 88: "BOLT", 89: "Indosat (3)", 99: "Smartfren",
};

/** "510-10" -> "Telkomsel (510-10)"; queues such as "field-team" as they are. */
export function operatorLabel(value) {
  if (value === null || value === undefined || value === "") return t("unknown");
  if (typeof value === "object") {
    const code = value.mcc && value.mnc ? `${value.mcc}-${value.mnc}` : "";
    return value.name ? `${value.name}${code ? ` (${code})` : ""}` : code || t("unknown");
  }
  const m = /^(\d{3})-?(\d{2,3})$/.exec(String(value));
  if (m && m[1] === "510") {
    const mnc = m[2].length === 3 && m[2][0] === "0" ? m[2].slice(1) : m[2];
    const name = OPERATORS_510[mnc];
    if (name) return `${name} (${value})`;
  }
  return String(value);
}

/** An operator object or string as MCC-MNC. */
export function operatorCode(value) {
  if (value && typeof value === "object") {
    return value.mcc && value.mnc ? `${value.mcc}-${value.mnc}` : value.code ?? null;
  }
  return value ?? null;
}

// -- calls ---------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let mePromise = null;

/** The session's account: {username, role, operator, csrf_token}; cached per page. */
export function me({ refresh = false } = {}) {
  if (!mePromise || refresh) mePromise = request("/api/v1/me");
  return mePromise;
}

export function loginUrl() {
  const here = location.pathname + location.search;
  return here === "/" || here.startsWith("/login") ? "/login" : `/login?next=${encodeURIComponent(here)}`;
}

/** The error codes of collector/web's answers ({"error": code, "message": ...}). */
const ERROR_BY_STATUS = { 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict" };

/**
 * What a failed call means, in the reader's language: the text for the answer's error
 * code (else its HTTP status); in English the server's own detail follows.
 */
export function explainError(status, code, detail = "", retryAfter = null) {
  const wait = retryAfter ? t("error.wait-s", { n: retryAfter }) : t("error.wait-moment");
  let text;
  if (has(`error.${code}`)) text = t(`error.${code}`, { wait, status });
  else if (ERROR_BY_STATUS[status]) text = t(`error.${ERROR_BY_STATUS[status]}`, { wait, status });
  else text = t("error.http", { status });
  // the server's detail is English: shown to English readers only
  return detail && lang() === "en" ? `${text} ${detail}` : text;
}

/**
 * fetch() for the API: JSON in and out, the CSRF token on state-changing requests, a
 * redirect to the login page on 401 (unless `allow401`), ApiError for any other failure.
 */
export async function request(path, { method = "GET", body, allow401 = false, signal } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin", signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET" && method !== "HEAD" && path !== "/api/v1/login") {
    const account = await me();
    if (account && account.csrf_token) headers["X-CSRF-Token"] = account.csrf_token;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", explainError(0, "network"));
  }
  if (response.status === 401 && !allow401) {
    location.assign(loginUrl());
    throw new ApiError(401, "unauthorized", explainError(401, "unauthorized"));
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    const code = (data && data.error) || `http_${response.status}`;
    const detail = data && typeof data.message === "string" ? data.message : "";
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    const error = new ApiError(response.status, code, explainError(response.status, code, detail, retryAfter));
    error.detail = detail;
    error.retryAfter = retryAfter;
    throw error;
  }
  return data;
}

export async function logout() {
  try {
    await request("/api/v1/logout", { method: "POST", allow401: true });
  } finally {
    mePromise = null;
    location.assign("/login");
  }
}

// -- messages ------------------------------------------------------------------------

function messageArea() {
  let area = document.getElementById("messages");
  if (!area) {
    area = el("div", { id: "messages", class: "messages", role: "status", "aria-live": "polite" });
    document.body.prepend(area);
  }
  return area;
}

export function showMessage(text, { kind = "error", timeoutMs = 0 } = {}) {
  const close = el("button", { type: "button", "aria-label": t("msg.dismiss") }, "×");
  const box = el("div", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" },
    el("span", {}, text), close);
  close.addEventListener("click", () => box.remove());
  messageArea().append(box);
  if (timeoutMs) setTimeout(() => box.remove(), timeoutMs);
  return box;
}

export function showError(err) {
  if (err && err.name === "AbortError") return;
  if (err instanceof ApiError && err.status === 401) return; // redirecting
  console.error(err);
  showMessage(err && err.message ? err.message : String(err));
}

// -- DOM -----------------------------------------------------------------------------

/** el("a", {href: "/x", class: "y"}, "text", child) — text is never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The reader's word for a value from the server (`prefix.value`), else the value. */
export function word(prefix, value) {
  if (value === null || value === undefined || value === "") return t("unknown");
  return has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : String(value);
}

export function statusBadge(status) {
  return el("span", { class: `status ${status || "silent"}`, "data-value": status || "" }, word("status", status));
}

export function stateBadge(state) {
  return el("span", { class: `state ${state}`, "data-value": state }, word("state", state));
}

/** A problem code (WEAK_SIGNAL) as the reader's words. */
export function problemLabel(problem) {
  return word("problem", problem);
}

// -- formatting ----------------------------------------------------------------------

/** A time at `place` (TPS code, province code, or none: WIB): "4 Des 2026 14:05:07 WITA". */
export function fmtTime(value, place = null) {
  return formatTime(value, place);
}

/** "14:05:07" on the wall clock of `place`'s zone (WIB without one). */
export function fmtClock(value, place = null, { seconds = true } = {}) {
  return wallClock(value, zoneOf(place), { seconds });
}

export function fmtAgo(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return t("ago.never");
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 90) return t("ago.s", { n: s });
  if (s < 5400) return t("ago.min", { n: Math.round(s / 60) });
  if (s < 172800) return t("ago.h", { n: Math.round(s / 3600) });
  return t("ago.d", { n: Math.round(s / 86400) });
}

export function fmtNum(value, digits = 0, unit = "") {
  if (value === null || value === undefined || value === "" || !Number.isFinite(Number(value))) return "-";
  return `${formatNumber(Number(value), digits)}${unit ? ` ${unit}` : ""}`;
}

export function fmtBps(value) {
  if (value === null || value === undefined) return "-";
  if (value >= 1e6) return `${formatNumber(value / 1e6, 1)} Mbit/s`;
  if (value >= 1e3) return `${formatNumber(value / 1e3, 0)} kbit/s`;
  return `${formatNumber(Math.round(value), 0)} bit/s`;
}

export function fmtPercent(ratio, digits = 0) {
  if (ratio === null || ratio === undefined) return "-";
  return `${formatNumber(Number(ratio) * 100, digits)} %`;
}

/** The first field present among `names` (the API's field names, defensively). */
export function pick(obj, ...names) {
  if (!obj) return undefined;
  for (const name of names) {
    if (obj[name] !== undefined && obj[name] !== null) return obj[name];
  }
  return undefined;
}

export function canAct(account) {
  return !!account && (account.role === "operator" || account.role === "admin");
}

// -- the top bar ---------------------------------------------------------------------

/** Fills the top bar's account box (name, role, scope, logout); returns the account. */
export async function initTopbar() {
  const account = await me();
  const who = document.getElementById("who");
  if (who) {
    const scope = account.operator ? operatorLabel(account.operator) : t("who.all-networks");
    who.replaceChildren(
      el("span", { class: "who", id: "who-name" }, account.username),
      " · ",
      el("span", { class: "who", id: "who-role", "data-value": account.role }, word("role", account.role)),
      " · ",
      el("span", { class: "who", id: "who-scope" }, scope),
    );
  }
  const button = document.getElementById("logout");
  if (button) button.addEventListener("click", () => logout());
  return account;
}

/** A live indicator bound to an EventSource's state. */
export function liveIndicator(node) {
  return {
    set(state, text) {
      if (!node) return;
      node.dataset.state = state;
      node.textContent = t(`live.${text ?? state}`);
    },
  };
}

/**
 * EventSource with a re-login check: the browser reconnects by itself after network
 * errors; when the server refuses (401 after the session ended) the source closes, so
 * check the session and open a new one after a pause.
 */
export function openEvents(url, handlers, indicator) {
  let source = null;
  let retryMs = 2000;
  let lastEvent = null;
  let closed = false;
  const stamp = () => {
    lastEvent = new Date();
    const at = document.getElementById("last-update");
    if (at) {
      at.textContent = t("top.updated", { time: formatTime(lastEvent, null, { date: false }) });
      at.dateTime = lastEvent.toISOString();
      at.title = timeElement(lastEvent).title;
    }
  };
  const open = () => {
    if (closed) return;
    source = new EventSource(url, { withCredentials: true });
    indicator?.set("connecting", "connecting");
    source.addEventListener("open", () => {
      retryMs = 2000;
      indicator?.set("live", "live");
    });
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => {
        stamp();
        let data = null;
        try {
          data = event.data ? JSON.parse(event.data) : null;
        } catch (err) {
          console.error(`bad ${name} event`, err);
          return;
        }
        try {
          handler(data);
        } catch (err) {
          showError(err);
        }
      });
    }
    source.addEventListener("error", async () => {
      if (source.readyState === EventSource.CONNECTING) {
        indicator?.set("connecting", "reconnecting");
        return;
      }
      indicator?.set("offline", "offline");
      source.close();
      try {
        await me({ refresh: true }); // redirects to the login page on 401
      } catch {
        // the collector is unreachable: keep trying
      }
      setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 30000);
    });
  };
  open();
  return {
    close: () => {
      closed = true;
      source?.close();
      indicator?.set("offline", "offline");
    },
    last: () => lastEvent,
  };
}
