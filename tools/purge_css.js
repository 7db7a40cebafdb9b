// Cuts style sheets to the rules whose selectors can match the built site, with PurgeCSS, for tools/site_css.py.
//
//   node tools/purge_css.js < request.json > answer.json
//
// The request (JSON on stdin): {"stylesheets": [<path of the full style sheet>, ...], "content": [<path of a
// page or script>, ...], "safelist": [<regular expression>, ...], "dynamicAttributes": [<attribute>, ...]}.
// The answer (JSON on stdout), one entry per style sheet, in the same order: {"css": <the cut style sheet>,
// "rejected": <the selectors removed>}. PurgeCSS keeps a selector when every class, id, tag and attribute in it
// is a word of the content (HTML and JavaScript, split at every character outside [A-Za-z0-9_-]); it ignores
// pseudo-classes (:hover, :focus, :not(...)) and keeps @font-face, @keyframes and custom properties.
// PurgeCSS comes from the repository's npm lock (package.json, package-lock.json; `npm ci` by tools/course.py).
"use strict";
const fs = require("fs");
const path = require("path");
const { PurgeCSS } = require("purgecss");

async function main() {
  const request = JSON.parse(fs.readFileSync(0, "utf-8"));
  const results = await new PurgeCSS().purge({
    // Read here, not as globs: a path is a path, whatever characters it holds.
    content: request.content.map((file) => ({ raw: fs.readFileSync(file, "utf-8"), extension: path.extname(file).slice(1) })),
    css: request.stylesheets.map((file) => ({ raw: fs.readFileSync(file, "utf-8"), name: file })),
    safelist: { standard: request.safelist.map((pattern) => new RegExp(pattern)) },
    dynamicAttributes: request.dynamicAttributes,
    rejected: true,
  });
  process.stdout.write(JSON.stringify(results.map((result) => ({ css: result.css, rejected: result.rejected || [] }))));
}

main().catch((err) => {
  process.stderr.write(`purge_css.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
