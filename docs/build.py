"""Build the documentation: check the proof, build the HTML, look at it in a browser.

Usage (from the repository's top folder; ``nox -s docs`` runs exactly this)::

    python docs/build.py

1. ``proofcheck verify --profile ci --json docs/_build/report.json`` checks
   every step once. The pages render this report, so a step that fails stops
   the build here.
2. ``sphinx-build -W --keep-going`` builds ``docs/_build/html``: any warning
   is an error.
3. Headless Chromium opens the main pages, served from this machine, and
   asserts that MathJax typeset the math (its output elements are present and
   no raw TeX delimiters are left in the text) and that no request left the
   machine: Chromium resolves no host name, and its proxy is a local recorder
   that refuses every request, so nothing can leave; a request the recorder
   sees for any host that Chromium does not contact on its own (measured on an
   empty local page first) fails the check. It also saves screenshots of
   the annotated induction steps, docs/_build/screenshots/T1.step.png and
   docs/_build/screenshots/G.step.png.
   Then it opens every built page at a viewport 1280 px wide and measures each
   table of the page's main content column: a table wider than that column
   (or scrolling inside its wrapper, so part of it is cut off) fails the
   check, named by its page and its header cells. The landing page at that
   width is saved as docs/_build/screenshots/index.png.
   Without Chromium the check is skipped with a message; set ``CHROMIUM`` to
   the browser's path if it is not on ``PATH``.

Exit status 0 when all three pass.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import functools
import html.parser
import http.server
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
BUILD = DOCS / "_build"
REPORT = BUILD / "report.json"
HTML = BUILD / "html"
SCREENSHOTS = BUILD / "screenshots"

#: Pages the browser check opens (relative to the HTML root); every one has math.
PAGES = ("index.html", "proof/notation.html", "proof/lemmas.html", "proof/theorem.html",
         "proof/data-matrix.html", "proof/generalization.html", "guides/getting-started.html",
         "guides/your-implementation.html", "guides/how-it-works.html",
         "guides/adding-a-layer-type.html", "guides/trust-and-safety.html")
#: The page and anchor of each screenshot (saved as ANCHOR.png).
SCREENSHOT_PAGES = ("proof/theorem.html#T1.step", "proof/generalization.html#G.step")
#: The landing page: measured first, and saved whole as index.png by the layout check.
LANDING = "index.html"
#: The viewport of the layout check: every table must fit its page's content column.
LAYOUT_VIEWPORT = (1280, 1500)
#: CSS pixels a table may exceed its column by (sub-pixel rounding of the layout).
LAYOUT_SLACK = 1.0
#: Header cells named in a problem message before the rest is elided.
HEADER_CELLS_SHOWN = 6
#: Characters of a header cell named in a problem message before the rest is elided.
HEADER_CELL_CHARS = 40

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-default-apps",
                  "--disable-extensions", "--no-default-browser-check",
                  "--hide-scrollbars", "--mute-audio",
                  # Chromium's own model and hint downloads (optimizationguide-pa), which a
                  # longer session starts, are not requests of the pages.
                  "--disable-features=OptimizationHints,OptimizationHintsFetching,"
                  "OptimizationGuideModelDownloading,OptimizationTargetPrediction")
#: Milliseconds of virtual time a page gets to load its scripts and typeset.
VIRTUAL_TIME_BUDGET = 20000
#: TeX delimiters that must not be left in the rendered text.
RAW_TEX = ("$$", "\\(", "\\)", "\\[", "\\]", "\\begin{")


class BuildError(Exception):
    """A stage of the build failed; the message says which and why."""


# --- stages 1 and 2 -----------------------------------------------------------------


def verify() -> None:
    """Run the check once and keep its JSON report for the pages."""
    BUILD.mkdir(parents=True, exist_ok=True)
    print(f"[docs] proofcheck verify --profile ci --json {REPORT.relative_to(ROOT)}",
          flush=True)
    done = subprocess.run([sys.executable, "-m", "proofcheck", "verify", "--profile", "ci",
                           "--json", str(REPORT), "--quiet"], cwd=ROOT, check=False)
    if done.returncode != 0:
        raise BuildError(f"proofcheck verify exited with {done.returncode}: a step of the "
                         "proof does not hold (see the report above), so the documentation, "
                         "which shows every verdict, is not built")


def sphinx() -> None:
    """Build the HTML with warnings as errors."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going",
               "-d", str(BUILD / "doctrees"), str(DOCS), str(HTML)]
    print("[docs] sphinx-build -b html -W --keep-going docs docs/_build/html", flush=True)
    env = dict(os.environ, PROOFCHECK_DOCS_REPORT=str(REPORT))
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        raise BuildError(f"sphinx-build exited with {done.returncode} (warnings are errors)")


# --- stage 3: the browser check --------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A proxy that forwards nothing: it records each request's host and refuses it."""

    seen: ClassVar[list[tuple[str, str]]] = []

    def _refuse(self) -> None:
        target = self.path.split("://", 1)[-1].split("/", 1)[0]
        self.seen.append((target.rsplit(":", 1)[0] if ":" in target else target,
                          f"{self.command} {self.path[:120]}"))
        self.send_error(403, "proofcheck docs check: no request may leave the machine")

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = do_CONNECT = _refuse

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class _Text(html.parser.HTMLParser):
    """The text a reader sees, and the number of MathJax output elements."""

    HIDDEN: ClassVar[set[str]] = {"script", "style", "pre", "code", "textarea", "mjx-container",
                                   "noscript"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []
        self.typeset = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mjx-container":
            self.typeset += 1
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def _chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _run_chromium(chromium: str, proxy_port: int, *args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="proofcheck-docs-chromium-") as profile:
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--proxy-server=http://127.0.0.1:{proxy_port}",
                   "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                   f"--virtual-time-budget={VIRTUAL_TIME_BUDGET}", *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180,
                              check=False)
    if done.returncode != 0:
        raise BuildError(f"chromium exited with {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


class _DevTools:
    """A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``.

    Chromium reads commands from its file descriptor 3 and writes replies and
    events to 4, each a JSON object followed by a NUL byte.
    """

    def __init__(self, chromium: str, proxy_port: int, profile: str) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds() -> None:  # in the child: the pipe ends become descriptors 3 and 4
            high_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--proxy-server=http://127.0.0.1:{proxy_port}",
                   "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                   "--remote-debugging-pipe", "about:blank"]
        self._process = subprocess.Popen(command, preexec_fn=fds, pass_fds=(3, 4),
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.session = ""

    def _read(self, timeout: float) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chrome], [], [], left)[0]:
                raise BuildError("Chromium did not answer over the DevTools pipe in time")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise BuildError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def call(self, method: str, params: dict[str, object] | None = None, *,
             timeout: float = 60.0) -> dict[str, object]:
        self._next_id += 1
        message: dict[str, object] = {"id": self._next_id, "method": method,
                                      "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(timeout)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BuildError(f"DevTools {method} failed: {reply['error']}")
                return reply.get("result", {})  # type: ignore[return-value]

    def close(self) -> None:
        try:
            self.session = ""
            self.call("Browser.close", timeout=10)
        except BuildError:
            pass
        finally:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            os.close(self._to_chrome)
            os.close(self._from_chrome)


def _evaluate(tools: _DevTools, expression: str) -> Any:
    """The value of a JavaScript expression in the attached page (promises awaited)."""
    reply = tools.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                            "returnByValue": True})
    if "exceptionDetails" in reply:
        details: Any = reply["exceptionDetails"]
        raise BuildError(f"JavaScript failed in the page: {details.get('text')} "
                         f"{details.get('exception', {}).get('description', '')}".rstrip())
    result: Any = reply.get("result", {})
    return result.get("value")


@contextmanager
def _browser_tab(chromium: str, proxy_port: int,
                 metrics: Mapping[str, object]) -> Iterator[_DevTools]:
    """A headless Chromium with one blank tab attached, at the viewport ``metrics``."""
    with tempfile.TemporaryDirectory(prefix="proofcheck-docs-chromium-") as profile:
        tools = _DevTools(chromium, proxy_port, profile)
        try:
            target = tools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            tools.session = str(tools.call("Target.attachToTarget",
                                           {"targetId": target, "flatten": True})["sessionId"])
            tools.call("Emulation.setDeviceMetricsOverride", dict(metrics))
            yield tools
        finally:
            tools.close()


def screenshot(chromium: str, proxy_port: int, url: str, anchor: str, path: Path) -> None:
    """Open ``url``, wait for MathJax, scroll the section of ``anchor`` to the top, save a PNG."""
    metrics = {"width": 1200, "height": 1500, "deviceScaleFactor": 1, "mobile": False}
    with _browser_tab(chromium, proxy_port, metrics) as tools:
        tools.call("Page.navigate", {"url": url})
        ready = ("(async () => {"
                 " while (document.readyState !== 'complete')"
                 "  await new Promise(r => setTimeout(r, 50));"
                 " if (window.MathJax && MathJax.startup) await MathJax.startup.promise;"
                 " await document.fonts.ready;"
                 f" const target = document.getElementById({json.dumps(anchor)});"
                 " if (!target) return false;"
                 " const top = (target.closest('section') || target)"
                 "   .getBoundingClientRect().top + window.scrollY - 8;"
                 " window.scrollTo({top: top, behavior: 'instant'});"
                 " await new Promise(r => requestAnimationFrame(() => setTimeout(r, 200)));"
                 " return true; })()")
        if not _evaluate(tools, ready):
            raise BuildError(f"no element with id {anchor!r} in {url}")
        shot = tools.call("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(str(shot["data"])))


# --- the layout check: tables fit their column -----------------------------------------

#: Measures, once the page is loaded, typeset and its fonts ready, the main content
#: column (furo's ``article``; its content box) and every table in it. The value is
#: null while the document is still the one before the navigation.
MEASURE_TABLES = r"""(async (expected) => {
  if (location.href.split('#')[0] !== expected) return null;
  while (document.readyState !== 'complete') await new Promise(r => setTimeout(r, 50));
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  await document.fonts.ready;
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)));
  const column = document.querySelector('article[role="main"]')
    || document.querySelector('[role="main"]') || document.querySelector('main')
    || document.body;
  const style = getComputedStyle(column);
  const padLeft = parseFloat(style.paddingLeft) || 0;
  const padRight = parseFloat(style.paddingRight) || 0;
  const box = column.getBoundingClientRect();
  const left = box.left + column.clientLeft + padLeft;
  const width = column.clientWidth - padLeft - padRight;
  const text = cell => (cell.innerText || cell.textContent || '').replace(/\s+/g, ' ').trim();
  const tables = Array.from(column.querySelectorAll('table')).map((table, index) => {
    const rect = table.getBoundingClientRect();
    const wrapper = table.parentElement.closest('.table-wrapper');
    const outer = wrapper ? wrapper.getBoundingClientRect() : null;
    let cells = Array.from(table.querySelectorAll('thead th, thead td'));
    if (!cells.length && table.rows.length) cells = Array.from(table.rows[0].cells);
    return {
      index: index + 1,
      id: table.id || (wrapper && wrapper.id) || '',
      header: cells.map(text),
      width: Math.max(rect.width, table.scrollWidth),
      wrapper: outer ? outer.width : null,
      right: Math.max(rect.right, outer ? outer.right : -Infinity) - left,
      hidden: wrapper ? wrapper.scrollWidth - wrapper.clientWidth : 0,
    };
  });
  return {column: {tag: column.tagName.toLowerCase(), width: width}, tables: tables};
})"""


def built_pages(html: Path) -> list[str]:
    """Every HTML page of a build, relative to its root: the landing page first, then sorted.

    Folders whose name starts with ``_`` (``_static``, ``_sources``, ...) hold no pages.
    """
    pages = sorted(path.relative_to(html).as_posix() for path in html.rglob("*.html")
                   if not any(part.startswith("_") for part in path.relative_to(html).parts))
    return sorted(pages, key=lambda page: page != LANDING)


def describe_table(table: Mapping[str, Any]) -> str:
    """A table as a reader finds it: its number on the page, its id, its header cells."""
    name = f"table {table['index']}"
    if table.get("id"):
        name += f" #{table['id']}"
    cells = [" ".join(str(cell).split()) for cell in table.get("header") or ()]
    cells = [cell if len(cell) <= HEADER_CELL_CHARS else cell[:HEADER_CELL_CHARS - 1] + "…"
             for cell in cells if cell]
    if cells:
        more = " | …" if len(cells) > HEADER_CELLS_SHOWN else ""
        name += f" ({' | '.join(cells[:HEADER_CELLS_SHOWN])}{more})"
    return name


def table_problems(page: str, measured: Mapping[str, Any], viewport_width: int,
                   slack: float = LAYOUT_SLACK) -> list[str]:
    """The tables of one page's measurement (:data:`MEASURE_TABLES`) that do not fit.

    A table does not fit when it or its scroll wrapper is wider than the content
    column, when either reaches past the column's right edge, or when the wrapper
    hides part of the table (the reader would have to scroll to see it).
    """
    column = float(measured["column"]["width"])
    limit = column + slack
    problems = []
    for table in measured["tables"]:
        width = float(table["width"])
        wrapper = None if table.get("wrapper") is None else float(table["wrapper"])
        right = float(table["right"])
        hidden = float(table.get("hidden") or 0)
        details = []
        if width > limit:
            details.append(f"is {width:.0f} px wide")
        if wrapper is not None and wrapper > limit:
            details.append(f"has a scroll wrapper {wrapper:.0f} px wide")
        if not details and right > limit:
            details.append(f"reaches {right - column:.0f} px past the column's right edge")
        if hidden > slack:
            details.append(f"has {hidden:.0f} px hidden in its scroll wrapper")
        if details:
            problems.append(f"{page}: {describe_table(table)} {', '.join(details)}, but the "
                            f"content column is {column:.0f} px wide at a {viewport_width} px "
                            "viewport")
    return problems


def layout_check(chromium: str, proxy_port: int, base: str, pages: Sequence[str],
                 landing_shot: Path) -> list[str]:
    """Open ``pages`` at :data:`LAYOUT_VIEWPORT` and return the tables that do not fit.

    The landing page, if among ``pages``, is also saved whole as ``landing_shot``.
    """
    width, height = LAYOUT_VIEWPORT
    metrics: dict[str, object] = {"width": width, "height": height, "deviceScaleFactor": 1,
                                  "mobile": False}
    problems: list[str] = []
    with _browser_tab(chromium, proxy_port, metrics) as tools:
        for page in pages:
            url = f"{base}/{page}"
            tools.call("Page.navigate", {"url": url})
            measured = None
            deadline = time.monotonic() + 60
            while measured is None:
                if time.monotonic() > deadline:
                    raise BuildError(f"{page} did not load in the layout check")
                try:
                    measured = _evaluate(tools, f"{MEASURE_TABLES}({json.dumps(url)})")
                except BuildError as exc:  # the old document went away mid-evaluation
                    if "context" not in str(exc).lower():
                        raise
                if measured is None:
                    time.sleep(0.05)
            found = table_problems(page, measured, width)
            problems += found
            print(f"[docs]   {page} at {width} px: {len(measured['tables'])} tables, "
                  f"{len(found)} too wide for the "
                  f"{measured['column']['width']:.0f} px column", flush=True)
            if page == LANDING:
                _full_page_screenshot(tools, metrics, height, landing_shot)
    return problems


def _full_page_screenshot(tools: _DevTools, metrics: dict[str, object], height: int,
                          path: Path) -> None:
    """Save the whole attached page (at the viewport's width) as a PNG, then restore the viewport.

    The viewport is made as tall as the page (up to 16000 px) for the picture.
    """
    tall = int(_evaluate(tools, "Math.ceil(document.documentElement.scrollHeight)"))
    tools.call("Emulation.setDeviceMetricsOverride",
               {**metrics, "height": max(height, min(tall, 16000))})
    try:
        _evaluate(tools, "new Promise(r => requestAnimationFrame(() => setTimeout(r, 200)))")
        shot = tools.call("Page.captureScreenshot", {"format": "png"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(str(shot["data"])))
    finally:
        tools.call("Emulation.setDeviceMetricsOverride", metrics)


def browser_check() -> None:
    """Open the pages in headless Chromium: math typeset, tables fit, no request off the machine."""
    chromium = _chromium()
    if chromium is None:
        print("[docs] browser check SKIPPED: Chromium not found (install Debian's chromium "
              "package, or set CHROMIUM to the browser's path)", flush=True)
        return
    print(f"[docs] browser check with {chromium}", flush=True)
    _Recorder.seen = []
    problems: list[str] = []
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    with tempfile.TemporaryDirectory(prefix="proofcheck-docs-empty-") as empty:
        Path(empty, "empty.html").write_text("<!DOCTYPE html><title>empty</title>\n")
        blank = functools.partial(_QuietHandler, directory=empty)
        with _serve(blank) as port, _serve(_Recorder) as proxy_port:  # type: ignore[arg-type]
            _run_chromium(chromium, proxy_port, "--dump-dom",
                          f"http://127.0.0.1:{port}/empty.html")
    own = {host for host, _ in _Recorder.seen}
    if own:
        print(f"[docs]   Chromium's own background requests (refused): {', '.join(sorted(own))}",
              flush=True)
    _Recorder.seen = []
    with _serve(handler) as port, _serve(_Recorder) as proxy_port:  # type: ignore[arg-type]
        base = f"http://127.0.0.1:{port}"
        for page in PAGES:
            start = time.perf_counter()
            dom = _run_chromium(chromium, proxy_port, "--dump-dom", f"{base}/{page}")
            text = _Text()
            text.feed(dom)
            visible = "".join(text.parts)
            raw = [d for d in RAW_TEX if d in visible]
            has_math = 'class="math' in (HTML / page).read_text(encoding="utf-8")
            if has_math and text.typeset == 0:
                problems.append(f"{page}: no MathJax output (mjx-container) in the page")
            if raw:
                problems.append(f"{page}: raw TeX left in the rendered text: {raw}")
            print(f"[docs]   {page}: {text.typeset} formulas typeset, "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for target in SCREENSHOT_PAGES:
            page, _, anchor = target.partition("#")
            shot = SCREENSHOTS / f"{anchor}.png"
            screenshot(chromium, proxy_port, f"{base}/{page}", anchor, shot)
            if not shot.exists():
                problems.append(f"no screenshot was written to {shot}")
            else:
                print(f"[docs]   screenshot of {target}: {shot.relative_to(ROOT)}", flush=True)
        pages = built_pages(HTML)
        landing_shot = SCREENSHOTS / f"{Path(LANDING).stem}.png"
        landing_shot.unlink(missing_ok=True)
        problems += layout_check(chromium, proxy_port, base, pages, landing_shot)
        if LANDING in pages and not landing_shot.exists():
            problems.append(f"no screenshot was written to {landing_shot.relative_to(ROOT)}")
        elif landing_shot.exists():
            print(f"[docs]   screenshot of {LANDING} at {LAYOUT_VIEWPORT[0]} px: "
                  f"{landing_shot.relative_to(ROOT)}", flush=True)
    leaving = [line for host, line in _Recorder.seen if host not in own]
    if leaving:
        problems.append("the pages tried to load from the network: " + "; ".join(leaving))
    if problems:
        raise BuildError("browser check failed:\n  " + "\n  ".join(problems))
    print(f"[docs] browser check passed: {len(PAGES)} pages typeset, the tables of "
          f"{len(pages)} pages fit their column at {LAYOUT_VIEWPORT[0]} px, no request left "
          "the machine", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true",
                        help="remove docs/_build first (a from-scratch build)")
    if parser.parse_args(argv).clean and BUILD.exists():
        shutil.rmtree(BUILD)
    try:
        verify()
        sphinx()
        browser_check()
    except BuildError as exc:
        print(f"\n[docs] FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"[docs] built {HTML.relative_to(ROOT)}/index.html")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
