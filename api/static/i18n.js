// The browser's side of the translations: the same gettext catalogs as the server, fetched as JSON
// from /i18n/<locale>.json (a service worker can keep them for offline use). Messages use named
// placeholders like the server's: _("Order %(number)s is late", { number }).

let messages = {};
let nplurals = 2;
let current = "en";
let tag = "en";

// The locale to show: the user's saved language, else the browser's languages, else the default.
export function choose(saved, available, fallback) {
  const ids = available.map((a) => a.id);
  const match = (wanted) => {
    if (!wanted) return null;
    const norm = wanted.replace(/-/g, "_");
    if (ids.includes(norm)) return norm;
    const language = norm.split("_")[0].toLowerCase();
    return ids.find((id) => id.split("_")[0].toLowerCase() === language) || null;
  };
  return match(saved) || (navigator.languages || [navigator.language]).map(match).find(Boolean) || fallback;
}

// Load a locale's catalog; on failure (offline, no cache) the text stays in English.
export async function load(locale) {
  try {
    const response = await fetch(`/i18n/${encodeURIComponent(locale)}.json`);
    if (!response.ok) throw new Error(`catalog ${locale}: ${response.status}`);
    const body = await response.json();
    messages = body.messages || {};
    nplurals = body.nplurals || 2;
    current = body.locale;
    tag = body.tag;
  } catch (err) {
    console.warn("translations not loaded", err);
  }
  document.documentElement.lang = tag;
  return current;
}

export async function locales() {
  try {
    const response = await fetch("/i18n/locales.json");
    if (response.ok) return response.json();
  } catch { /* offline without a cached copy */ }
  return { default: "en", available: [{ id: "en", tag: "en", name: "English" }] };
}

export const locale = () => current;
export const languageTag = () => tag;

function fill(text, params) {
  if (!params) return text;
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function _(msgid, params) {
  const found = messages[msgid];
  return fill(typeof found === "string" && found ? found : msgid, params);
}

export function ngettext(singular, plural, n, params = {}) {
  const forms = messages[singular];
  const index = nplurals === 1 ? 0 : n === 1 ? 0 : 1;
  const chosen = Array.isArray(forms) && forms[index] ? forms[index] : n === 1 ? singular : plural;
  return fill(chosen, { num: n, ...params });
}
