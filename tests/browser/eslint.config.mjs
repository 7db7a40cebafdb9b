// ESLint for the JavaScript the course ships: the explorer's and trainer's scripts (lecture_lib/static/)
// and the site's own script (book/_static/course.js). tests/test_js_lint.py runs it; by hand, from here:
//   node_modules/.bin/eslint ../../lecture_lib/static/*.js ../../book/_static/course.js
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    files: ["lecture_lib/static/*.js", "book/_static/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",  // classic <script> elements, no modules
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    // lecture_lib/_static.py fills these placeholders with JSON before the script reaches the page.
    files: ["lecture_lib/static/trainer.js"],
    languageOptions: {
      globals: { __PALETTE__: "readonly", __MARKERS__: "readonly", __LO__: "readonly", __HI__: "readonly",
                 __MAX_POINTS__: "readonly" },
    },
  },
];
