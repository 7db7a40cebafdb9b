"""One index letter per role on every page and in every exercise (issue 13, Corrections).

The notation page reserves $i$ for samples, $j$ for features and $k$, $l$ for classes. A sum over the
classes therefore runs over $l$ (or $k$), never over $j$, and the softmax Jacobian is written
$\\partial a_k / \\partial z_l = a_k(\\delta_{kl} - a_l)$, not with $i$, $j$. These tests read the Markdown
of the book's pages and of the exercise notebooks (their Markdown cells) and fail on the patterns that
put a sample or feature letter on a class.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "book").glob("*.md"))
NOTEBOOKS = sorted((ROOT / "exercises" / "source").glob("*/*.ipynb"))

#: Class-index mistakes, each with what it means. A subscript may be written ``_j`` or ``_{j}``.
WRONG_INDEX = {
    "a sum over the K classes indexed by j": re.compile(r"\\sum_\{?j\s*=\s*1\}?\^\{?K\b"),
    "a sum of exponentials of logits indexed by j": re.compile(r"\\sum_\{?j[^$]{0,24}?e\^\{?\s*z_\{?j\b"),
    "a logit z_j or probability a_j (j counts features)": re.compile(r"(?<![\\\w])[az]_\{?j\}?(?![\w{^(])"),
    "a logit z_i or probability a_i (i counts samples)": re.compile(r"(?<![\\\w])[az]_\{?i\}?(?![\w{^(])"),
    "the maximum logit over j": re.compile(r"\\max_\{?j\}?\s*z_"),
    "a Kronecker delta over i, j for classes": re.compile(r"\\delta_\{?ij\}?"),
}


def _markdown(path: Path) -> str:
    """The Markdown of a page, or the Markdown cells of a notebook (its code and outputs are not prose)."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def _problems(text: str, rules: dict[str, re.Pattern] = WRONG_INDEX) -> list[str]:
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        for what, pattern in rules.items():
            for match in pattern.finditer(line):
                problems.append(f"line {number}: {what}: {match.group(0)!r} in {line.strip()[:120]!r}")
    return problems


@pytest.mark.parametrize("path", PAGES + NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in PAGES + NOTEBOOKS])
def test_class_indices_are_k_or_l(path):
    problems = _problems(_markdown(path))
    assert not problems, f"{path.relative_to(ROOT)}: use k or l for classes (notation page):\n" + "\n".join(problems)




# --- One symbol, one meaning (issue 19): the notation page's letters for the loss, probabilities and labels. ---

#: Each rule: a pattern that breaks it, and what the notation page says instead.
WRONG_SYMBOL = {
    "the loss of a sample is \\ell (L is the Lipschitz constant)": re.compile(
        r"(?<![\\\w])(?:\\tilde\s*)?L\^\{\(i\)\}|\\partial\s+L(?![\w^])|(?<![\\\w])L_\{\\text\{(?:hinge|CE)\}\}"
        r"|\\nabla_z\^2\s*L\b|(?<![\\\w$])L\(i\)|\$L = \{-|\bdL_d[A-Za-z]"),
    "L bounds the curvature of J_lambda: the descent lemma is written for J_\\lambda": re.compile(
        r"(?<![\w\\])J\(\\theta[^$]*\\alpha\s*L\b"),
    "the model's probabilities are a (p and q name generic distributions)": re.compile(r"(?<![\\\w])p\^\{\(i\)"),
    "the one-hot label vector is \\mathbf{y}^{(i)} (y^{(i)} is the class index)": re.compile(
        r"H\\bigl\(\s*y\^\{\(i\)\}|H\(\s*y\^\{\(i\)\}|D_\{\\mathrm\{KL\}\}\\bigl\(\s*y\^\{\(i\)\}"
        r"|\(1\s*-\s*\\varepsilon\)\s*(?:\\[,;:!]\s*)?y(?![_\w])|\(a\s*-\s*y\)\^\\top|one-hot \$y\$"),
    "the binary label 1 is class 2: z = z_2 - z_1, logits (0, z)": re.compile(
        r"(?<![\w\\])[zwb]\s*=\s*[zwb]_1\s*-\s*[zwb]_2|\(z,\s*0\)|y\s*=\s*1\$?\"?\s*(?:is\s+)?the first class"
        r"|P\(y\s*=\s*1\s*\\mid\s*x\)\s*=\s*\\sigma\(z_1"),
}
#: The instructor guide is rewritten elsewhere; the authoring notes quote wrong examples on purpose.
SYMBOL_PAGES = [p for p in PAGES if p.name not in {"instructor_guide.md", "authoring.md"}]


def _symbol_problems(text: str) -> list[str]:
    return _problems(text, WRONG_SYMBOL)


@pytest.mark.parametrize("path", SYMBOL_PAGES + NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in SYMBOL_PAGES + NOTEBOOKS])
def test_one_symbol_one_meaning(path):
    problems = _symbol_problems(_markdown(path))
    assert not problems, f"{path.relative_to(ROOT)}: symbols as on the notation page:\n" + "\n".join(problems)


#: Text each check must flag, and text it must accept (the notation page's own forms).
CHECKS = {"class index": _problems, "symbol": _symbol_problems}
WRONG = [
    ("class index", r"a_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}"),
    ("class index", r"$e^{z_k} / \sum_j e^{z_j}$"),
    ("class index", r"$\sum_{j=1}^K e^{z_j - c}$"),
    ("class index", r"c = \max_j z_j"),
    ("class index", r"\frac{\partial a_i}{\partial z_j} = a_i\,(\delta_{ij} - a_j)"),
    ("class index", r"the overview writes $\sigma(z_i)$"),
    ("symbol", r"J = \frac{1}{m}\sum_{i=1}^{m} L^{(i)}"),
    ("symbol", r"$\partial L / \partial z_k = a_k - y_k$"),
    ("symbol", r"\tilde L^{(i)} = \operatorname{LSE}(p^{(i)})"),
    ("symbol", r"L_{\text{hinge}} = \sum_{l \ne y} \max(0, z_l - z_y + \Delta)"),
    ("symbol", r"\frac{1}{m}\sum_i (p^{(i)} - y^{(i)})"),
    ("symbol", r"J = \frac{1}{m}\sum_i H\bigl(y^{(i)}, a^{(i)}\bigr)"),
    ("symbol", r"D_{\mathrm{KL}}\bigl(y^{(i)} \,\|\, a^{(i)}\bigr)"),
    ("symbol", r"$\tilde y = (1 - \varepsilon) y + \varepsilon / K$"),
    ("symbol", r"the target $(1 - \varepsilon)\, y^{(i)} + \varepsilon / K$"),
    ("symbol", r"$\partial \ell / \partial W = x\,(a - y)^\top$ and $\partial \ell / \partial b = a - y$"),
    ("symbol", r"With a one-hot $y$, the gradient"),
    ("symbol", r'print("losses L(i):", losses)'),
    ("symbol", r"dL_dW = np.outer(x, a - y)"),
    ("symbol", r'ax.annotate(f"$p = {q:.4f}$\n$L = {-np.log(q):.4f}$")'),
    ("symbol", r"$J(\theta - \alpha g) \le J(\theta) - \alpha\left(1 - \frac{\alpha L}{2}\right)\lVert g \rVert^2$"),
    ("symbol", r"Two-class softmax is logistic regression, with logit $z = z_1 - z_2$."),
    ("symbol", r"the softmax of the two logits $(z, 0)$"),
    ("symbol", r'Call "$y = 1$" the first class and "$y = 0$" the second.'),
    ("symbol", r"predicts $P(y = 1 \mid x) = \sigma(z_1 - z_2)$"),
    ("symbol", r"for a logistic regression with $w = w_1 - w_2$ and $b = b_1 - b_2$"),
]
RIGHT = [
    ("class index", r"a_k = \frac{e^{z_k}}{\sum_{l=1}^{K} e^{z_l}}"),
    ("class index", r"z_k = \sum_{j=1}^{d} w_{j,k}\, x_j + b_k"),  # a sum over features is j's job
    ("class index", r"\frac{\lambda}{2}\sum_{j=1}^{d}\sum_{k=1}^{K} w_{j,k}^2"),
    ("class index", r"\frac{\partial a_k}{\partial z_l} = a_k\,(\delta_{kl} - a_l)"),
    ("class index", r"$a_k^{(i)}$ and $z^{(i)}_k$, $x_j^{(i)}$, $\max_l z_l$"),
    ("symbol", r"J = \frac{1}{m}\sum_{i=1}^{m} \ell^{(i)}, \quad \alpha = 1/L, \quad L = \lambda_{\max}/2m + \lambda"),
    ("symbol", r"$\partial \ell / \partial z_k = a_k - y_k$ and $\mathcal{L}(W, b)$"),
    ("symbol", r"\frac{1}{m}\sum_i (a^{(i)} - \mathbf{y}^{(i)}), \quad H(p, q), \quad H\bigl(\mathbf{y}^{(i)}, a^{(i)}\bigr)"),
    ("symbol", r"\tilde y_k = (1 - \varepsilon)\, y_k + \frac{\varepsilon}{K}"),
    ("symbol", r"(1 - \varepsilon)\, \mathbf{y}^{(i)} + \varepsilon / K"),
    ("symbol", r"$x\,(a - \mathbf{y})^\top$; the logistic residual $a - y$ with $y$ the 0/1 label; $(a - y)^2$"),
    ("symbol", r"$J_\lambda(\theta - \alpha g) \le J_\lambda(\theta) - \alpha(1 - \alpha L / 2)\lVert g \rVert^2$"),
    ("symbol", r"$z = z_2 - z_1$, $w = w_2 - w_1$, logits $(0, z)$"),
    ("symbol", r"$a_1 = \sigma(z_1 - z_2)$, $P(y = 1 \mid x) = a_2$"),
    ("symbol", r'print("losses l(i):", losses)  # and the likelihood -log L / m'),
]


@pytest.mark.parametrize("check, wrong", WRONG)
def test_each_check_catches_a_violation(check, wrong):
    assert CHECKS[check](wrong), f"the {check} check does not catch: {wrong}"


@pytest.mark.parametrize("check, right", RIGHT)
def test_each_check_accepts_the_notation(check, right):
    assert not CHECKS[check](right), CHECKS[check](right)


def test_notation_page_defines_the_symbols():
    page = (ROOT / "book" / "notation.md").read_text(encoding="utf-8")
    for row in (r"| $\ell^{(i)}$ |", r"| $J_\lambda$ |", r"| $L$ |", r"| $\mathbf{y}^{(i)}$"):
        assert row in page, f"the notation page has no row {row!r}"


# --- The explorer's text (issue 19): its formula line uses the notation's class letter. ---

#: A class index written with the sample or feature letter in HTML (``max<sub>j</sub> z<sub>j</sub>``).
HTML_WRONG_INDEX = re.compile(r"(?:max|[aze])<sub>[ij]</sub>")


def _html_problems(markup: str) -> list[str]:
    return [m.group(0) for m in HTML_WRONG_INDEX.finditer(markup)]


def test_explorer_uses_the_class_letter():
    from lecture_lib.explorer import explorer_html

    markup = explorer_html().data
    assert "max<sub>l</sub> z<sub>l</sub>" in markup, "the explorer's formula should read c = max_l z_l / T"
    assert not _html_problems(markup), _html_problems(markup)


def test_the_html_check_catches_a_violation():
    assert _html_problems("with c = max<sub>j</sub> z<sub>j</sub>/T")
    assert not _html_problems("e<sub>k</sub> = exp(z<sub>k</sub>/T) with c = max<sub>l</sub> z<sub>l</sub>/T")


#: Figure labels are notation too: the plotting helpers' source, checked with the same symbol rules.
PLOTTING = sorted((ROOT / "lecture_lib" / "plotting").glob("*.py"))


@pytest.mark.parametrize("path", PLOTTING, ids=[p.name for p in PLOTTING])
def test_plot_labels_use_the_notation(path):
    problems = _symbol_problems(path.read_text(encoding="utf-8"))
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_notation_page_defines_temperature_class_weights_and_the_binary_labels():
    page = (ROOT / "book" / "notation.md").read_text(encoding="utf-8")
    for row in (r"| $T$ |", r"| $\omega_k$", r"| $\pi_k$", r"| $\mu_k$ |", r"| $\Sigma$ |"):
        assert row in page, f"the notation page has no row {row!r}"
    assert "$y = 1$ is class 2" in page, "the notation page must state which class the binary label 1 is"
