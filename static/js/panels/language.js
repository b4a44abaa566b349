// The EN / 中文 switch. Switching is live: the run keeps training. The page's text is translated
// in place (every text node and label attribute whose text is a message of the old catalogue gets
// the new catalogue's text), then a "language" event lets main.js and the panels redraw the text
// they compose themselves. The choice is remembered in the kp_lang cookie (the server renders
// the next page in it), in localStorage, and in the URL's ?lang=.

import { emit } from "../core/hooks.js";
import { language, messages, setCatalogue, t } from "../core/i18n.js";

const ATTRIBUTES = ["title", "aria-label", "placeholder", "alt"];
const SKIP = "script, style, .js-plotly-plot, [translate='no']";
const STORE_KEY = "kp_lang";
const HTML_LANG = { en: "en", zh_TW: "zh-TW" };
const ids = new WeakMap(); // node -> {key ("text" or an attribute): {id, value}}: what we last wrote there

const norm = (s) => s.replace(/\s+/g, " ").trim();

const escape = (s) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");

/** Text -> msgid for whole messages, and patterns for messages with {placeholders} ("{n} hidden layers"). */
function reverse(catalogue) {
  const exact = new Map();
  const patterns = [];
  for (const [id, text] of Object.entries(catalogue)) {
    for (const form of [text, id]) {
      if (!exact.has(norm(form))) exact.set(norm(form), id);
      const names = [...form.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      // Only patterns with enough fixed text to be unambiguous: "{name}{where}: {message}" would match anything.
      if (names.length && form.replace(/\{\w+\}/g, "").replace(/\s/g, "").length >= 3) {
        const source = norm(form).split(/\{\w+\}/).map(escape).join("(.+?)");
        patterns.push({ id, names, re: new RegExp(`^${source}$`) });
      }
    }
  }
  return { exact, patterns };
}

/** The msgid (and placeholder values) of a text; the id we wrote last is trusted while the text is ours. */
function idOf(node, key, text, lookup) {
  const known = ids.get(node)?.[key];
  if (known && known.value === norm(text)) return { id: known.id };
  const id = lookup.exact.get(norm(text));
  if (id) return { id };
  for (const { id: pid, names, re } of lookup.patterns) {
    const m = norm(text).match(re);
    if (m) return { id: pid, params: Object.fromEntries(names.map((n, i) => [n, m[i + 1]])) };
  }
  return null;
}

/** The text of `found` in the catalogue `next`; a whole message is remembered on its node (two ids may share a text). */
function render(node, key, found, next) {
  const text = next[found.id] || found.id;
  if (!found.params) {
    ids.set(node, { ...ids.get(node), [key]: { id: found.id, value: norm(text) } });
    return text;
  }
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in found.params ? found.params[k] : m));
}

/** Replace every known message under `root` by its translation in `next` ({msgid: text}). */
export function translateTree(root, previous, next) {
  const lookup = reverse(previous);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node);
  for (const node of texts) {
    if (!node.nodeValue.trim() || node.parentElement?.closest(SKIP)) continue;
    const found = idOf(node, "text", node.nodeValue, lookup);
    if (!found) continue;
    const [, lead, , trail] = node.nodeValue.match(/^(\s*)([\s\S]*?)(\s*)$/);
    node.nodeValue = `${lead}${render(node, "text", found, next)}${trail}`;
  }
  for (const name of ATTRIBUTES) {
    for (const el of root.querySelectorAll(`[${name}]`)) {
      if (el.closest(SKIP)) continue;
      const found = idOf(el, name, el.getAttribute(name), lookup);
      if (found) el.setAttribute(name, render(el, name, found, next));
    }
  }
}

function remember(lang) {
  document.cookie = `kp_lang=${lang}; path=/; max-age=31536000; SameSite=Lax`;
  try {
    localStorage.setItem(STORE_KEY, lang);
  } catch {
    // storage off (private mode): the cookie and the URL still carry the choice
  }
  const url = new URL(location.href);
  url.searchParams.set("lang", HTML_LANG[lang]);
  history.replaceState(history.state, "", url);
}

function markCurrent(lang) {
  for (const a of document.querySelectorAll(".language-switch [data-lang]")) {
    if (a.dataset.lang === lang) a.setAttribute("aria-current", "true");
    else a.removeAttribute("aria-current");
  }
}

/** Switch the page to `lang` ("en" | "zh_TW") without reloading it. */
export async function switchLanguage(lang) {
  if (!(lang in HTML_LANG)) return;
  remember(lang);
  if (lang === language()) return markCurrent(lang);
  const response = await fetch(`/api/messages?lang=${encodeURIComponent(lang)}`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(t("Could not switch the language (the server answered {status}).", { status: response.status }));
  const body = await response.json();
  translateTree(document.body, messages(), body.messages);
  translateTree(document.head, messages(), body.messages);
  setCatalogue(body.messages, lang);
  document.documentElement.lang = HTML_LANG[lang];
  markCurrent(lang);
  emit("language", { lang });
}

/** The panel entry point: wire the switch; follow a stored choice the server did not see. */
export function init(page) {
  for (const a of document.querySelectorAll(".language-switch [data-lang]")) {
    a.addEventListener("click", (e) => {
      e.preventDefault();
      switchLanguage(a.dataset.lang).catch((err) => page.showError(err.message));
    });
  }
  const inUrl = new URL(location.href).searchParams.has("lang");
  let stored = null;
  try {
    stored = localStorage.getItem(STORE_KEY);
  } catch {
    stored = null;
  }
  if (inUrl) remember(language()); // an explicit ?lang= is a choice: keep it
  else if (stored && stored !== language()) switchLanguage(stored).catch((err) => page.showError(err.message));
}
