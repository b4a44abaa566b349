// A small Python highlighter for the exported script: comments, strings, keywords, numbers.
// It builds DOM nodes (textContent only), so nothing in the script is ever parsed as HTML.

const TOKENS = new RegExp(
  [
    String.raw`(#[^\n]*)`,
    String.raw`([rbfRBF]{0,2}(?:"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))`,
    String.raw`\b(False|None|True|and|as|assert|break|class|continue|def|del|elif|else|except|finally|for|from|` +
      String.raw`global|if|import|in|is|lambda|nonlocal|not|or|pass|raise|return|try|while|with|yield)\b`,
    String.raw`\b(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\b`,
  ].join("|"),
  "g",
);
const CLASSES = [null, "tok-comment", "tok-string", "tok-keyword", "tok-number"];

/** Fill `el` with the highlighted `source`. */
export function highlightPython(el, source) {
  const out = document.createDocumentFragment();
  let last = 0;
  for (const m of source.matchAll(TOKENS)) {
    if (m.index > last) out.append(source.slice(last, m.index));
    const span = document.createElement("span");
    span.className = CLASSES[m.slice(1).findIndex((g) => g !== undefined) + 1];
    span.textContent = m[0];
    out.append(span);
    last = m.index + m[0].length;
  }
  out.append(source.slice(last));
  el.replaceChildren(out);
}
