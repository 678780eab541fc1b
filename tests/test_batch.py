"""Parallel verify (-j) and batch grading with an Executor (a process pool, or Dask)."""

from __future__ import annotations

import json
import os
from concurrent.futures import Executor
from pathlib import Path

import pytest

import proofcheck
from proofcheck.grading._grade import render_summary

ROOT = Path(__file__).resolve().parent.parent
STEPS = ["T1.b", "T2"]


def test_parallel_verify_gives_the_same_rows() -> None:
    serial = proofcheck.verify(profile="ci", steps=["T1.b", "L5", "G.param"], database=False)
    parallel = proofcheck.verify(profile="ci", steps=["T1.b", "L5", "G.param"], database=False,
                                 jobs=2)
    assert [(r.step, r.mode, r.status, r.examples) for r in serial.rows] == \
        [(r.step, r.mode, r.status, r.examples) for r in parallel.rows]


def test_parallel_verify_passes_implementation_errors_on(tmp_path: Path) -> None:
    (tmp_path / "wrong_dtype.py").write_text(
        "import numpy as np\n\ndef bias_grad(delta):\n"
        "    return delta.sum(axis=1).astype(np.float32)\n")
    impl = proofcheck.load_implementation(str(tmp_path / "wrong_dtype.py"))
    with pytest.raises(proofcheck.ImplementationError,
                       match="bias_grad returned an array of dtype float32"):
        proofcheck.verify(impl, profile="ci", steps=STEPS, database=False, jobs=2)


def test_an_implementation_that_cannot_travel_runs_in_process() -> None:
    class Local(proofcheck.MatrixBackprop):
        pass

    report = proofcheck.verify(Local(), profile="ci", steps=["T1.b"], database=False, jobs=2)
    assert report.ok


def _write_class(folder: Path) -> None:
    (folder / "alice.py").write_text("def bias_grad(delta):\n    return delta.sum(axis=1)\n")
    (folder / "bob.py").write_text("def bias_grad(delta):\n    return delta[:, 0].copy()\n")
    (folder / "carol.py").write_text("import a_module_that_does_not_exist\n")


def test_grade_a_folder_with_a_process_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    _write_class(folder)
    monkeypatch.chdir(tmp_path)
    targets = proofcheck.grading._grade.expand_targets(["submissions"])
    results = proofcheck.grade(targets, profile="ci", steps=STEPS, jobs=2, out_dir="out")
    verdicts = {Path(r.target).stem: (r.exit_status, r.root_cause) for r in results}
    assert verdicts == {"alice": (0, None), "bob": (1, "T2"), "carol": (2, None)}
    assert "could not import" in results[2].message
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [s["exit_status"] for s in summary["submissions"]] == [0, 1, 2]
    assert (tmp_path / "out" / "submissions_bob.py.json").exists()
    assert "1 of 3 targets hold" in render_summary(results)


def _catalog_targets() -> list[str]:
    from proofcheck.catalog import CATALOG

    return ["proofcheck:MatrixBackprop", "tests.mutants:LoopBackprop",
            *(f"tests.mutants:{m.name}" for m in CATALOG)]


def _verdicts(executor: Executor | None) -> dict[str, tuple[int, str | None]]:
    theorem = [s.id for s in proofcheck.STEPS if s.kind == "theorem"]
    results = proofcheck.grade(_catalog_targets(), profile="ci", steps=theorem,
                               executor=executor, jobs=2)
    return {r.target: (r.exit_status, r.root_cause) for r in results}


@pytest.mark.batch
def test_the_catalog_with_a_process_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two correct implementations and every mistake of the catalog give their known
    verdicts, on every theorem step."""
    from proofcheck.catalog import CATALOG

    monkeypatch.chdir(ROOT)
    verdicts = _verdicts(None)
    assert len(verdicts) == len(CATALOG) + 2
    assert verdicts["proofcheck:MatrixBackprop"] == (0, None)
    assert verdicts["tests.mutants:LoopBackprop"] == (0, None)
    for m in CATALOG:
        assert verdicts[f"tests.mutants:{m.name}"] == (1, m.root_cause)


@pytest.mark.batch
def test_same_verdicts_on_a_local_dask_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip(
        "distributed", reason="the optional Dask test needs 'distributed' (pip install "
                              "'proofcheck[dask]')")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = _verdicts(client.get_executor())
    assert on_dask == _verdicts(None)
