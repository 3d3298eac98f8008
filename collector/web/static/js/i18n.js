// The operations centre's words in Bahasa Indonesia and English.
//
// Each page module registers its own table with registerStrings({en: {...}, id: {...}})
// and writes every visible string as t("key", {name: value}). A key missing from either
// language is a bug (tests walk every page in both languages).

const TABLES = { en: {}, id: {} };
export const LANGUAGES = ["id", "en"];

export function registerStrings(table) {
  for (const lang of LANGUAGES) Object.assign(TABLES[lang], table[lang] || {});
}

export function lang() {
  const stored = globalThis.localStorage?.getItem("pantau.lang");
  return LANGUAGES.includes(stored) ? stored : "id";
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
