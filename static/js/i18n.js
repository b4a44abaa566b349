// Page text in the learner's language. Message ids are the English text (gettext style), so
// code stays readable and a missing translation shows English. The catalogue is set by main.js
// from /api/messages before anything is drawn; `t` is safe to call before that (English).

let catalogue = {};

/** Install a {english: translated} catalogue. */
export function setCatalogue(messages) {
  catalogue = messages || {};
}

/** Translate `msgid`, then fill `{name}` placeholders from `params`. */
export function t(msgid, params) {
  let text = catalogue[msgid] || msgid;
  if (params) text = text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return text;
}
