// Page text in the learner's language. Message ids are the English text (gettext style), so
// code stays readable and a missing translation shows English. The server embeds the page's
// catalogue in the HTML (<script id="kp-messages">); main.js installs it before anything is
// drawn, and language.js swaps it when the learner switches language. `t` is safe to call
// before that (English).

let catalogue = {};
let lang = "en"; // "en" | "zh_TW"
let locale = "en"; // BCP 47 for Intl: "en" | "zh-TW"
const numberFormats = new Map();

/** Install a {english: translated} catalogue for `language` ("en" or "zh_TW"). */
export function setCatalogue(messages, language = lang) {
  catalogue = messages || {};
  lang = language === "zh_TW" ? "zh_TW" : "en";
  locale = lang === "zh_TW" ? "zh-TW" : "en";
  numberFormats.clear();
}

/** The catalogue the server embedded in the page, installed; returns its language. */
export function loadEmbedded(doc = document) {
  const node = doc.getElementById("kp-messages");
  let messages = {};
  try {
    messages = JSON.parse(node?.textContent || "{}");
  } catch {
    messages = {};
  }
  setCatalogue(messages, node?.dataset.lang || "en");
  return lang;
}

/** "en" or "zh_TW". */
export const language = () => lang;
/** BCP 47 tag of the language ("en", "zh-TW"), for Intl and <html lang>. */
export const localeTag = () => locale;
/** The installed catalogue (a copy is not needed: callers only read it). */
export const messages = () => catalogue;

/** Translate `msgid`, then fill `{name}` placeholders from `params`. */
export function t(msgid, params) {
  let text = catalogue[msgid] || msgid;
  if (params) text = text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return text;
}

/** A number in the page's locale (Intl.NumberFormat options, cached per option set). */
export function formatNumber(value, options = {}) {
  const key = JSON.stringify(options);
  if (!numberFormats.has(key)) numberFormats.set(key, new Intl.NumberFormat(locale, options));
  return numberFormats.get(key).format(value);
}

/** A date and time in the page's locale. */
export function formatDate(value, options = { dateStyle: "medium", timeStyle: "short" }) {
  return new Intl.DateTimeFormat(locale, options).format(value instanceof Date ? value : new Date(value));
}
