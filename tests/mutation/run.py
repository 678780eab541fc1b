"""Mutation testing of ``proofcheck/backprop.py`` with the property suite (``nox -s mutants``).

mutmut (version 3) changes one operator, constant or argument of
``proofcheck/backprop.py`` at a time and runs the tests that call the changed
function; a mutant the tests still pass on has *survived*. The score is
``killed / (killed + survived)``.

The run never touches the working tree. It exports a committed tree
(``--ref``, default ``HEAD``) with ``git archive`` into a temporary folder,
writes mutmut's configuration there as ``setup.cfg`` (so the project needs no
``[tool.mutmut]`` section), and runs ``mutmut run`` in that folder with
``CI=true``, so that every property runs under the derandomized ``ci``
profile and a mutant's verdict does not depend on luck. The tests run against
each mutant are :data:`TESTS`.

Usage (from the repository's top folder)::

    python tests/mutation/run.py [--ref REF] [--max-children N] [--keep DIR]
                                 [--fail-under PERCENT]

It prints the score, the commit measured and every survivor with its diff,
and writes the same as JSON to ``mutation-results.json`` in the current
folder (``--json PATH`` to change it). The verdicts on the survivors are in
``tests/mutation/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

#: The file under mutation.
TARGET = "proofcheck/backprop.py"

#: The tests run against each mutant (mutmut runs only those that call the mutated function,
#: and stops at the first that fails). The theorem's rows on ``MatrixBackprop``, one test per
#: step. Left out: ``tests/test_reference.py`` (its other rows are the lemmas and the oracle
#: checks, which never call ``backprop.py``) and ``tests/test_mutants.py`` (it asserts the
#: verdicts on the catalog's deliberately broken subclasses; with it a mutant cost about
#: 1.5 minutes, without it about 10 seconds, and every kill comes from the theorem's rows).
TESTS = ("tests/mutation/test_backprop_sharp.py",)

SETUP_CFG = """\
[mutmut]
source_paths = proofcheck
only_mutate = {target}
pytest_add_cli_args_test_selection =
{tests}
pytest_add_cli_args =
    -m
    mutation or not (soak or batch)
    -p
    no:cacheprovider
    -p
    no:xdist
process_isolation = forkserver
use_git_change_detection = false
"""

#: mutmut's exit codes of a finished mutant, by verdict (see ``mutmut.state``).
VERDICTS = ("killed", "survived", "timeout", "suspicious", "no tests", "skipped", "segfault",
            "caught by type check", "not checked", "check was interrupted by user")


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _git(root: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True).stdout


def _export(root: Path, ref: str, into: Path) -> str:
    """Unpack the tree of ``ref`` into ``into``; return the full commit id."""
    commit = _git(root, "rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()
    archive = _git(root, "archive", "--format=tar", commit)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return commit


def _mutmut(work: Path, *args: str, capture: bool = False) -> str:
    env = {**os.environ, "CI": "true", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "mutmut", *args]
    if capture:
        return subprocess.run(command, cwd=work, env=env, check=True, capture_output=True,
                              text=True).stdout
    subprocess.run(command, cwd=work, env=env, check=True)
    return ""


def _verdicts(work: Path) -> dict[str, str]:
    """Every mutant's verdict, from ``mutmut results --all true``."""
    out = _mutmut(work, "results", "--all", "true", capture=True)
    verdicts = {}
    for line in out.splitlines():
        name, sep, verdict = line.strip().rpartition(": ")
        if sep and name:
            verdicts[name] = verdict.strip()
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="HEAD", help="the commit to measure (default HEAD)")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1,
                        help="mutants run in parallel (default: the number of CPUs)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="run in this folder and keep it (default: a temporary folder)")
    parser.add_argument("--json", type=Path, default=Path("mutation-results.json"),
                        help="where to write the results as JSON")
    parser.add_argument("--fail-under", type=float, default=None,
                        help="exit with status 1 when the score (percent) is below this")
    args = parser.parse_args(argv)

    root = _repo_root()
    temporary = None
    if args.keep is None:
        temporary = tempfile.TemporaryDirectory(prefix="proofcheck-mutation-")
        work = Path(temporary.name)
    else:
        work = args.keep.resolve()
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
    try:
        commit = _export(root, args.ref, work)
        tests = "\n".join(f"    {t}" for t in TESTS)
        (work / "setup.cfg").write_text(SETUP_CFG.format(target=TARGET, tests=tests),
                                        encoding="utf-8")
        print(f"mutation testing {TARGET} at commit {commit} in {work}", flush=True)
        start = time.perf_counter()
        _mutmut(work, "run", "--max-children", str(args.max_children))
        seconds = time.perf_counter() - start
        verdicts = _verdicts(work)
        counts = {v: sum(1 for x in verdicts.values() if x == v) for v in VERDICTS}
        counts = {v: n for v, n in counts.items() if n}
        # A timeout counts as killed: the mutant made the suite hang, which CI notices.
        killed = counts.get("killed", 0) + counts.get("timeout", 0)
        survived = counts.get("survived", 0)
        score = 100.0 * killed / max(killed + survived, 1)
        survivors = {name: _mutmut(work, "show", name, capture=True)
                     for name, verdict in sorted(verdicts.items()) if verdict == "survived"}
    finally:
        if temporary is not None:
            temporary.cleanup()

    print(f"\ncommit {commit}: {len(verdicts)} mutants of {TARGET}; "
          + ", ".join(f"{n} {v}" for v, n in counts.items()))
    print(f"mutation score {score:.1f}% ({killed} killed of {killed + survived}); "
          f"{seconds / 60:.1f} min")
    for name, diff in survivors.items():
        print(f"\n--- survived: {name}\n{diff.strip()}")
    args.json.write_text(json.dumps({
        "target": TARGET, "commit": commit, "tests": list(TESTS), "counts": counts,
        "score": round(score, 2), "seconds": round(seconds, 1), "survivors": survivors,
    }, indent=2) + "\n", encoding="utf-8")
    if args.fail_under is not None and score < args.fail_under:
        print(f"score {score:.1f}% is below --fail-under {args.fail_under}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
