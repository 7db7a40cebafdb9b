// Renders TeX with KaTeX, for tools/site_math.py (the site's build-time math; it passes the base options,
// output: "html", and labels each formula for screen readers itself).
//
//   node tools/katex_render.js '<KaTeX options as JSON>'
//
// Reads one request a line on stdin, {"tex": "...", "display": true|false}, and writes one answer a line
// on stdout, {"html": "..."} or {"error": "..."}, in the same order. KaTeX comes from the repository's
// npm lock (package.json, package-lock.json; `npm ci` by tools/course.py). Any "strict" remark (LaTeX
// that KaTeX accepts but would warn about) is returned as an error too, so that the build fails on it.
"use strict";
const readline = require("readline");
const katex = require("katex");

const base = JSON.parse(process.argv[2] || "{}");
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on("line", (line) => {
  let answer;
  try {
    const request = JSON.parse(line);
    const remarks = [];
    const options = {
      ...base,
      macros: { ...(base.macros || {}) },  // KaTeX adds \gdef's to this object: a fresh copy per formula
      displayMode: !!request.display,
      throwOnError: true,
      strict: (code, message) => { remarks.push(`${code}: ${message}`); return "ignore"; },
    };
    const html = katex.renderToString(request.tex, options);
    answer = remarks.length ? { error: remarks.join("; ") } : { html };
  } catch (err) {
    answer = { error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
