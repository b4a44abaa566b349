// A small Python highlighter for read-only code views (loss code, the exported Keras script):
// comments, strings, numbers, keywords and decorators get a class; everything is HTML-escaped.

const KEYWORDS = new Set([
  "and", "as", "assert", "break", "class", "continue", "def", "elif", "else", "except", "False", "finally", "for",
  "from", "if", "import", "in", "is", "lambda", "None", "not", "or", "pass", "raise", "return", "True", "try",
  "while", "with", "yield",
]);
// One alternation, tried left to right: the first group that matches names the token.
const TOKEN = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')|(@[\w.]+)|(\b\d+(?:\.\d*)?(?:e[-+]?\d+)?\b)|([A-Za-z_]\w*)/g;

const escape = (text) => text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** HTML for Python source: spans with classes py-comment, py-string, py-decorator, py-number, py-keyword. */
export function highlightPython(code) {
  let html = "";
  let last = 0;
  for (const m of code.matchAll(TOKEN)) {
    html += escape(code.slice(last, m.index));
    const [text, comment, string, decorator, number, word] = m;
    const kind = comment ? "comment" : string ? "string" : decorator ? "decorator" : number ? "number"
      : word && KEYWORDS.has(word) ? "keyword" : null;
    html += kind ? `<span class="py-${kind}">${escape(text)}</span>` : escape(text);
    last = m.index + text.length;
  }
  return html + escape(code.slice(last));
}
