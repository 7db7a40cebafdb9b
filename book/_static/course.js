/* The course's small additions to the theme's pages (registered by html_js_files in _config.yml).
 *
 * 1. A display equation wider than the text column scrolls inside its own frame (course.css draws the
 *    shadows); the frame gets tabindex=0 so keyboard users can scroll it too (axe: scrollable-region-focusable).
 *    So do a code block, a printed output and a table frame that scroll: the theme marks them only once, at
 *    load, and whether they scroll depends on the width (printed output wraps on a phone, not on a desktop).
 * 2. On a narrow screen a figure that would shrink below 70% of its natural size (a wide, multi-panel
 *    figure on a phone) keeps 70% -- its text stays legible -- and scrolls sideways in a framed box.
 * 3. A multi-panel figure (lecture_lib.plotting.Panels, a <picture class="course-panels">) shows its stacked
 *    rendering whenever the text column is narrower than the width its side-by-side rendering needs for
 *    legible text (data-wide-min-px); the <source media> query is the same rule for pages without JavaScript,
 *    but the column is not a fixed part of the viewport (sidebars come and go), so the column decides here.
 *    Either rendering is legible where it is shown, so neither needs the scroll frame of item 2.
 * All are re-checked whenever one of those boxes changes size (a math font arriving, a resize, an image).
 * 4. The search page's snippets are plain text: Sphinx cuts them from the result page's text, where an equation
 *    is still its TeX source ("\(Z = XW + b\)"); here each equation becomes readable text ("Z = XW + b", Greek
 *    letters and common symbols as characters) and the page's own table of contents is left out.
 * 5. The download menu's files (.ipynb, .md) download also from a site opened from disk (file://). Their links
 *    carry the download attribute (book/_templates/article-header-buttons.html), which Chromium ignores on a
 *    file: page (every file is an origin of its own) and shows the file instead. There a click loads the
 *    file's script copy, <file>.js (tools/notebook_pages.py), which hands its text to courseDownloads.deliver,
 *    and saves that text from a blob, which is the page's own.
 */
(function () {
  "use strict";
  var MIN_FIGURE_SCALE = 0.7;

  function markScrollable(el) {
    var overflows = el.scrollWidth > el.clientWidth;  /* as axe-core and the theme judge it */
    /* tabIndex < 0: not focusable, also when the theme's resize handler (300 ms late) last set tabindex=-1. */
    if (overflows && el.tabIndex < 0) {
      el.setAttribute("tabindex", "0");
      el.dataset.courseScroll = "true";
    } else if (!overflows && el.dataset.courseScroll) {
      el.removeAttribute("tabindex");
      delete el.dataset.courseScroll;
    }
  }

  function choosePanels() {
    document.querySelectorAll(".bd-article picture.course-panels").forEach(function (picture) {
      var box = picture.closest("figure") || picture.parentElement;
      var source = picture.querySelector("source");
      var style = getComputedStyle(box);
      var room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      var media = room < Number(picture.dataset.wideMinPx) ? "all" : "not all";
      if (source && source.media !== media) { source.media = media; }
    });
  }

  function fitFigures() {
    choosePanels();
    document.querySelectorAll(".bd-article figure img, .bd-article .cell_output img").forEach(function (img) {
      var box = img.closest("figure") || img.parentElement;
      if (!img.naturalWidth || img.closest("picture.course-panels")) { return; }
      var minWidth = Math.round(MIN_FIGURE_SCALE * img.naturalWidth);
      var wide = minWidth > box.clientWidth + 1;
      box.classList.toggle("course-wide-figure", wide);
      img.style.minWidth = wide ? minWidth + "px" : "";
      markScrollable(box);
    });
  }

  function update() {
    document.querySelectorAll(".bd-article div.math, .bd-article pre, .bd-article .pst-scrollable-table-container")
      .forEach(markScrollable);
    fitFigures();
  }

  /* For tests and for scripts that change the page: recheck the frames now, not at the next frame. */
  window.courseLayout = {update: update};

  function start() {
    update();
    /* A late web font, a resize and a late image all change some box's size: recheck then. */
    if (window.ResizeObserver) {
      var pending = null, observer = new ResizeObserver(function () {
        if (pending) { cancelAnimationFrame(pending); }
        pending = requestAnimationFrame(update);
      });
      document.querySelectorAll(".bd-article div.math, .bd-article figure, .bd-article img").forEach(function (el) {
        observer.observe(el);
      });
      observer.observe(document.documentElement);
    } else {
      window.addEventListener("resize", update);
      window.addEventListener("load", update);
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();

(function () {
  "use strict";
  var SYMBOLS = {alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", eta: "η",
    theta: "θ", lambda: "λ", mu: "μ", pi: "π", rho: "ρ", sigma: "σ", tau: "τ", phi: "φ", varphi: "φ",
    psi: "ψ", omega: "ω", Delta: "Δ", Sigma: "Σ", Theta: "Θ", Omega: "Ω", partial: "∂", nabla: "∇",
    sum: "Σ", prod: "Π", infty: "∞", in: "∈", le: "≤", leq: "≤", ge: "≥", geq: "≥", neq: "≠", ne: "≠",
    approx: "≈", cdot: "·", times: "×", to: "→", rightarrow: "→", mapsto: "↦", top: "⊤", ldots: "…",
    dots: "…", cdots: "…", mid: "|", lVert: "‖", rVert: "‖", Vert: "‖", log: "log", exp: "exp", max: "max",
    min: "min", arg: "arg", quad: " ", qquad: " "};

  /* TeX as plain text: delimiters, \left/\right and font commands dropped, \frac{a}{b} as a/b, symbols as
   * characters, braces removed. Approximate, and only for the search snippets. */
  function texToText(tex) {
    var t = tex.replace(/^\s*(\\\(|\\\[|\$\$?)|(\\\)|\\\]|\$\$?)\s*$/g, "");
    t = t.replace(/\\(left|right|big|Big|bigg|Bigg)\b\s*/g, "");
    for (var i = 0; i < 4; i++) {  /* nested groups, inside out: sub- and superscripts, then fractions */
      t = t.replace(/([_^])\s*\{([^{}]*)\}/g, "$1$2");
      t = t.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, " ($1)/($2) ");
    }
    t = t.replace(/\\(mathbf|mathrm|mathit|mathcal|mathbb|boldsymbol|operatorname|text|textrm|hat|bar|tilde|vec)\s*\{([^{}]*)\}/g,
                  function (m, cmd, body) { return cmd === "mathbb" && body === "R" ? "ℝ" : body; });
    t = t.replace(/\\([A-Za-z]+)/g, function (m, name) { return Object.prototype.hasOwnProperty.call(SYMBOLS, name) ? SYMBOLS[name] : ""; });
    t = t.replace(/\\[,;:! ]/g, " ").replace(/\\\\/g, " ").replace(/[{}&]/g, "").replace(/\s+/g, " ");
    return t.replace(/\(([^()\s]+)\)\//g, "$1/").replace(/\/\(([^()\s]+)\)/g, "/$1").trim();
  }

  /* An equation of a result page: its TeX made readable, from the label KaTeX's HTML carries for screen
     readers (tools/site_math.py), else from its MathML (without the TeX annotation inside it), else from
     its text (the TeX source, before rendering). */
  function mathText(el) {
    var labelled = el.querySelector(".katex[aria-label]");
    if (labelled) { return texToText(labelled.getAttribute("aria-label")); }
    var mathml = el.querySelector("math");
    if (!mathml) { return texToText(el.textContent); }
    mathml = mathml.cloneNode(true);
    mathml.querySelectorAll("annotation, annotation-xml").forEach(function (a) { a.remove(); });
    return mathml.textContent.replace(/\s+/g, " ").trim();
  }

  /* global Search -- Sphinx's searchtools.js, on the search page only */
  function readableSnippets() {
    if (typeof Search === "undefined" || !Search.htmlToText || Search.htmlToText.courseReadable) { return; }
    var htmlToText = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll("nav, .bd-toc, .bd-sidebar-secondary").forEach(function (el) { el.remove(); });
      doc.querySelectorAll(".math, mjx-container").forEach(function (el) {
        if (el.isConnected && !(el.parentElement && el.parentElement.closest(".math, mjx-container"))) {
          el.replaceWith(doc.createTextNode(" " + mathText(el) + " "));
        }
      });
      return htmlToText(doc.documentElement.outerHTML, anchor).replace(/[ \t]+/g, " ");
    };
    Search.htmlToText.courseReadable = true;
  }

  var waitingDownloads = {};  /* file name -> what to do with its text */
  window.courseDownloads = {
    deliver: function (name, text) {
      var save = waitingDownloads[name];
      delete waitingDownloads[name];
      if (save) { save(text); }
    }
  };

  function saveFromDisk(event) {
    var link = event.currentTarget;
    var name = decodeURIComponent(link.pathname.split("/").pop());
    var script = document.createElement("script");
    event.preventDefault();
    waitingDownloads[name] = function (text) {
      var url = URL.createObjectURL(new Blob([text], {type: "application/octet-stream"}));
      var save = document.createElement("a");
      save.href = url;
      save.download = name;
      document.body.appendChild(save);
      save.click();
      save.remove();
      script.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    };
    script.onerror = function () {  /* no script copy: show the file, as without this */
      delete waitingDownloads[name];
      script.remove();
      window.location.href = link.href;
    };
    script.src = link.href + ".js";
    document.head.appendChild(script);
  }

  function downloadButtons() {
    if (window.location.protocol !== "file:") { return; }
    document.querySelectorAll(".dropdown-download-buttons a[download]").forEach(function (a) {
      a.addEventListener("click", saveFromDisk);
    });
  }

  /* For the tests. */
  window.courseSearch = {texToText: texToText};

  readableSnippets();  /* searchtools.js may already be loaded; its first query waits for DOMContentLoaded */
  function ready() { readableSnippets(); downloadButtons(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
