"""The XLA compile flags are set only where it is safe (see proofcheck.oracle.compilation)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from proofcheck.oracle import compilation as _xla

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A process as it looks before JAX is imported, on a tested jaxlib."""
    monkeypatch.delitem(sys.modules, "jax", raising=False)
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    monkeypatch.delenv(_xla.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(_xla, "_jaxlib_version", lambda: _xla._TESTED[0])
    return monkeypatch


def test_flags_are_added_before_jax_starts(fresh: pytest.MonkeyPatch) -> None:
    assert _xla.prefer_fast_compiles()
    assert os.environ["XLA_FLAGS"].split() == list(_xla.FAST_COMPILE_FLAGS)


def test_a_flag_the_user_set_is_kept(fresh: pytest.MonkeyPatch) -> None:
    fresh.setenv("XLA_FLAGS",
                 "--xla_backend_optimization_level=2 --xla_force_host_platform_device_count=2")
    assert _xla.prefer_fast_compiles()
    flags = os.environ["XLA_FLAGS"].split()
    assert "--xla_backend_optimization_level=2" in flags
    assert "--xla_backend_optimization_level=0" not in flags
    assert "--xla_cpu_use_fusion_emitters=false" in flags


@pytest.mark.parametrize("case", ["jax imported", "untested jaxlib", "no jaxlib", "turned off"])
def test_flags_are_not_set_where_unsafe(fresh: pytest.MonkeyPatch, case: str) -> None:
    if case == "jax imported":
        fresh.setitem(sys.modules, "jax", sys)  # JAX may have read XLA_FLAGS already
    elif case == "untested jaxlib":  # XLA aborts on a flag it does not know
        fresh.setattr(_xla, "_jaxlib_version", lambda: _xla._TESTED[1])
    elif case == "no jaxlib":
        fresh.setattr(_xla, "_jaxlib_version", lambda: None)
    else:
        fresh.setenv(_xla.ENVIRONMENT_VARIABLE, "0")
    assert not _xla.prefer_fast_compiles()
    assert "XLA_FLAGS" not in os.environ


# --- The persistent compilation cache --------------------------------------------
# Each case runs in a fresh process: JAX sets its cache up once, at the first
# compile, and the suite's own process must keep its settings.

#: Counts the persistent cache's hits and misses of the process it runs in.
_LISTENER = r"""
import jax.monitoring
events = {"hits": 0, "misses": 0}
def listen(name, **kwargs):
    if name == "/jax/compilation_cache/cache_hits":
        events["hits"] += 1
    elif name == "/jax/compilation_cache/cache_misses":
        events["misses"] += 1
jax.monitoring.register_event_listener(listen)
"""

_WORKLOAD = r"""
import json, sys
import numpy as np
from proofcheck.oracle.compilation import start_own_process
start_own_process()
import jax
""" + _LISTENER + r"""
from proofcheck.oracle import network as oracle
from proofcheck.backprop import MatrixBackprop
from proofcheck.network import Network
rng = np.random.default_rng(0)
worst = 0.0
for depth in (1, 2, 3):
    Ws = [rng.normal(size=(3, 3)) for _ in range(depth)]
    bs = [rng.normal(size=3) for _ in range(depth)]
    acts, X, Y = ["tanh"] * depth, rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    truth = oracle.network_gradients(Network.paper(Ws, bs, tuple(acts), "squared_error", X, Y))
    ours = MatrixBackprop().gradients(Ws, bs, acts, "squared_error", X, Y)
    worst = max(worst, max(float(np.max(np.abs(a - b)))
                           for a, b in zip(truth.dWs, ours[0])))
print(json.dumps({"hits": events["hits"], "misses": events["misses"], "worst": worst,
                  "cache": jax.config.jax_compilation_cache_dir}))
"""


def _run(env: dict[str, str], *, fsize: int | None = None) -> dict[str, Any]:
    code = _WORKLOAD
    if fsize is not None:  # a full disk: writes past fsize bytes fail with EFBIG
        code = ("import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
                f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize}))\n" + code)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["stderr"] = done.stderr
    return result


def _cache_env(folder: Path) -> dict[str, str]:
    return {_xla.CACHE_DIR_VARIABLE: str(folder), _xla.CACHE_VARIABLE: "1"}


def test_the_default_cache_folder_follows_the_platform(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.delenv(_xla.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert _xla.cache_directory() == tmp_path / "proofcheck" / "jax"
    monkeypatch.setenv(_xla.CACHE_DIR_VARIABLE, str(tmp_path / "elsewhere"))
    assert _xla.cache_directory() == tmp_path / "elsewhere"


def test_a_second_process_compiles_nothing(tmp_path: Path) -> None:
    # (The same folder: JAX's key covers compiler options that name the folder, so a
    # copy elsewhere would not be hit.)
    first = _run(_cache_env(tmp_path))
    warm = _run(_cache_env(tmp_path))
    assert first["cache"] == str(tmp_path) and first["misses"] > 0
    assert warm["misses"] == 0 and warm["hits"] == first["misses"]
    assert warm["worst"] == first["worst"] < 1e-12


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    off = _run({**_cache_env(tmp_path), _xla.CACHE_VARIABLE: "0"})
    assert off["cache"] is None and off["hits"] == off["misses"] == 0
    assert not any(tmp_path.iterdir())


def test_a_users_cache_folder_is_kept(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    result = _run({**_cache_env(tmp_path / "ours"), "JAX_COMPILATION_CACHE_DIR": str(mine)})
    assert result["cache"] == str(mine)
    assert not (tmp_path / "ours").exists()


def test_an_unwritable_folder_costs_speed_only(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    result = _run(_cache_env(blocker / "cache"))
    assert result["cache"] is None and result["worst"] < 1e-12
    assert "cannot be written" in result["stderr"]


def test_a_corrupted_cache_costs_speed_only(tmp_path: Path) -> None:
    truth = _run(_cache_env(tmp_path))["worst"]
    entries = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert entries
    for i, entry in enumerate(entries):  # half garbage, half cut short (a write in progress)
        data = entry.read_bytes()
        entry.write_bytes(b"\x00garbage" * 7 if i % 2 else data[:len(data) // 2])
    result = _run(_cache_env(tmp_path))
    assert result["worst"] == truth < 1e-12
    assert result["hits"] == 0


def test_a_full_disk_costs_speed_only(tmp_path: Path) -> None:
    result = _run(_cache_env(tmp_path), fsize=64)
    assert result["worst"] < 1e-12


def test_two_processes_share_a_cold_cache(tmp_path: Path) -> None:
    code = [sys.executable, "-c", _WORKLOAD]
    env = {**os.environ, **_cache_env(tmp_path)}
    both = [subprocess.Popen(code, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in both]
    assert [p.returncode for p in both] == [0, 0], [err for _, err in outs]
    worst = {json.loads(out.strip().splitlines()[-1])["worst"] for out, _ in outs}
    assert len(worst) == 1 and worst.pop() < 1e-12
    after = _run(_cache_env(tmp_path))
    assert after["misses"] == 0


_COUNTED_VERIFY = r"""
import json, sys
""" + _LISTENER + r"""
from proofcheck.cli import main
status = main(["verify", "-q", "-j", "1", *sys.argv[1:]])
print(json.dumps({"status": status, **events}))
"""


def _verdicts(path: Path) -> dict[str, Any]:
    """What must not depend on the cache: every row's verdict, and the root cause."""
    report = json.loads(path.read_text(encoding="utf-8"))
    rows = {(r["step"], r["mode"], r.get("layer")): r["status"] for r in report["rows"]}
    return {"rows": rows, "root_cause": (report.get("diagnosis") or {}).get("root_cause")}


def _counted_verify(env: dict[str, str], out: Path, *argv: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _COUNTED_VERIFY, *argv, "--json", str(out)],
                          capture_output=True, text=True, env=env, timeout=1800, check=False,
                          cwd=ROOT)
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["verdicts"] = _verdicts(out)
    return result


@pytest.mark.batch
def test_a_second_verify_profile_ci_compiles_nothing(tmp_path: Path) -> None:
    """The whole ``proofcheck verify --profile ci``, twice on a fresh cache folder: the
    second run has no persistent-cache miss (every XLA compilation is served from the
    cache; tracing still happens). In the batch session: the two runs take minutes."""
    env = {**os.environ, **_cache_env(tmp_path / "cache")}
    argv = ("--profile", "ci", "--no-database")
    cold, warm = (_counted_verify(env, tmp_path / f"{name}.json", *argv)
                  for name in ("cold", "warm"))
    assert cold["status"] == warm["status"] == 0
    assert cold["misses"] > 0
    assert warm["misses"] == 0 and warm["hits"] >= cold["misses"]
    # Verdicts do not depend on the cache: cold, warm and off give the same rows.
    off = _counted_verify({**env, _xla.CACHE_VARIABLE: "0"}, tmp_path / "off.json", *argv)
    assert off["hits"] == off["misses"] == 0
    assert cold["verdicts"] == warm["verdicts"] == off["verdicts"]


@pytest.mark.batch
def test_a_mistakes_verdict_does_not_depend_on_the_cache(tmp_path: Path) -> None:
    """A mistake is found with the same root cause and the same failing rows with the
    cache cold, warm and off."""
    env = {**os.environ, **_cache_env(tmp_path / "cache")}
    argv = ("--impl", "tests.mutants:missing_transpose", "--steps", "T1.step,T1.W",
            "--profile", "ci", "--no-database")
    runs = [_counted_verify({**env, _xla.CACHE_VARIABLE: flag}, tmp_path / f"{i}.json", *argv)
            for i, flag in enumerate(("1", "1", "0"))]
    assert [r["status"] for r in runs] == [1, 1, 1]
    assert runs[0]["verdicts"]["root_cause"] == "T1.step"
    assert runs[0]["verdicts"] == runs[1]["verdicts"] == runs[2]["verdicts"]
