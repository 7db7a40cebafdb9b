"""The in-page softmax explorer (lecture_lib.explorer.explorer_html) driven in headless Chromium.

The JavaScript's probabilities are compared with :func:`lecture_lib.softmax` applied to ``z / T``
(the independent reference here is the tested library), for small and large logits (1e4) and several
temperatures, after moving sliders with the keyboard and after typing values. A page generated from
``explorer_html`` is always tested; explorers embedded in the built site are tested too when present.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from lecture_lib import softmax
from lecture_lib.explorer import LOGIT_RANGE, explorer_html

from ulp import ulp_distance

from .conftest import SITE_DIR, StaticServer, require_site, site_pages

pytestmark = pytest.mark.browser

#: JavaScript's Math.exp and numpy's exp may differ in the last bit, and on which inputs they differ depends
#: on the CPU (numpy's exp is SIMD code: AVX-512 and AVX2 round differently). Everything else is the same
#: sequence of IEEE operations (divide, subtract the max, exp, pairwise sum, divide), so each probability is
#: within a few ulps: a 1-ulp error in each e^(z_k - c) moves the sum by at most about 1 ulp, and p_k = e_k / s
#: by at most 1 + 1 + 1/2 ulps more. The bound holds wherever p_k is a normal number; below that the ulp is
#: absolute (4.9e-324), so the same count still holds.
MAX_ULPS = 4

#: (logits, temperature) shown on the generated test page, one explorer each.
PAGE_SETTINGS = [
    ((2.0, 1.0, 0.1), 1.0),
    ((1e4, -1e4, 0.0, 9999.5), 1.0),
    ((-3.0, 0.5, 4.0, 2.0, -1.0), 0.25),
]


def reference(z, temperature):
    return softmax(np.asarray(z, dtype=np.float64) / temperature)


@pytest.fixture(scope="module")
def explorer_url(tmp_path_factory):
    """A standalone page with one explorer per PAGE_SETTINGS, served from 127.0.0.1."""
    folder = tmp_path_factory.mktemp("explorer-page")
    body = "\n".join(explorer_html(z, t).data for z, t in PAGE_SETTINGS)
    (folder / "index.html").write_text(f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                                       f"<title>Softmax explorer</title></head><body>{body}</body></html>",
                                       encoding="utf-8")
    server = StaticServer(folder)
    yield server.url + "index.html"
    server.close()


@pytest.fixture
def explorer_page(page, explorer_url):
    page.goto(explorer_url, wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('div.softmax-explorer[data-ready=true]').length === %d"
                           % len(PAGE_SETTINGS))
    yield page
    problems = page.log.problems()
    assert not problems, "\n".join(problems)


def state(page, index=0):
    """The explorer's hook: current logits, temperature, full-precision probabilities and intermediates,
    plus what the visible rows show."""
    return page.evaluate("""(i) => {
      const root = document.querySelectorAll('div.softmax-explorer')[i];
      const rows = Array.from(root.querySelectorAll('.sx-bar-row:not([hidden]):not(.sx-sum)'));
      return {logits: JSON.parse(root.dataset.logits), temperature: Number(root.dataset.temperature),
              K: Number(root.dataset.k), probabilities: JSON.parse(root.dataset.probabilities),
              exponentials: JSON.parse(root.dataset.exponentials), sum: JSON.parse(root.dataset.sum),
              shown: rows.map(r => r.querySelector('output.sx-prob').textContent),
              shown_exp: rows.map(r => r.querySelector('output.sx-exp').textContent),
              shown_sum: root.querySelector('[id$="-sum-e"]').textContent,
              shown_c: root.querySelector('output[id$="-c"]').textContent,
              sliders: Array.from(root.querySelectorAll('.sx-row:not([hidden]) input[type=range][id*="-z"]')).length,
              widths: rows.map(r => parseFloat(r.querySelector('.sx-bar').style.width)),
              status: root.querySelector('[id$="-status"]').textContent,
              id: root.id};
    }""", index)


def assert_matches_library(s):
    """The hook's probabilities equal lecture_lib.softmax(z / T); the shown numbers and bars agree with them."""
    expected = reference(s["logits"], s["temperature"])
    got = np.array(s["probabilities"])
    assert np.all(np.isfinite(got)), s
    assert_within_ulps(got, expected, context=s)
    shown = np.array([float(text) for text in s["shown"]])
    np.testing.assert_allclose(shown, expected, rtol=5e-3, atol=5e-5 + 1e-12)
    np.testing.assert_allclose(s["widths"], 100 * expected, atol=0.005 + 1e-9)
    assert s["K"] == len(s["logits"]) == len(s["shown"]) == s["sliders"]
    assert_intermediates_match(s["logits"], s["temperature"], s["exponentials"], s["sum"], context=s)
    np.testing.assert_allclose([float(t) for t in s["shown_exp"]], s["exponentials"], rtol=5e-3, atol=5e-5 + 1e-12)
    assert float(s["shown_sum"]) == pytest.approx(s["sum"], rel=5e-3, abs=5e-5)
    u = np.asarray(s["logits"], dtype=np.float64) / s["temperature"]
    assert float(s["shown_c"]) == u.max()


def assert_intermediates_match(z, temperature, exponentials, total, context=""):
    """e_k = exp(z_k / T - c) with c = max_l z_l / T, and S = sum_k e_k, within MAX_ULPS of numpy's.

    numpy's exp and JavaScript's Math.exp are the two libraries compared (the subtraction before them is the
    same IEEE operation); S is numpy's pairwise sum of numpy's e. And e / S is lecture_lib's softmax.
    """
    u = np.asarray(z, dtype=np.float64) / temperature
    e = np.exp(u - u.max())
    assert_within_ulps(np.array(exponentials), e, context=f"exponentials; {context}")
    assert_within_ulps(np.array([total]), np.array([np.sum(e)]), context=f"sum; {context}")
    assert_within_ulps(np.array(exponentials) / total, softmax(u), context=f"e / S; {context}")


def assert_within_ulps(got, expected, context=""):
    """Every probability within MAX_ULPS of lecture_lib's (never bit identity: that depends on the CPU)."""
    distance = ulp_distance(got, expected)
    worst = int(distance.max()) if distance.size else 0
    assert worst <= MAX_ULPS, f"{worst} ulps apart (allowed {MAX_ULPS}): got {got}, expected {expected}; {context}"
    return distance


def set_input(page, selector, value):
    """Set an input's value from script and fire ``input``, as a drag or a paste would."""
    page.eval_on_selector(selector, """(el, v) => { el.value = v;
        el.dispatchEvent(new Event('input', {bubbles: true})); }""", str(value))


def test_initial_state_matches_library(explorer_page):
    for i, (z, t) in enumerate(PAGE_SETTINGS):
        s = state(explorer_page, i)
        assert s["logits"] == list(z) and s["temperature"] == t
        assert_matches_library(s)


def test_compute_hook_matches_library(explorer_page):
    """window.softmaxExplorer.compute against lecture_lib.softmax on many settings, up to K = 300."""
    rng = np.random.default_rng(20260522)
    cases = [([1e4, 1.0, 0.1], 1.0), ([-1e4, -1e4, -1e4 + 1], 1.0), ([1e4, -1e4], 0.01), ([0.0], 3.0),
             ([710.0, 709.0, -745.0], 1.0), ([3.0, 4.0, 6.0], 1.0)]
    for K in (2, 3, 7, 8, 9, 10, 16, 17, 129, 300):
        for t in (0.1, 0.5, 1.0, 2.0, 10.0):
            for scale in (1.0, 10.0, 1e4):
                cases.append(((scale * rng.standard_normal(K)).tolist(), t))
    got = explorer_page.evaluate("(cases) => cases.map(([z, t]) => window.softmaxExplorer.compute(z, t))", cases)
    parts = explorer_page.evaluate("(cases) => cases.map(([z, t]) => window.softmaxExplorer.steps(z, t))", cases)
    for (z, t), p, a in zip(cases, parts, got):
        assert p["probabilities"] == a
        assert p["c"] == (np.asarray(z) / t).max()
        assert_intermediates_match(z, t, p["exponentials"], p["sum"], context=f"z={z}, T={t}")
    distances = [assert_within_ulps(np.array(a), reference(z, t), context=f"z={z}, T={t}")
                 for (z, t), a in zip(cases, got)]
    assert max(int(d.max()) for d in distances) <= MAX_ULPS
    # The tolerance still tells algorithms apart: a plain left-to-right sum instead of numpy's pairwise
    # one (what a naive JavaScript port does) falls outside it on these cases.
    naive = [left_to_right_softmax(np.asarray(z) / t) for z, t in cases]
    assert max(int(ulp_distance(q, reference(z, t)).max()) for q, (z, t) in zip(naive, cases)) > MAX_ULPS


def left_to_right_softmax(z):
    e = np.exp(z - z.max())
    s = 0.0
    for v in e:
        s += v
    return e / s


def test_compute_hook_rejects_bad_temperature(explorer_page):
    for bad in ("0", "-1", "NaN", "Infinity"):
        message = explorer_page.evaluate(f"""() => {{ try {{ window.softmaxExplorer.compute([1, 2], {bad});
            return null; }} catch (e) {{ return e.message; }} }}""")
        assert message and "temperature" in message, bad


def test_keyboard_moves_slider_and_updates_probabilities(explorer_page):
    s0 = state(explorer_page)
    slider = f"#{s0['id']}-z1"
    explorer_page.focus(slider)
    outline = explorer_page.eval_on_selector(slider, "el => getComputedStyle(el).outlineStyle")
    for _ in range(5):
        explorer_page.keyboard.press("ArrowRight")
    s1 = state(explorer_page)
    step = LOGIT_RANGE[2]
    assert s1["logits"][0] == pytest.approx(s0["logits"][0] + 5 * step, abs=1e-12)
    assert s1["logits"][1:] == s0["logits"][1:]
    assert explorer_page.input_value(f"#{s0['id']}-z1-num") == explorer_page.input_value(slider)
    assert s1["probabilities"][0] > s0["probabilities"][0]
    assert_matches_library(s1)
    assert outline != "none", "the focused slider shows no focus outline"
    explorer_page.keyboard.press("Tab")  # the number box comes next in the tab order
    assert explorer_page.evaluate("() => document.activeElement.id") == f"{s0['id']}-z1-num"


def test_keyboard_moves_temperature(explorer_page):
    s0 = state(explorer_page)
    explorer_page.focus(f"#{s0['id']}-T")
    explorer_page.keyboard.press("ArrowLeft")
    explorer_page.keyboard.press("ArrowLeft")
    s1 = state(explorer_page)
    assert s1["temperature"] == pytest.approx(s0["temperature"] - 0.1, abs=1e-12)
    assert max(s1["probabilities"]) > max(s0["probabilities"])  # lower temperature: sharper
    assert_matches_library(s1)


@pytest.mark.parametrize("temperature", [0.05, 0.5, 1.0, 3.0, 100.0])
def test_typed_large_logits_and_temperatures(explorer_page, temperature):
    uid = state(explorer_page)["id"]
    set_input(explorer_page, f"#{uid}-T-num", temperature)
    for k, value in enumerate([1e4, 9999.0, -1e4]):
        explorer_page.fill(f"#{uid}-z{k + 1}-num", str(value))  # real typing: fires input events
    s = state(explorer_page)
    assert s["logits"] == [1e4, 9999.0, -1e4] and s["temperature"] == temperature
    assert_matches_library(s)
    status = explorer_page.text_content(f"#{uid}-status")
    assert "class 1" in status and "NaN" not in status


def test_slider_values_set_by_script(explorer_page):
    uid = state(explorer_page, 2)["id"]
    for k, value in enumerate(["-7.5", "3.3", "0", "10", "-10"]):
        set_input(explorer_page, f"#{uid}-z{k + 1}", value)
    set_input(explorer_page, f"#{uid}-T", "2.5")
    s = state(explorer_page, 2)
    assert s["logits"] == [-7.5, 3.3, 0.0, 10.0, -10.0] and s["temperature"] == 2.5
    assert_matches_library(s)


def test_invalid_temperature_is_flagged_and_ignored(explorer_page):
    s0 = state(explorer_page)
    box, error = f"#{s0['id']}-T-num", f"#{s0['id']}-T-err"
    assert not explorer_page.is_visible(error)
    for bad in ("0", "-2", ""):
        explorer_page.fill(box, bad)
        assert explorer_page.get_attribute(box, "aria-invalid") == "true", bad
        s = state(explorer_page)
        assert s["probabilities"] == s0["probabilities"]
        # A message next to the box, tied to it for screen readers; the status line says what is still shown.
        assert explorer_page.is_visible(error)
        message = explorer_page.text_content(error)
        assert "Temperature T must be a positive number" in message, message
        assert ("empty" in message) if bad == "" else (bad in message), message
        assert explorer_page.get_attribute(box, "aria-describedby") == error[1:]
        assert s["status"].startswith("Not updated: Temperature T must be a positive number"), s["status"]
        assert f"temperature T = {s0['temperature']:g}." in s["status"], s["status"]
    explorer_page.fill(box, "2")
    assert explorer_page.get_attribute(box, "aria-invalid") is None
    assert not explorer_page.is_visible(error)
    s = state(explorer_page)
    assert "Not updated" not in s["status"] and "temperature T = 2." in s["status"]
    assert_matches_library(s)


def test_invalid_logit_is_flagged_and_ignored(explorer_page):
    s0 = state(explorer_page)
    box, error = f"#{s0['id']}-z2-num", f"#{s0['id']}-z2-err"
    explorer_page.fill(box, "")
    assert explorer_page.get_attribute(box, "aria-invalid") == "true"
    assert "Logit z2 must be a finite number (the box is empty)." == explorer_page.text_content(error)
    s = state(explorer_page)
    assert s["logits"] == s0["logits"] and s["status"].startswith("Not updated: Logit z2")
    explorer_page.fill(box, "-3.5")
    s = state(explorer_page)
    assert s["logits"][1] == -3.5 and not explorer_page.is_visible(error) and "Not updated" not in s["status"]
    assert_matches_library(s)


def test_number_of_classes_from_2_to_10(explorer_page):
    s0 = state(explorer_page)
    uid, k_box = s0["id"], f"#{s0['id']}-K"
    assert (explorer_page.get_attribute(k_box, "min"), explorer_page.get_attribute(k_box, "max")) == ("2", "10")
    for K in [2, *range(3, 11), 4]:
        explorer_page.fill(k_box, str(K))
        s = state(explorer_page)
        assert s["K"] == K and f"Showing K = {K} classes" in s["status"], s["status"]
        assert s["logits"] == (list(PAGE_SETTINGS[0][0]) + [0.0] * 7)[:K]  # new classes start at logit 0
        assert_matches_library(s)
    explorer_page.fill(f"#{uid}-z4-num", "5")  # the fourth class (added) takes the lead
    s = state(explorer_page)
    assert s["logits"][3] == 5.0 and "class 4" in s["status"]
    assert_matches_library(s)
    explorer_page.fill(k_box, "3")
    explorer_page.fill(k_box, "4")  # a class shown again keeps its logit
    assert state(explorer_page)["logits"][3] == 5.0
    for bad in ("1", "11", "2.5", ""):
        explorer_page.fill(k_box, bad)
        assert explorer_page.get_attribute(k_box, "aria-invalid") == "true", bad
        assert "from 2 to 10" in explorer_page.text_content(f"#{uid}-K-err")
        s = state(explorer_page)
        assert s["K"] == 4 and s["status"].startswith("Not updated: The number of classes K")
    explorer_page.keyboard.press("Tab")
    explorer_page.focus(k_box)
    explorer_page.fill(k_box, "4")
    explorer_page.keyboard.press("ArrowUp")  # the arrow keys step K too
    s = state(explorer_page)
    assert s["K"] == 5 and explorer_page.get_attribute(k_box, "aria-invalid") is None
    assert_matches_library(s)


def test_reset_restores_the_initial_setting(explorer_page):
    s0 = state(explorer_page, 2)
    uid = s0["id"]
    explorer_page.fill(f"#{uid}-K", "7")
    explorer_page.fill(f"#{uid}-z1-num", "9")
    explorer_page.fill(f"#{uid}-T-num", "0")  # invalid, flagged
    set_input(explorer_page, f"#{uid}-z3", "-4")
    assert state(explorer_page, 2)["logits"] != s0["logits"]
    explorer_page.click(f"#{uid}-reset")
    s = state(explorer_page, 2)
    assert (s["K"], s["logits"], s["temperature"], s["probabilities"]) == \
        (s0["K"], s0["logits"], s0["temperature"], s0["probabilities"])
    assert explorer_page.input_value(f"#{uid}-z1-num") == explorer_page.input_value(f"#{uid}-z1") == "-3"
    assert explorer_page.input_value(f"#{uid}-T-num") == "0.25"
    assert explorer_page.get_attribute(f"#{uid}-T-num", "aria-invalid") is None
    assert "Not updated" not in s["status"]
    assert_matches_library(s)


def test_layout_on_a_phone(explorer_page):
    """At 360 px nothing leaves the explorer's box and every slider is wide enough to drag."""
    explorer_page.set_viewport_size({"width": 360, "height": 800})
    report = explorer_page.evaluate("""() => Array.from(document.querySelectorAll('div.softmax-explorer'), root => {
        const box = root.getBoundingClientRect();
        const sliders = Array.from(root.querySelectorAll('.sx-row:not([hidden]) input[type=range]'));
        return {overflow: root.scrollWidth - root.clientWidth, right: box.right, viewport: innerWidth,
                narrowest: Math.min(...sliders.map(s => s.getBoundingClientRect().width))};
    })""")
    for r in report:
        assert r["overflow"] <= 0 and r["right"] <= r["viewport"], r
        assert r["narrowest"] >= 180, f"a slider is only {r['narrowest']:.0f} px wide at 360 px"


def test_controls_are_labelled(explorer_page):
    report = explorer_page.evaluate("""() => Array.from(document.querySelectorAll('div.softmax-explorer input'),
        el => ({type: el.type, label: el.labels.length ? el.labels[0].textContent : el.getAttribute('aria-label')}))""")
    assert report and all(r["label"] for r in report), report
    ids = explorer_page.evaluate("() => Array.from(document.querySelectorAll('[id]'), el => el.id)")
    assert len(ids) == len(set(ids)), "element ids are not unique across explorers"


SITE_EXPLORER_PAGES = [rel for rel in site_pages()
                       if "softmax-explorer" in (SITE_DIR / rel).read_text(encoding="utf-8", errors="replace")]


@pytest.mark.parametrize("rel", SITE_EXPLORER_PAGES or ["(none)"])
def test_explorers_in_built_site(rel, page, site_url):
    """Every explorer on the published pages starts, matches the library, and follows the keyboard."""
    require_site()
    if rel == "(none)":
        pytest.skip(f"no page of the built site in {SITE_DIR} embeds explorer_html()")
    page.goto(site_url + rel, wait_until="load")
    count = page.evaluate("() => document.querySelectorAll('div.softmax-explorer').length")
    assert count > 0
    page.wait_for_function(f"() => document.querySelectorAll('div.softmax-explorer[data-ready=true]').length "
                           f"=== {count}")
    for i in range(count):
        s0 = state(page, i)
        assert_matches_library(s0)
        slider = f"#{s0['id']}-z1"
        page.focus(slider)
        page.keyboard.press("ArrowRight")
        s1 = state(page, i)
        assert s1["logits"] != s0["logits"] or s0["logits"][0] >= LOGIT_RANGE[1]
        assert_matches_library(s1)
        page.fill(f"#{s0['id']}-z1-num", "10000")
        assert_matches_library(state(page, i))
    problems = page.log.problems()
    assert not problems, "\n".join(problems)
    assert json.loads(page.evaluate("() => JSON.stringify(typeof window.softmaxExplorer.compute)")) == "function"
