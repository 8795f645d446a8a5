// Typeset the maths of an nbconvert HTML page at build time, so that it reads offline.
//
//   node scripts/typeset_math.mjs PAGE.html LANG
//
// MathJax 3 (the npm package mathjax-full, installed by `make docs` into build/mathjax, or
// MATHJAX_PREFIX) turns every $...$, $$...$$, \(...\) and \[...\] outside code into inline
// SVG; the page's MathJax loader and every script fetched from a network are removed, and
// <html lang> is set to LANG. A formula MathJax cannot read stops the build with its message.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [page, lang] = process.argv.slice(2);
if (!page || !lang) {
  console.error("usage: node scripts/typeset_math.mjs PAGE.html LANG");
  process.exit(2);
}
const require = createRequire(path.resolve(process.env.MATHJAX_PREFIX ?? "build/mathjax") + "/");
const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { SVG } = require("mathjax-full/js/output/svg.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AllPackages } = require("mathjax-full/js/input/tex/AllPackages.js");

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);

// Without noerrors and noundefined, a typo such as \alpah is an error, not red text.
const errors = [];
const tex = new TeX({
  packages: AllPackages.filter((name) => name !== "noerrors" && name !== "noundefined"),
  inlineMath: [["$", "$"], ["\\(", "\\)"]],
  displayMath: [["$$", "$$"], ["\\[", "\\]"]],
  processEscapes: true,
  formatError(jax, error) {
    errors.push(error.message);
    return jax.formatError(error);
  },
});
const html = mathjax.document(readFileSync(page, "utf8"), {
  InputJax: tex,
  OutputJax: new SVG({ fontCache: "global" }),
  // nbconvert marks what MathJax must leave alone (code, outputs) with this class.
  ignoreHtmlClass: "tex2jax_ignore",
});
html.render();

// A $ left in the prose is a formula MathJax did not see: an unpaired or escaped delimiter.
const skip = new Set(["script", "noscript", "style", "textarea", "pre", "code", "mjx-container"]);
(function leftovers(node) {
  if (adaptor.kind(node) === "#text") {
    const text = adaptor.value(node);
    if (/\$|\\\(|\\\[/.test(text)) errors.push(`left as text: ${text.trim().slice(0, 80)}`);
    return;
  }
  if (skip.has(adaptor.kind(node))) return;
  if (/\btex2jax_ignore\b/.test(adaptor.getAttribute(node, "class") ?? "")) return;
  for (const child of adaptor.childNodes(node)) leftovers(child);
})(adaptor.body(html.document));
if (errors.length) {
  console.error(`${page}: MathJax could not read ${errors.length} formula(s):`);
  for (const message of errors) console.error(`  ${message}`);
  process.exit(1);
}

// An inline formula and the text glued to it ("D's", "D(x),", "l'x") stay on one line.
for (const item of html.math) {
  const math = item.typesetRoot;
  if (!math || item.display) continue;
  const before = adaptor.previous(math);
  const after = adaptor.next(math);
  const head = before?.kind === "#text" ? before.value.match(/\S+$/)?.[0] : undefined;
  const tail = after?.kind === "#text" ? after.value.match(/^\S+/)?.[0] : undefined;
  if (!head && !tail) continue;
  const span = adaptor.node("span", { style: "white-space: nowrap" });
  adaptor.insert(span, math);
  if (head) {
    before.value = before.value.slice(0, -head.length);
    adaptor.append(span, adaptor.text(head));
  }
  adaptor.append(span, math);
  if (tail) {
    after.value = after.value.slice(tail.length);
    adaptor.append(span, adaptor.text(tail));
  }
}

// What the browser would have fetched: MathJax from a CDN and its configuration,
// require.js, the template's mermaid loader, any other script or stylesheet from a network.
const remote = (url) => /^(https?:)?\/\//i.test(url ?? "");
for (const node of adaptor.tags(adaptor.root(html.document), "script")) {
  const text = adaptor.textContent(node);
  if (remote(adaptor.getAttribute(node, "src")) || /MathJax|https?:\/\//.test(text)) {
    adaptor.remove(node);
  }
}
for (const node of adaptor.tags(adaptor.root(html.document), "link")) {
  if (remote(adaptor.getAttribute(node, "href"))) adaptor.remove(node);
}
adaptor.setAttribute(adaptor.root(html.document), "lang", lang);
// The tab shows the lesson's title, not the notebook's file name.
const [heading] = adaptor.tags(adaptor.body(html.document), "h1");
const [title] = adaptor.tags(adaptor.head(html.document), "title");
if (heading && title) {
  const words = adaptor.textContent(heading).replace(/¶/g, "").trim();
  for (const child of [...adaptor.childNodes(title)]) adaptor.remove(child);
  adaptor.append(title, adaptor.text(words));
}

writeFileSync(page, adaptor.doctype(html.document) + "\n" +
  adaptor.outerHTML(adaptor.root(html.document)) + "\n");
console.log(`${page}: ${Array.from(html.math).length} formulas typeset`);
