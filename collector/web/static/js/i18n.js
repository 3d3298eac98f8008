// The operations centre's words in Bahasa Indonesia and English, its numbers and dates
// in the reader's language, and its times in the site's local zone.
//
// Each page module registers its own table with registerStrings({en: {...}, id: {...}})
// and writes every visible string as t("key", {name: value}). A key missing from either
// language is a bug (tests walk every page in both languages, and a static test checks
// every literal t("...") key): t() logs "untranslated key" with console.error.
// Static text of the HTML pages carries data-i18n="key" (text), data-i18n-title,
// data-i18n-aria-label and data-i18n-placeholder; translatePage() fills them.
//
// Tables are written one "key": "text" pair a line, in an `en: {` block and an `id: {`
// block: tests/collector/web/test_web_i18n_keys.py reads them that way.

const TABLES = { en: {}, id: {} };
export const LANGUAGES = ["id", "en"];
const STORE_KEY = "pantau.lang";
/** Locales for Intl: Indonesian ("1.234,5", "4 Des 2026"), English in en-GB style. */
const LOCALES = { id: "id-ID", en: "en-GB" };

export function registerStrings(table) {
  for (const language of LANGUAGES) Object.assign(TABLES[language], table[language] || {});
}

function stored() {
  try {
    return globalThis.localStorage?.getItem(STORE_KEY) ?? null;
  } catch {
    return null; // storage refused (privacy settings): the default then
  }
}

// ?lang=en (or id) chooses the language and remembers it, as the switch does.
(() => {
  const asked = globalThis.location ? new URLSearchParams(location.search).get("lang") : null;
  if (LANGUAGES.includes(asked)) {
    try {
      globalThis.localStorage?.setItem(STORE_KEY, asked);
    } catch {
      // not remembered; this page still uses it below
    }
    globalThis.pantauAskedLang = asked;
  }
})();

let current = null; // read once: a change of language shows the page again (setLang)

/** The reader's language: ?lang=, else the remembered choice, else Indonesian. */
export function lang() {
  if (current) return current;
  const asked = globalThis.pantauAskedLang;
  const remembered = stored();
  current = LANGUAGES.includes(asked) ? asked : LANGUAGES.includes(remembered) ? remembered : "id";
  return current;
}

export function locale() {
  return LOCALES[lang()];
}

/** Chooses a language, remembers it and shows the page again in it. */
export function setLang(language) {
  if (!LANGUAGES.includes(language)) throw new Error(`no language ${language}`);
  try {
    globalThis.localStorage?.setItem(STORE_KEY, language);
  } catch {
    // not remembered: only this page changes
  }
  globalThis.pantauAskedLang = language;
  current = language;
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.delete("lang");
    location.replace(url.toString());
  } else {
    location.reload();
  }
}

/** Whether `key` has a text in the current language (for codes from the server). */
export function has(key) {
  return TABLES[lang()][key] !== undefined;
}

/** The text for `key` in the current language, with {name} placeholders filled. */
export function t(key, vars = {}) {
  const text = TABLES[lang()][key];
  if (text === undefined) {
    console.error(`untranslated key ${key} (${lang()})`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

// -- numbers ---------------------------------------------------------------------------

const numberFormats = new Map();
/**
 * A number in the reader's style with `digits` decimals ("1.234,5" / "1,234.5"); with
 * `trim`, trailing zero decimals are left out (axis labels).
 */
export function formatNumber(value, digits = 0, { trim = false } = {}) {
  const cacheKey = `${lang()}:${digits}:${trim}`;
  let format = numberFormats.get(cacheKey);
  if (!format) {
    format = new Intl.NumberFormat(locale(), { minimumFractionDigits: trim ? 0 : digits, maximumFractionDigits: digits });
    numberFormats.set(cacheKey, format);
  }
  return format.format(value);
}

// -- time zones ------------------------------------------------------------------------

/**
 * Indonesia's three zones by province code (Kemendagri): the one table of them. None
 * keeps daylight saving time, so each is a fixed offset from UTC.
 */
export const ZONES = {
  WIB: { utcOffsetH: 7, tz: "Asia/Jakarta", provinces: ["11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36", "61", "62"] },
  WITA: { utcOffsetH: 8, tz: "Asia/Makassar", provinces: ["51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"] },
  WIT: { utcOffsetH: 9, tz: "Asia/Jayapura", provinces: ["81", "82", "91", "92", "93", "94", "95", "96"] },
};
const ZONE_OF_PROVINCE = new Map(
  Object.entries(ZONES).flatMap(([name, zone]) => zone.provinces.map((p) => [p, name])),
);

/**
 * The zone ("WIB", "WITA", "WIT") of a site or province, given as a TPS code, a
 * two-digit province code or nothing (WIB: the zone of the capital, where no site is
 * involved).
 */
export function zoneOf(place) {
  const text = place === null || place === undefined ? "" : String(place).trim();
  return ZONE_OF_PROVINCE.get(text.slice(0, 2)) ?? "WIB";
}

const pad = (n) => String(n).padStart(2, "0");

/** A time as ISO text, epoch ns, epoch ms, epoch s or Date -> Date (or null). */
export function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    if (value > 1e17) return new Date(value / 1e6); // ns
    if (value > 1e11) return new Date(value); // ms
    return new Date(value * 1000); // s
  }
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const partFormats = new Map();
function wallParts(d, zone) {
  let format = partFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone: ZONES[zone].tz, year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric", hourCycle: "h23",
    });
    partFormats.set(zone, format);
  }
  const parts = {};
  for (const p of format.formatToParts(d)) parts[p.type] = p.value;
  return parts;
}

const dateFormats = new Map();
/** "4 Des 2026" / "4 Dec 2026": the date of `value` in `zone`. */
export function formatDate(value, zone = "WIB") {
  const d = toDate(value);
  if (!d) return "-";
  const cacheKey = `${lang()}:${zone}`;
  let format = dateFormats.get(cacheKey);
  if (!format) {
    format = new Intl.DateTimeFormat(locale(), { timeZone: ZONES[zone].tz, day: "numeric", month: "short", year: "numeric" });
    dateFormats.set(cacheKey, format);
  }
  return format.format(d);
}

/** "14:05" (or with seconds) on the wall clock of `zone`, without the zone's name. */
export function wallClock(value, zone = "WIB", { seconds = false } = {}) {
  const d = toDate(value);
  if (!d) return "-";
  const p = wallParts(d, zone);
  return `${pad(p.hour)}:${pad(p.minute)}${seconds ? `:${pad(p.second)}` : ""}`;
}

/** "2026-12-04 06:05:07 UTC": the same moment in UTC, shown on hover. */
export function utcText(value) {
  const d = toDate(value);
  if (!d) return "";
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/**
 * A time as people read it at `place` (a TPS code, a province code, or nothing for
 * WIB): "4 Des 2026 14:05:07 WITA"; `date: false` leaves the date out.
 */
export function formatTime(value, place = null, { date = true, seconds = true } = {}) {
  const d = toDate(value);
  if (!d) return "-";
  const zone = zoneOf(place);
  const clock = `${wallClock(d, zone, { seconds })} ${zone}`;
  return date ? `${formatDate(d, zone)} ${clock}` : clock;
}

/**
 * A <time> element showing `value` at `place` (see formatTime), with its UTC moment in
 * the title (on hover) and in datetime; "-" when there is no time.
 */
export function timeElement(value, place = null, options = {}) {
  const node = document.createElement("time");
  const d = toDate(value);
  node.textContent = formatTime(d, place, options);
  if (d) {
    node.dateTime = d.toISOString();
    node.title = utcText(d);
    node.dataset.zone = zoneOf(place);
  }
  return node;
}

// -- the page --------------------------------------------------------------------------

const ATTRIBUTES = [["data-i18n-title", "title"], ["data-i18n-aria-label", "aria-label"], ["data-i18n-placeholder", "placeholder"]];

/** Fills the static text of `root` (data-i18n...), the <html lang> and the switch. */
export function translatePage(root = document) {
  document.documentElement.lang = lang();
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const [data, attribute] of ATTRIBUTES) {
    for (const node of root.querySelectorAll(`[${data}]`)) node.setAttribute(attribute, t(node.getAttribute(data)));
  }
  for (const button of document.querySelectorAll("#lang-switch button[data-lang]")) {
    const mine = button.dataset.lang === lang();
    button.setAttribute("aria-pressed", mine ? "true" : "false");
    if (!button.dataset.wired) {
      button.dataset.wired = "1";
      button.addEventListener("click", () => {
        if (button.dataset.lang !== lang()) setLang(button.dataset.lang);
      });
    }
  }
}

registerStrings({
  en: {
    "lang.switch": "Language",
    "lang.id": "Bahasa Indonesia",
    "lang.en": "English",
  },
  id: {
    "lang.switch": "Bahasa",
    "lang.id": "Bahasa Indonesia",
    "lang.en": "Inggris",
  },
});
