#!/usr/bin/env python3
"""How long each page of the built site takes to load on a slow phone connection, and how much it weighs.

Every page of ``_build/html`` (or ``COURSE_SITE_DIR``) is opened cold (new browser context, cache off) in
headless Chromium through the Chrome DevTools Protocol with the "slow profile" of issue 14: 9 Mbit/s down
and up, 40 ms latency, and the CPU slowed down 4 times. The site is served from 127.0.0.1 by the browser
tests' static server, which gzips text as a static host does. For each page this records

* ``load_s``: the load event (``loadEventEnd``), seconds after navigation starts;
* ``fonts_s``: when the page's web fonts (KaTeX's, the icons) have loaded (``document.fonts.ready``), same
  clock; the math itself is HTML in the page as served (rendered by KaTeX at build time);
* ``requests``, ``encoded_bytes`` (on the wire) and ``decoded_bytes`` (after gunzip), from the network log;
* ``ratio``: ``load_s`` divided by that of the reference page, the site's ``genindex.html`` (the theme
  alone: no math, no figures), measured the same way in the same run;
* ``decoded_budget_ratio`` and ``encoded_budget_ratio``: the page's bytes over the weight budget of issue 21
  (:data:`BUDGET`: 1.2 MB unpacked, 300 kB as sent); above 1 is over budget. Printed for every chapter.

Nothing is asserted: machines are noisy. The results go to ``benchmarks/results/site_load.json``, which
the performance appendix reads. Run after a build::

    python3 tools/course.py build
    .venv/bin/python benchmarks/site_load.py

``--output NAME`` writes ``benchmarks/results/NAME`` instead: ``site_load_before_issue21.json`` holds the
pages as they were before issue 21's lean math markup, which the appendix compares with ``site_load.json``.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from _harness import RESULTS, ROOT, format_table, machine_info, write_json

sys.path.insert(0, str(ROOT / "tests"))
from browser.conftest import CHROMIUM, CHROMIUM_ARGS, SITE_DIR, StaticServer, site_pages  # noqa: E402

#: The slow profile: 9 Mbit/s each way, 40 ms round trip, 4x slower CPU.
PROFILE = {"download_mbit_s": 9.0, "upload_mbit_s": 9.0, "latency_ms": 40.0, "cpu_slowdown": 4.0}
REFERENCE_PAGE = "genindex.html"
#: The weight budget of one page with everything it loads (issue 21), in bytes.
BUDGET = {"decoded_bytes": 1_200_000, "encoded_bytes": 300_000}
#: Loads per page; the median is reported.
REPEATS = int(os.environ.get("SITE_LOAD_REPEATS", "2"))

TIMINGS_JS = """async () => {
  await document.fonts.ready;
  const fonts = performance.now() / 1000;
  const nav = performance.getEntriesByType('navigation')[0];
  return {load_s: nav.loadEventEnd / 1000, dom_s: nav.domContentLoadedEventEnd / 1000,
          fonts_s: Math.max(fonts, nav.loadEventEnd / 1000)};
}"""


def measure(browser, url: str) -> dict:
    """One cold load of ``url`` under the slow profile."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="block")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    bytes_per_s = lambda mbit: mbit * 1e6 / 8  # noqa: E731
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": PROFILE["latency_ms"],
        "downloadThroughput": bytes_per_s(PROFILE["download_mbit_s"]),
        "uploadThroughput": bytes_per_s(PROFILE["upload_mbit_s"])})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": PROFILE["cpu_slowdown"]})
    encoded, decoded = {}, {}
    cdp.on("Network.dataReceived",
           lambda e: decoded.__setitem__(e["requestId"], decoded.get(e["requestId"], 0) + e["dataLength"]))
    cdp.on("Network.loadingFinished", lambda e: encoded.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="load", timeout=120_000)
    timings = page.evaluate(TIMINGS_JS)
    page.wait_for_load_state("networkidle")
    context.close()
    return {**timings, "requests": len(encoded), "encoded_bytes": sum(encoded.values()),
            "decoded_bytes": sum(decoded.values())}


def budget_report(results: dict) -> str:
    """Each chapter page's weight against :data:`BUDGET`, as ratios (a benchmark: nothing is asserted)."""
    chapters = {rel: r for rel, r in results.items() if rel.startswith("book/0")}
    rows = [{"page": rel, "decoded": f"{r['decoded_bytes'] / 1000:,.0f} kB",
             "decoded_ratio": f"{r['decoded_budget_ratio']:.2f}", "encoded": f"{r['encoded_bytes'] / 1000:,.0f} kB",
             "encoded_ratio": f"{r['encoded_budget_ratio']:.2f}",
             "within": "yes" if max(r["decoded_budget_ratio"], r["encoded_budget_ratio"]) <= 1 else "NO"}
            for rel, r in chapters.items()]
    title = (f"\nChapter pages against the budget ({BUDGET['decoded_bytes'] / 1e6:g} MB unpacked, "
             f"{BUDGET['encoded_bytes'] / 1e3:g} kB as sent; ratio > 1 is over):")
    return title + "\n" + format_table(rows, [
        ("page", "page"), ("decoded", "unpacked"), ("decoded_ratio", "/ budget"),
        ("encoded", "as sent"), ("encoded_ratio", "/ budget"), ("within", "within budget")])


def main() -> None:
    import argparse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default="site_load.json", help="file name in benchmarks/results/")
    args = parser.parse_args()

    if not (SITE_DIR / "index.html").is_file():
        sys.exit(f"no built site in {SITE_DIR}: run `python3 tools/course.py build` first")
    pages = [p for p in site_pages() if p != "index.html"]  # index.html only redirects
    server = StaticServer(SITE_DIR)
    results = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # Interleaved: every page once, then again, so a busy moment of the machine spreads over all.
            runs = {rel: [] for rel in pages}
            for _ in range(REPEATS):
                for rel in pages:
                    runs[rel].append(measure(browser, server.url + rel))
            browser.close()
    finally:
        server.close()
    for rel, rs in runs.items():
        median = {key: statistics.median(r[key] for r in rs) if rs[0][key] is not None else None
                  for key in ("load_s", "dom_s", "fonts_s")}
        results[rel] = {**median, "requests": rs[0]["requests"], "encoded_bytes": rs[0]["encoded_bytes"],
                        "decoded_bytes": rs[0]["decoded_bytes"], "load_s_all": [r["load_s"] for r in rs]}
    reference = results[REFERENCE_PAGE]["load_s"]
    for r in results.values():
        r["ratio"] = r["load_s"] / reference
        r["decoded_budget_ratio"] = r["decoded_bytes"] / BUDGET["decoded_bytes"]
        r["encoded_budget_ratio"] = r["encoded_bytes"] / BUDGET["encoded_bytes"]
    rows = [{"page": rel, **r} for rel, r in results.items()]
    print(format_table(rows, [("page", "page"), ("load_s", "load s"), ("fonts_s", "fonts s"),
                              ("ratio", f"x {REFERENCE_PAGE}"), ("requests", "requests"),
                              ("encoded_bytes", "bytes on the wire"), ("decoded_bytes", "bytes unpacked")]))
    print(budget_report(results))
    write_json({"machine": machine_info(), "profile": PROFILE, "repeats": REPEATS, "reference": REFERENCE_PAGE,
                "budget": BUDGET, "pages": results}, RESULTS / args.output)
    print(f"\nwrote {RESULTS / args.output}")


if __name__ == "__main__":
    main()
