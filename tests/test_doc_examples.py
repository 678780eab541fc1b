"""Every example in the guides runs, so none can go stale.

The guides (``docs/guides/*.md``) may contain only code blocks that something
executes:

* ```` ```python ```` blocks run here, page by page in one namespace, in a
  temporary folder; a ``test_*`` function a page defines is then called;
* ```` ```{proofcheck-run} ```` blocks run while the docs are built, and the
  build fails if their exit status is not the one the page states; here
  their step IDs and ``--impl`` and ``--layer`` targets are checked to exist;
* ```` ```{literalinclude} ```` pulls text from the repository (the README's
  install commands, a mutant's source), so it cannot drift either.

Any other code block fails the test: it would be an example nothing runs.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from proofcheck.steps import STEP_IDS

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ROOT / "docs" / "guides"

FENCE = re.compile(r"^(?P<fence>```+|~~~+)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)\s*$",
                   re.MULTILINE | re.DOTALL)
#: Directives that are fenced like code but are not examples.
NOT_EXAMPLES = {"{literalinclude}", "{protocol-table}", "{tolerance-table}", "{profile-table}",
                "{toctree}", "{proofcheck-property}", "{verdict-summary}"}


def blocks(path: Path) -> list[tuple[str, str, str]]:
    """``(language or directive, argument, body)`` of each fenced block."""
    out = []
    for m in FENCE.finditer(path.read_text(encoding="utf-8")):
        info = m.group("info").strip()
        word, _, argument = info.partition(" ")
        out.append((word, argument.strip(), m.group("body")))
    return out


GUIDE_PAGES = sorted(GUIDES.glob("*.md"))


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=lambda p: p.name)
def test_every_code_block_is_run_by_something(page: Path) -> None:
    unknown = [word or "(no language)" for word, _, _ in blocks(page)
               if word not in {"python", "{proofcheck-run}"} | NOT_EXAMPLES]
    assert not unknown, (f"{page.name} has code blocks that nothing runs: {unknown}; write "
                         "Python as ```python (run by this test) and shell commands as "
                         "```{proofcheck-run} (run by the docs build)")


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=lambda p: p.name)
def test_shell_examples_name_real_steps_and_implementations(page: Path) -> None:
    from proofcheck.engine._verify import load_implementation
    from proofcheck.layers import ActivationMap, LayerMap

    for word, argument, _ in blocks(page):
        if word != "{proofcheck-run}":
            continue
        argv = shlex.split(argument)
        assert argv[0] == "proofcheck", argument
        if "verify" in argv:
            assert argv[argv.index("--profile") + 1] == "ci", \
                f"{argument}: examples use --profile ci (deterministic, fast)"
        if "--steps" in argv:
            steps = argv[argv.index("--steps") + 1].split(",")
            assert set(steps) <= set(STEP_IDS), f"{argument}: unknown steps"
        for option in ("--impl", "--layer"):
            if option not in argv:
                continue
            cwd = os.getcwd()
            os.chdir(ROOT)  # as the docs build runs it: from the repository's top folder
            try:
                target = load_implementation(argv[argv.index(option) + 1], option=option)
            finally:
                os.chdir(cwd)
            if option == "--layer":
                assert isinstance(target, LayerMap | ActivationMap) or (
                    isinstance(target, type) and issubclass(target, LayerMap | ActivationMap)), \
                    f"{argument}: --layer names {target!r}, which is not a layer type"


PYTHON_PAGES = [p for p in GUIDE_PAGES if any(w == "python" for w, _, _ in blocks(p))]


@pytest.mark.slow  # a few seconds per page: each example runs the check on a few steps
@pytest.mark.parametrize("page", PYTHON_PAGES, ids=lambda p: p.name)
def test_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # the examples write nothing into the repository
    namespace: dict[str, object] = {"__name__": f"docs_example_{page.stem.replace('-', '_')}"}
    for i, (word, _, body) in enumerate(blocks(page)):
        if word == "python":
            code = compile(body, f"{page.relative_to(ROOT)} (python block {i + 1})", "exec")
            exec(code, namespace)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()
