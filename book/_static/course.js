/* The course's small additions to the theme's pages (registered by html_js_files in _config.yml).
 *
 * 1. A display equation wider than the text column scrolls inside its own frame (course.css draws the
 *    shadows); the frame gets tabindex=0 so keyboard users can scroll it too (axe: scrollable-region-focusable).
 * 2. On a narrow screen a figure that would shrink below 70% of its natural size (a wide, multi-panel
 *    figure on a phone) keeps 70% -- its text stays legible -- and scrolls sideways in a framed box.
 * 3. A multi-panel figure (lecture_lib.plotting.Panels, a <picture class="course-panels">) shows its stacked
 *    rendering whenever the text column is narrower than the width its side-by-side rendering needs for
 *    legible text (data-wide-min-px); the <source media> query is the same rule for pages without JavaScript,
 *    but the column is not a fixed part of the viewport (sidebars come and go), so the column decides here.
 *    Either rendering is legible where it is shown, so neither needs the scroll frame of item 2.
 * All are re-checked whenever one of those boxes changes size (a math font arriving, a resize, an image).
 */
(function () {
  "use strict";
  var MIN_FIGURE_SCALE = 0.7;

  function markScrollable(el) {
    var overflows = el.scrollWidth > el.clientWidth + 1;
    if (overflows && !el.hasAttribute("tabindex")) {
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
    document.querySelectorAll(".bd-article div.math").forEach(markScrollable);
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
