r"""The in-page softmax trainer (lecture_lib.trainer.trainer_html) driven in headless Chromium.

The trainer's gradient descent is compared with ``SoftmaxRegression(solver="gd", tol=0)`` and with the
same iteration carried out in 40-digit decimal arithmetic (an independent, high-precision reference),
on the default data and on seeded random data; then the page is used as a reader would: clicks, drags,
the keyboard, Step / Run / Reset, a diverging learning rate, invalid fields, a 360 px screen, dark mode.

How close must the browser be? (the tolerance, derived)
-------------------------------------------------------
Let :math:`u = 2^{-53}` and :math:`\theta = (W, b)` (9 numbers). The JavaScript repeats lecture_lib's
floating-point operations in lecture_lib's order, with two exceptions: ``Math.exp``/``Math.log`` and
numpy's (SIMD) ``exp``/``log`` may differ in the last bit, and the BLAS products ``XW``,
:math:`X^\top G` and the column sums of :math:`G` may use FMA and another summation order. Any two
orders of a sum of :math:`m` terms differ by at most :math:`2\gamma_m \sum |\text{terms}|`
(:math:`\gamma_m \approx m u`), and each term is off by a few ulps itself, so one gradient entry differs by

.. math:: \delta_g = 2(m + 5)\,u\,S, \qquad S = 2\max(1, \max|X|) + \lambda\,\Theta

(:math:`\sum_i |\tilde x_{ij}|\,|P_{ik} - Y_{ik}| / m \le 2 \max|\tilde x|`, with :math:`\tilde x = (x, 1)`;
:math:`\Theta` the largest parameter along the run). The update :math:`\theta - \alpha g` then rounds
both sides differently by at most :math:`2u(\Theta + \alpha G)` per entry (:math:`G \le S` the largest gradient
entry). Errors do not grow from step to step: the gradient-descent map has Jacobian
:math:`I - \alpha H` with :math:`0 \preceq H \preceq L I` and
:math:`L \le \tfrac12 \lambda_{\max}(\tilde X^\top \tilde X / m) + \lambda`, so for :math:`\alpha \le 2/L`
(asserted for every case) it is non-expansive and the errors of the steps add up. After :math:`N` steps

.. math:: \lVert \Delta\theta_N \rVert_2 \le N \cdot 3\,\bigl(\alpha\,\delta_g + 2u(\Theta + \alpha G)\bigr),

a relative tolerance of order :math:`N m u`, which grows linearly with :math:`N`. For the objective,
:math:`J = \frac1m \sum_i (\log s_i - (z_{i y_i} - c_i))` adds non-negative terms, so its rounding is at
most :math:`2(m + 5) u J`, plus :math:`\lVert\nabla J\rVert_2 \lVert \Delta\theta \rVert_2 \le 3S
\lVert \Delta\theta \rVert_2`; for the final gradient, :math:`L \lVert \Delta\theta_N \rVert_2 + 3\delta_g`.

These are worst-case bounds, so they hold on any CPU. Measured (x86-64, Chromium's V8 against numpy
with OpenBLAS): :math:`\lVert \Delta\theta_N \rVert_2` stays below 2 ulps of :math:`\max|\theta|` up to
:math:`N = 1000` and the losses agree to 6 ulps, while the bound is 10^3 to 10^5 times larger (about
:math:`10^{-11}` at :math:`N = 1000`). Per-entry ulp counts are not used: an entry close to zero (the
entries of :math:`\nabla_b J` sum to zero over the classes; near the optimum every gradient entry is
small) is mostly a rounding residue, so its ulp distance says nothing (10^18 ulps were seen for 4e-17). The bound is still tight enough to catch a wrong formula: a
penalised bias, a sum instead of a mean over the samples, or a penalty gradient of :math:`2\lambda W`
move the parameters by more than 10^9 times the tolerance on these cases; the test asks for 10^4.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, localcontext

import numpy as np
import pytest

from lecture_lib import SoftmaxRegression, softmax_regression_cost_and_gradient
from lecture_lib.gradients import _softmax_cost_grad
from lecture_lib.trainer import DOMAIN, default_data, trainer_html

from ulp import ulp_distance

from .conftest import SITE_DIR, StaticServer, require_site, save_screenshot, site_pages

pytestmark = pytest.mark.browser

U = 2.0 ** -53


def random_data(seed: int, m: int):
    """``m`` uniform points in the plot, labelled by a noisy random linear rule; all three classes occur."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.uniform(*DOMAIN, size=(m, 2)), 2)
    scores = X @ rng.standard_normal((2, 3)) + 0.8 * rng.standard_normal((m, 3))
    y = np.argmax(scores, axis=1)
    y[:3] = [0, 1, 2]
    return X, y


DATASETS = {"default": default_data(), "random": random_data(20261201, 60)}

#: (data set, learning rate, L2 strength, numbers of steps)
CASES = [("default", 0.5, 0.01, (1, 10, 100, 1000)), ("default", 1.0, 0.0, (300,)),
         ("random", 0.5, 0.1, (1, 50, 500)), ("random", 0.25, 0.0, (200,))]


# --- references -----------------------------------------------------------------------------------

def by_hand(X, y, lr, l2, N):
    """Gradient descent with lecture_lib's core, keeping every iterate: ``(thetas, losses, J_N, g_N)``."""
    W, b = np.zeros((2, 3)), np.zeros(3)
    thetas, losses = [np.concatenate([W.ravel(), b])], []
    for _ in range(N):
        J, dW, db = _softmax_cost_grad(X, y, W, b, l2)
        losses.append(J)
        W = W - lr * dW
        b = b - lr * db
        thetas.append(np.concatenate([W.ravel(), b]))
    J, dW, db = _softmax_cost_grad(X, y, W, b, l2)
    return np.array(thetas), np.array(losses), J, np.concatenate([dW.ravel(), db])


def decimal_gd(X, y, lr, l2, N, digits=40):
    """The same iteration in ``digits``-digit decimal arithmetic, from the exact binary inputs."""
    with localcontext() as ctx:
        ctx.prec = digits
        Xd = [[Decimal(float(v)) for v in row] for row in X]
        lr, l2, m = Decimal(float(lr)), Decimal(float(l2)), len(Xd)
        W, b = [[Decimal(0)] * 3 for _ in range(2)], [Decimal(0)] * 3

        def cost_grad(W, b):
            J, dW, db = Decimal(0), [[Decimal(0)] * 3 for _ in range(2)], [Decimal(0)] * 3
            for x, c in zip(Xd, y):
                z = [x[0] * W[0][k] + x[1] * W[1][k] + b[k] for k in range(3)]
                top = max(z)
                e = [(v - top).exp() for v in z]
                s = sum(e)
                J += s.ln() - (z[c] - top)
                for k in range(3):
                    g = e[k] / s - (1 if k == c else 0)
                    dW[0][k] += x[0] * g
                    dW[1][k] += x[1] * g
                    db[k] += g
            J = J / m + l2 / 2 * sum(w * w for row in W for w in row)
            dW = [[dW[j][k] / m + l2 * W[j][k] for k in range(3)] for j in range(2)]
            return J, dW, [v / m for v in db]

        losses = []
        for _ in range(N):
            J, dW, db = cost_grad(W, b)
            losses.append(float(J))
            W = [[W[j][k] - lr * dW[j][k] for k in range(3)] for j in range(2)]
            b = [b[k] - lr * db[k] for k in range(3)]
        J, dW, db = cost_grad(W, b)
        theta = np.array([float(v) for row in W for v in row] + [float(v) for v in b])
        grad = np.array([float(v) for row in dW for v in row] + [float(v) for v in db])
        return theta, np.array(losses), float(J), grad


def tolerances(X, lr, l2, thetas, losses, N):
    """Bounds on ``||Delta theta_N||_2``, on each ``|Delta J_t|`` and on ``||Delta g_N||_2`` (module docstring).

    Every gradient entry is at most ``S`` in size (the bound on its sum of absolute terms), so ``G = S``.
    """
    m = X.shape[0]
    Xt = np.hstack([X, np.ones((m, 1))])
    L = 0.5 * np.linalg.eigvalsh(Xt.T @ Xt / m).max() + l2
    assert lr <= 2 / L, f"learning rate {lr} > 2 / L = {2 / L:.3g}: the error bound needs a non-expansive step"
    theta_max = max(1.0, np.abs(thetas).max())
    S = 2 * max(1.0, np.abs(X).max()) + l2 * theta_max
    delta_g = 2 * (m + 5) * U * S
    per_step = 3 * (lr * delta_g + 2 * U * (theta_max + lr * S))
    tol_theta = N * per_step
    steps = np.arange(len(losses))
    tol_loss = 3 * S * steps * per_step + 2 * (m + 5) * U * np.abs(losses) + 9 * U * l2 * theta_max ** 2
    tol_grad = L * tol_theta + 3 * delta_g
    return tol_theta, tol_loss, tol_grad


def loss_tolerance(X, l2, thetas, J, tol_theta):
    """Bound on the difference of the objective at the final parameters: ``||grad J||_2 ||Delta theta||_2`` plus rounding."""
    S = 2 * max(1.0, np.abs(X).max()) + l2 * max(1.0, np.abs(thetas).max())
    return 3 * S * tol_theta + 2 * (X.shape[0] + 5) * U * abs(J)


def js_train(page, X, y, lr, l2, N):
    return page.evaluate("([p, l, o]) => window.softmaxTrainer.train(p, l, o)",
                         [X.tolist(), y.tolist(), {"lr": lr, "l2": l2, "steps": N}])


def theta_of(result):
    return np.concatenate([np.ravel(result["W"]), result["b"]])


# --- the page -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trainer_url(tmp_path_factory):
    """A standalone page with two trainers (the default one and one on random data), served from 127.0.0.1."""
    folder = tmp_path_factory.mktemp("trainer-page")
    X, y = DATASETS["random"]
    body = trainer_html().data + trainer_html(X, y, learning_rate=0.25, l2=0.0).data
    (folder / "index.html").write_text(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
        "content='width=device-width, initial-scale=1'><link rel='icon' href='data:,'><title>Softmax trainer</title>"
        "<style>:root { color-scheme: light dark; } body { margin: 0 12px; background: Canvas; color: CanvasText; "
        "font: 16px sans-serif; }</style></head>"
        f"<body><main>{body}</main></body></html>", encoding="utf-8")
    server = StaticServer(folder)
    yield server.url + "index.html"
    server.close()


def open_trainer(page, url):
    page.goto(url, wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('div.softmax-trainer[data-ready=true]').length === 2")
    return page


@pytest.fixture
def trainer_page(page, trainer_url):
    yield open_trainer(page, trainer_url)
    problems = page.log.problems()
    assert not problems, "\n".join(problems)


def state(page, index=0):
    """The trainer's data-* attributes, decoded, and its visible texts."""
    return page.evaluate("""(i) => {
      const root = document.querySelectorAll('div.softmax-trainer')[i], d = root.dataset;
      return {id: root.id, points: JSON.parse(d.points), labels: JSON.parse(d.labels), lr: Number(d.lr),
              l2: Number(d.l2), step: Number(d.step), loss: JSON.parse(d.loss), gradNorm: JSON.parse(d.gradNorm),
              W: JSON.parse(d.w), b: JSON.parse(d.b), losses: JSON.parse(d.losses), state: d.state,
              cursor: JSON.parse(d.cursor), text: root.innerText,
              attributes: Array.from(root.attributes, a => a.value).join(' '),
              status: root.querySelector('[role=status]').textContent};
    }""", index)


def assert_state_matches_library(s):
    """The page's parameters after ``step`` steps, its loss and gradient norm there, against lecture_lib."""
    X, y, N = np.array(s["points"]), np.array(s["labels"]), s["step"]
    thetas, losses, J_N, g_N = by_hand(X, y, s["lr"], s["l2"], N)
    tol_theta, tol_loss, tol_grad = tolerances(X, s["lr"], s["l2"], thetas, losses, N)
    got = np.concatenate([np.ravel(s["W"]), s["b"]])
    assert np.linalg.norm(got - thetas[-1]) <= tol_theta, (got, thetas[-1])
    np.testing.assert_array_less(np.abs(np.array(s["losses"][:-1]) - losses), tol_loss + 1e-300)
    assert abs(s["loss"] - J_N) <= loss_tolerance(X, s["l2"], thetas, J_N, tol_theta)
    assert abs(s["gradNorm"] - np.linalg.norm(g_N)) <= tol_grad + 4 * U * np.linalg.norm(g_N)
    assert f"Step {N}:" in s["text"]


def pixel(page, uid, q):
    """Viewport pixel of the data point ``q`` on the trainer's plot."""
    box = page.locator(f"#{uid}-plot").bounding_box()
    lo, hi = DOMAIN
    return box["x"] + (q[0] - lo) / (hi - lo) * box["width"], box["y"] + (hi - q[1]) / (hi - lo) * box["height"]


# --- the numbers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, lr, l2, steps", CASES)
def test_train_hook_matches_lecture_lib(trainer_page, name, lr, l2, steps):
    """window.softmaxTrainer.train against SoftmaxRegression(solver="gd") within the derived tolerance."""
    X, y = DATASETS[name]
    for N in steps:
        r = js_train(trainer_page, X, y, lr, l2, N)
        assert r["diverged"] is None
        model = SoftmaxRegression(solver="gd", learning_rate=lr, l2=l2, max_iter=N, tol=0).fit(X, y)
        thetas, losses, J_N, g_N = by_hand(X, y, lr, l2, N)
        tol_theta, tol_loss, tol_grad = tolerances(X, lr, l2, thetas, losses, N)
        reference = np.concatenate([model.W_.ravel(), model.b_])
        np.testing.assert_allclose(thetas[-1], reference, rtol=0, atol=tol_theta)  # the hand loop is the model
        got = theta_of(r)
        assert np.linalg.norm(got - reference) <= tol_theta, f"N={N}: {got} vs {reference}"
        np.testing.assert_array_less(np.abs(np.array(r["losses"]) - model.loss_history_), tol_loss)
        J_lib, dW, db = softmax_regression_cost_and_gradient(X, y, model.W_, model.b_, l2)
        g_lib = np.concatenate([dW.ravel(), db])
        assert abs(r["loss"] - J_lib) <= loss_tolerance(X, l2, thetas, J_lib, tol_theta)
        assert np.linalg.norm(theta_of({"W": r["gradW"], "b": r["gradb"]}) - g_lib) <= tol_grad
        assert abs(r["gradNorm"] - np.linalg.norm(g_lib)) <= tol_grad + 4 * U * np.linalg.norm(g_lib)
        if N >= 10:
            assert_wrong_formulas_are_caught(X, y, lr, l2, N, reference, tol_theta)


def assert_wrong_formulas_are_caught(X, y, lr, l2, N, reference, tol_theta):
    """A penalised bias, a sum over the samples instead of the mean, or 2 lambda W land far outside."""
    m = X.shape[0]

    def run(variant):
        W, b = np.zeros((2, 3)), np.zeros(3)
        with np.errstate(all="ignore"):
            for _ in range(N):
                _, dW, db = _softmax_cost_grad(X, y, W, b, l2)
                if variant == "sum":
                    dW, db = m * (dW - l2 * W) + l2 * W, m * db
                elif variant == "penalised bias":
                    db = db + l2 * b
                elif variant == "2 lambda W":
                    dW = dW + l2 * W
                W, b = W - lr * dW, b - lr * db
        return np.concatenate([W.ravel(), b])

    variants = ["sum"] + (["penalised bias", "2 lambda W"] if l2 else [])
    for variant in variants:
        distance = np.linalg.norm(run(variant) - reference)
        assert not distance <= 1e4 * tol_theta, f"{variant}: {distance} is within 1e4 x the tolerance {tol_theta}"


@pytest.mark.parametrize("name, lr, l2, N", [("default", 0.5, 0.01, 1), ("default", 0.5, 0.01, 60),
                                             ("random", 0.5, 0.1, 30)])
def test_train_hook_matches_high_precision_reference(trainer_page, name, lr, l2, N):
    """Both the browser and lecture_lib stay within the tolerance of the 40-digit iteration."""
    X, y = DATASETS[name]
    exact_theta, exact_losses, exact_J, exact_g = decimal_gd(X, y, lr, l2, N)
    thetas, losses, J_N, g_N = by_hand(X, y, lr, l2, N)
    tol_theta, tol_loss, tol_grad = tolerances(X, lr, l2, thetas, losses, N)
    r = js_train(trainer_page, X, y, lr, l2, N)
    for label, theta, hist in (("browser", theta_of(r), r["losses"]), ("lecture_lib", thetas[-1], losses)):
        assert np.linalg.norm(theta - exact_theta) <= tol_theta, label
        np.testing.assert_array_less(np.abs(np.array(hist) - exact_losses), tol_loss, err_msg=label)
    assert np.linalg.norm(theta_of({"W": r["gradW"], "b": r["gradb"]}) - exact_g) <= tol_grad
    # Step 1 starts from exactly W = 0, b = 0: the first loss is log 3 to a few ulps on both sides.
    assert ulp_distance(r["losses"][0], exact_losses[0]) <= 4 and ulp_distance(losses[0], exact_losses[0]) <= 4


def test_train_hook_divergence_matches_lecture_lib(trainer_page):
    """Too large a step: the hook stops at the iteration where SoftmaxRegression raises, with finite numbers."""
    X, y = DATASETS["default"]
    for lr, l2 in ((50.0, 0.1), (5.0, 1.0), (1e300, 0.01)):
        r = js_train(trainer_page, X, y, lr, l2, 200)
        assert r["diverged"] is not None, lr
        with pytest.raises(ValueError, match="diverged") as error:
            SoftmaxRegression(solver="gd", learning_rate=lr, l2=l2, max_iter=200, tol=0).fit(X, y)
        iteration = int(re.search(r"at iteration (\d+)", str(error.value)).group(1))
        assert r["diverged"]["iteration"] == iteration, (lr, r["diverged"], str(error.value))
        assert np.all(np.isfinite(theta_of(r)))
    # A huge step without L2 on these nearly separable points overshoots but does not blow up the objective
    # (it is Lipschitz in W): neither side calls that divergence.
    r = js_train(trainer_page, X, y, 1e6, 0.0, 50)
    model = SoftmaxRegression(solver="gd", learning_rate=1e6, l2=0.0, max_iter=50, tol=0).fit(X, y)
    assert r["diverged"] is None and np.all(np.isfinite(model.W_))


def test_train_hook_rejects_bad_arguments(trainer_page):
    X, y = DATASETS["default"]
    cases = [([], [], {"lr": 0.5}, "points"), ([[0, 1]], [3], {"lr": 0.5}, "labels"),
             (X.tolist(), y.tolist()[:-1], {"lr": 0.5}, "labels"), ([[0, float("nan")]], [0], {"lr": 0.5}, "points"),
             (X.tolist(), y.tolist(), {"lr": 0}, "lr"), (X.tolist(), y.tolist(), {"lr": -1}, "lr"),
             (X.tolist(), y.tolist(), {}, "lr"), (X.tolist(), y.tolist(), {"lr": 0.5, "l2": -1}, "l2"),
             (X.tolist(), y.tolist(), {"lr": 0.5, "steps": 1.5}, "steps")]
    for points, labels, opts, word in cases:
        message = trainer_page.evaluate("""([p, l, o]) => { try { window.softmaxTrainer.train(p, l, o); return null; }
            catch (e) { return e.message; } }""", [points, labels, opts])
        assert message and message.startswith(word), (opts, message)


# --- the page as a reader uses it ---------------------------------------------------------------------

def test_initial_state(trainer_page):
    for i in range(2):
        s = state(trainer_page, i)
        assert s["step"] == 0 and s["state"] == "paused" and s["W"] == [[0, 0, 0], [0, 0, 0]]
        assert ulp_distance(s["loss"], np.log(3.0)) <= 4
        assert_state_matches_library(s)
        assert "has not run" not in s["text"]  # the fallback sentence is gone once the script runs


def test_step_button_matches_library(trainer_page):
    uid = state(trainer_page)["id"]
    for _ in range(7):
        trainer_page.click(f"#{uid}-step")
    s = state(trainer_page)
    assert s["step"] == 7 and len(s["losses"]) == 8
    assert_state_matches_library(s)
    X, y = np.array(s["points"]), np.array(s["labels"])
    model = SoftmaxRegression(solver="gd", learning_rate=s["lr"], l2=s["l2"], max_iter=7, tol=0).fit(X, y)
    thetas, losses, _, _ = by_hand(X, y, s["lr"], s["l2"], 7)
    tol_theta = tolerances(X, s["lr"], s["l2"], thetas, losses, 7)[0]
    assert np.linalg.norm(np.concatenate([np.ravel(s["W"]), s["b"]]) - np.concatenate([model.W_.ravel(), model.b_])) \
        <= tol_theta


def test_run_then_pause(trainer_page):
    uid = state(trainer_page, 1)["id"]
    run = f"#{uid}-run"
    trainer_page.click(run)
    assert trainer_page.get_attribute(run, "aria-pressed") == "true" and trainer_page.text_content(run) == "Pause"
    trainer_page.wait_for_function("(id) => Number(document.getElementById(id).dataset.step) >= 40", arg=uid)
    trainer_page.click(run)
    assert trainer_page.get_attribute(run, "aria-pressed") == "false" and trainer_page.text_content(run) == "Run"
    s = state(trainer_page, 1)
    trainer_page.wait_for_timeout(150)
    assert state(trainer_page, 1)["step"] == s["step"] >= 40 and s["state"] == "paused"
    assert s["losses"][-1] < s["losses"][0]
    assert_state_matches_library(s)


def test_reset_and_default_points_restore_the_start(trainer_page):
    s0 = state(trainer_page)
    uid = s0["id"]
    for _ in range(3):
        trainer_page.click(f"#{uid}-step")
    trainer_page.mouse.click(*pixel(trainer_page, uid, (2.5, 2.5)))
    trainer_page.click(f"#{uid}-reset")
    s = state(trainer_page)
    assert s["step"] == 0 and s["W"] == s0["W"] and s["b"] == s0["b"] and len(s["points"]) == len(s0["points"]) + 1
    assert "Reset" in s["status"]
    trainer_page.click(f"#{uid}-restore")
    s = state(trainer_page)
    assert s["points"] == s0["points"] and s["labels"] == s0["labels"] and s["step"] == 0
    assert s["loss"] == s0["loss"] and s["losses"] == [s0["loss"]]


def test_click_adds_a_point_of_the_selected_class(trainer_page):
    s0 = state(trainer_page)
    uid = s0["id"]
    trainer_page.check(f"#{uid}-class2")
    trainer_page.mouse.click(*pixel(trainer_page, uid, (2.5, 2.5)))
    s = state(trainer_page)
    assert len(s["points"]) == len(s0["points"]) + 1 and s["labels"][-1] == 1
    np.testing.assert_allclose(s["points"][-1], [2.5, 2.5], atol=0.03)
    assert "class 2" in s["status"]
    assert_state_matches_library(s)  # the loss shown is the loss of the new data
    trainer_page.check(f"#{uid}-class3")
    trainer_page.mouse.click(*pixel(trainer_page, uid, (-2.5, 2.5)))
    assert state(trainer_page)["labels"][-2:] == [1, 2]
    trainer_page.keyboard.down("Shift")  # Shift+click on a point removes it
    trainer_page.mouse.click(*pixel(trainer_page, uid, (2.5, 2.5)))
    trainer_page.keyboard.up("Shift")
    s = state(trainer_page)
    assert len(s["points"]) == len(s0["points"]) + 1 and s["labels"][-1] == 2 and "Removed the class 2 point" in s["status"]


def test_drag_moves_a_point(trainer_page):
    s0 = state(trainer_page)
    uid = s0["id"]
    start, target = s0["points"][0], (0.8, -2.6)
    trainer_page.mouse.move(*pixel(trainer_page, uid, start))
    trainer_page.mouse.down()
    trainer_page.mouse.move(*pixel(trainer_page, uid, (0.0, -2.0)), steps=4)
    trainer_page.mouse.move(*pixel(trainer_page, uid, target), steps=4)
    trainer_page.mouse.up()
    s = state(trainer_page)
    assert len(s["points"]) == len(s0["points"]) and s["labels"] == s0["labels"]
    np.testing.assert_allclose(s["points"][0], target, atol=0.03)
    assert s["points"][1:] == s0["points"][1:]
    assert "Moved a class 1 point" in s["status"]
    assert_state_matches_library(s)


def test_keyboard_path(trainer_page):
    s0 = state(trainer_page)
    uid, m = s0["id"], len(s0["points"])
    trainer_page.focus(f"#{uid}-plot")
    outline = trainer_page.eval_on_selector(f"#{uid}-plot", "el => getComputedStyle(el).outlineStyle")
    for key in ["ArrowRight"] * 5 + ["ArrowUp"] * 3 + ["Shift+ArrowDown"]:
        trainer_page.keyboard.press(key)
    assert np.allclose(state(trainer_page)["cursor"], [0.5, -0.2])
    trainer_page.keyboard.press("3")
    trainer_page.keyboard.press("Enter")
    s = state(trainer_page)
    assert len(s["points"]) == m + 1 and s["labels"][-1] == 2 and np.allclose(s["points"][-1], [0.5, -0.2])
    assert "Added a class 3 point" in s["status"]
    trainer_page.keyboard.press(" ")  # pick up the new point, carry it, drop it
    trainer_page.keyboard.press("ArrowLeft")
    trainer_page.keyboard.press("ArrowLeft")
    trainer_page.keyboard.press(" ")
    s = state(trainer_page)
    assert np.allclose(s["points"][-1], [0.3, -0.2]) and "Dropped" in s["status"] and len(s["points"]) == m + 1
    assert_state_matches_library(s)
    trainer_page.keyboard.press("Delete")
    s = state(trainer_page)
    assert len(s["points"]) == m and s["points"] == s0["points"] and "Removed" in s["status"]
    assert outline != "none", "the focused plot shows no focus outline"
    # Everything else is reachable with Tab, in order, and shows its focus.
    order = trainer_page.evaluate("""(id) => { const seen = []; const root = document.getElementById(id);
        root.querySelectorAll('input, button').forEach(el => { el.focus();
          seen.push([el.id || el.name, getComputedStyle(el).outlineStyle, document.activeElement === el]); });
        return seen; }""", uid)
    assert all(focused for _, _, focused in order) and len(order) == 3 + 4 + 2
    trainer_page.focus(f"#{uid}-plot")
    trainer_page.keyboard.press("Tab")
    assert trainer_page.evaluate("() => document.activeElement.name") == f"{uid}-class"
    trainer_page.focus(f"#{uid}-step")
    trainer_page.keyboard.press("Enter")
    assert state(trainer_page)["step"] == 1
    for key in ("Tab",) * 2:
        trainer_page.keyboard.press(key)
    assert trainer_page.evaluate("() => document.activeElement.id") == f"{uid}-reset"
    assert trainer_page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"


@pytest.mark.parametrize("lr, l2", [(50.0, 0.1), (1e300, 0.01)])
def test_diverging_learning_rate_shows_a_message_and_no_nan(trainer_page, lr, l2):
    uid = state(trainer_page)["id"]
    trainer_page.fill(f"#{uid}-lr", str(lr))
    trainer_page.fill(f"#{uid}-l2", str(l2))
    trainer_page.click(f"#{uid}-run")
    trainer_page.wait_for_function("(id) => document.getElementById(id).dataset.state === 'diverged'", arg=uid,
                                   timeout=10000)
    s = state(trainer_page)
    assert "diverged" in s["status"] and "too large" in s["status"]
    assert trainer_page.get_attribute(f"#{uid}-status", "data-kind") == "error"
    assert trainer_page.get_attribute(f"#{uid}-run", "aria-pressed") == "false"
    for text in (s["text"], s["attributes"]):
        assert "NaN" not in text and "Infinity" not in text
    assert np.all(np.isfinite(np.ravel(s["W"]))) and np.all(np.isfinite(s["losses"]))
    step = s["step"]
    trainer_page.click(f"#{uid}-step")  # stays stopped, says so again
    assert state(trainer_page)["step"] == step and "diverged" in state(trainer_page)["status"]
    trainer_page.fill(f"#{uid}-lr", "0.5")
    trainer_page.click(f"#{uid}-reset")
    trainer_page.click(f"#{uid}-step")
    s = state(trainer_page)
    assert s["state"] == "paused" and s["step"] == 1
    assert_state_matches_library(s)


def test_invalid_fields_show_a_message_and_are_ignored(trainer_page):
    s0 = state(trainer_page)
    uid = s0["id"]
    for field, bad, good, word in (("lr", ("0", "-1", "", "abc"), "0.3", "learning rate"),
                                   ("l2", ("-0.1", ""), "0", "L2 strength")):
        box, msg = f"#{uid}-{field}", f"#{uid}-{field}-msg"
        for value in bad:
            if value == "abc":
                trainer_page.fill(box, "")
                trainer_page.type(box, value)
            else:
                trainer_page.fill(box, value)
            assert trainer_page.get_attribute(box, "aria-invalid") == "true", value
            assert word in trainer_page.text_content(msg) and "still using" in trainer_page.text_content(msg)
            assert trainer_page.is_visible(msg)
            assert state(trainer_page)[field] == s0[field]
        trainer_page.fill(box, good)
        assert trainer_page.get_attribute(box, "aria-invalid") is None and trainer_page.text_content(msg) == ""
        assert state(trainer_page)[field] == float(good)
    trainer_page.click(f"#{uid}-step")
    assert_state_matches_library(state(trainer_page))


def test_phone_width_and_dark_mode(browser, trainer_url, screenshot_dir):
    """At 360 px nothing overflows and the plot takes taps; in dark mode the ink is light."""
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 360, "height": 800}, color_scheme=scheme,
                                      service_workers="block", has_touch=True)
        external = []
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            ("http://127.0.0.1:", "data:")) else (external.append(route.request.url), route.abort()))
        page = open_trainer(context.new_page(), trainer_url)
        report = page.evaluate("""() => {
          const root = document.querySelector('div.softmax-trainer'), r = root.getBoundingClientRect();
          const inside = Array.from(root.querySelectorAll('*')).filter(el => el.getClientRects().length)
            .map(el => el.getBoundingClientRect()).every(b => b.left >= -0.5 && b.right <= window.innerWidth + 0.5);
          const plot = root.querySelector('canvas.st-regions').getBoundingClientRect();
          return {doc: document.documentElement.scrollWidth, vw: window.innerWidth, left: r.left, right: r.right,
                  inside: inside, plot: [plot.width, plot.height], ink: getComputedStyle(root).color,
                  bg: getComputedStyle(document.body).backgroundColor};
        }""")
        assert report["doc"] <= report["vw"] == 360, report
        assert report["inside"] and 0 <= report["left"] and report["right"] <= 360, report
        assert report["plot"][0] >= 250 and abs(report["plot"][0] - report["plot"][1]) < 1, report
        ink = [int(v) for v in re.findall(r"\d+", report["ink"])[:3]]
        bg = [int(v) for v in re.findall(r"\d+", report["bg"])[:3]]
        assert contrast(ink, bg) >= 7, report  # the canvases draw axes and outlines in this ink
        s = state(page)
        page.touchscreen.tap(*pixel(page, s["id"], (2.6, -2.6)))  # a finger adds a point too
        assert len(state(page)["points"]) == len(s["points"]) + 1
        save_screenshot(page, screenshot_dir / f"trainer-360-{scheme}.png")
        assert external == []
        context.close()


def contrast(rgb1, rgb2):
    """WCAG contrast ratio of two sRGB colours."""
    def luminance(rgb):
        c = np.array(rgb) / 255
        c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((luminance(rgb1), luminance(rgb2)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_page_makes_no_request_to_another_host(trainer_page):
    uid = state(trainer_page)["id"]
    trainer_page.click(f"#{uid}-run")
    trainer_page.wait_for_function("(id) => Number(document.getElementById(id).dataset.step) >= 10", arg=uid)
    trainer_page.click(f"#{uid}-run")
    trainer_page.mouse.click(*pixel(trainer_page, uid, (1.0, 2.7)))
    assert trainer_page.log.external == [] and trainer_page.log.problems() == []
    assert json.loads(trainer_page.evaluate("() => JSON.stringify(typeof window.softmaxTrainer.train)")) == "function"


def test_jupyterlab_outputs(trainer_page):
    """The trainer as JupyterLab 4 shows an HTML output (``renderHTML`` of @jupyterlab/rendermime, 4.6).

    JupyterLab sets the output's ``innerHTML`` (inserted scripts do not run), then, for a trusted output,
    replaces every ``<script>`` by a fresh copy, which runs; an untrusted output (a notebook opened with
    outputs someone else made) is sanitised first, which removes the scripts. Both paths are replayed here:
    the trusted one trains, the untrusted one shows the sentence saying why nothing happens.
    """
    markup = trainer_html().data
    untrusted = re.sub(r"<script>.*?</script>", "", trainer_html().data, flags=re.S)
    assert "<script>" not in untrusted
    trainer_page.evaluate("""([trusted, untrusted]) => {
      for (const html of [trusted, untrusted]) {
        const host = document.createElement('div');
        document.body.appendChild(host);
        host.innerHTML = html;
        for (const old of Array.from(host.getElementsByTagName('script'))) {
          const fresh = document.createElement('script');
          for (const a of Array.from(old.attributes)) { fresh.setAttribute(a.name, a.value); }
          fresh.textContent = old.textContent;
          old.parentNode.replaceChild(fresh, old);
        }
      }
    }""", [markup, untrusted])
    trainer_page.wait_for_function("() => document.querySelectorAll('div.softmax-trainer[data-ready=true]').length === 3")
    s = state(trainer_page, 2)
    trainer_page.click(f"#{s['id']}-step")
    s = state(trainer_page, 2)
    assert s["step"] == 1 and "has not run" not in s["text"]
    assert_state_matches_library(s)
    uid = trainer_page.evaluate("() => document.querySelectorAll('div.softmax-trainer')[3].id")
    assert trainer_page.is_visible(f"#{uid}-nojs") and "Trust Notebook" in trainer_page.text_content(f"#{uid}-nojs")
    assert not trainer_page.is_visible(f"#{uid}-step")  # no dead controls under the sentence


SITE_TRAINER_PAGES = [rel for rel in site_pages()
                      if "softmax-trainer" in (SITE_DIR / rel).read_text(encoding="utf-8", errors="replace")]


@pytest.mark.parametrize("rel", SITE_TRAINER_PAGES or ["(none)"])
def test_trainers_in_built_site(rel, page, site_url):
    """Every trainer on the published pages starts, steps like lecture_lib, and requests nothing elsewhere."""
    require_site()
    if rel == "(none)":
        pytest.skip(f"no page of the built site in {SITE_DIR} embeds trainer_html()")
    page.goto(site_url + rel, wait_until="load")
    count = page.evaluate("() => document.querySelectorAll('div.softmax-trainer').length")
    assert count > 0
    page.wait_for_function(f"() => document.querySelectorAll('div.softmax-trainer[data-ready=true]').length "
                           f"=== {count}")
    for i in range(count):
        uid = state(page, i)["id"]
        page.click(f"#{uid}-step")
        page.click(f"#{uid}-step")
        assert_state_matches_library(state(page, i))
    problems = page.log.problems()
    assert not problems, "\n".join(problems)
