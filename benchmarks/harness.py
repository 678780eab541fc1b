"""A small timing harness: warm-up, interleaved repeats, median and spread.

Every figure the benchmarks judge is a *ratio* of two timings taken in the
same run. The candidates of one ratio are timed in interleaved rounds (A, B,
A, B, ...; the order alternates each round), so that a burst of load on a
shared machine hits both sides alike. Each round's ratio is kept too, so the
spread of a ratio is measured, not guessed.
"""

from __future__ import annotations

import ctypes
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Timing:
    """Seconds per call of one candidate: median and spread over the rounds."""

    median: float
    q1: float
    q3: float
    best: float
    samples: list[float]

    def as_dict(self) -> dict[str, Any]:
        return {"median_s": self.median, "q1_s": self.q1, "q3_s": self.q3, "min_s": self.best,
                "samples_s": self.samples}


def _timing(samples: Sequence[float]) -> Timing:
    s = sorted(samples)
    if len(s) >= 4:
        q1, _, q3 = statistics.quantiles(s, n=4)
    else:
        q1, q3 = s[0], s[-1]
    return Timing(statistics.median(s), q1, q3, s[0], list(samples))


def interleaved(candidates: dict[str, Callable[[], Any]], *, warmup: int = 2, repeats: int = 7,
                min_seconds: float = 0.0) -> dict[str, Timing]:
    """Time every candidate ``repeats`` times in interleaved rounds, after ``warmup`` calls each.

    A candidate must do all its work before it returns (JAX candidates call
    ``block_until_ready``). With ``min_seconds``, a sample is the mean of as
    many back-to-back calls as fill that time (calibrated in the warm-up).
    """
    names = list(candidates)
    loops: dict[str, int] = {}
    for name in names:
        fn = candidates[name]
        t = float("inf")
        for _ in range(max(warmup, 1)):
            t0 = time.perf_counter()
            fn()
            t = min(t, time.perf_counter() - t0)
        loops[name] = max(1, int(min_seconds / t)) if t > 0 and min_seconds > 0 else 1
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            fn, n = candidates[name], loops[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
    return {name: _timing(samples[name]) for name in names}


def ratio(a: Timing, b: Timing) -> dict[str, float]:
    """``a / b`` from the medians, with the quartiles of the per-round ratios as its spread."""
    per_round = [x / y for x, y in zip(a.samples, b.samples, strict=True)]
    t = _timing(per_round)
    return {"ratio": a.median / b.median, "round_q1": t.q1, "round_median": t.median,
            "round_q3": t.q3}


# --- the BLAS that numpy runs -------------------------------------------------


def blas_info() -> list[dict[str, Any]]:
    """The BLAS libraries numpy loaded, their kernel (core) and thread count.

    Uses threadpoolctl when it is installed; otherwise asks OpenBLAS itself
    through ctypes (Linux: the libraries mapped into this process).
    """
    try:
        from threadpoolctl import threadpool_info  # type: ignore[import-not-found]
    except ImportError:
        return _openblas_by_ctypes()
    return [{"library": i.get("internal_api"), "version": i.get("version"),
             "core": i.get("architecture"), "threads": i.get("num_threads"),
             "source": "threadpoolctl"} for i in threadpool_info()]


def _openblas_by_ctypes() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = sorted({line.split()[-1] for line in maps
                            if "openblas" in line.split()[-1].lower() and ".so" in line})
    except OSError:
        return [{"library": "unknown", "source": "no threadpoolctl and no /proc/self/maps"}]
    for path in paths:
        lib = ctypes.CDLL(path)
        info: dict[str, Any] = {"library": "openblas", "path": os.path.basename(path),
                                "source": "ctypes"}
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                core = getattr(lib, f"{prefix}_get_corename{suffix}", None)
                threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                config = getattr(lib, f"{prefix}_get_config{suffix}", None)
                if core is not None and "core" not in info:
                    core.restype = ctypes.c_char_p
                    info["core"] = core().decode()
                if threads is not None and "threads" not in info:
                    threads.restype = ctypes.c_int
                    info["threads"] = threads()
                if config is not None and "version" not in info:
                    config.restype = ctypes.c_char_p
                    info["version"] = config().decode()
        found.append(info)
    return found
