"""``nox -s bench``: every figure of the benchmark issue, measured in one run.

Usage::

    python benchmarks/run.py [--widths 256,1024,2048] [--repeats 7] [--rounds 2]
                             [--json benchmarks/results.json] [--quick]
                             [--only speed|check|oracle|sensitivity|commands]
                             [--suite]

Prints a table of ratios (each judged against its goal) and writes every
measurement, absolute times included, to JSON. See ``benchmarks/RESULTS.md``.

Conditions
----------
* ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are removed from this
  command's environment (both together, before numpy is imported: the script
  re-executes itself without them); the kernel OpenBLAS picked is recorded.
* numpy and JAX each use every core of the machine (OpenBLAS's and XLA's
  default thread counts), and each runs in its own process: XLA's worker
  threads keep spinning after a call and slow OpenBLAS in the same process by
  up to 10x at width 256, which would measure the interference, not numpy.
  The numpy and JAX processes alternate, ``--rounds`` times per width.
* The sensitivity benchmark (``benchmarks/sensitivity.py``) runs in a fresh
  process of its own, with the XLA flags proofcheck uses in its own processes.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRUBBED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

GOALS = {
    "numpy_over_jax": 1.2,  # at widths >= 1024
    "cheap_gradient": 3.3,  # at widths >= 1024
    "fraction_of_matmul": 0.80,  # at widths >= 1024 (at least)
    "peak_over_need": 1.5,
    "ci_wall_s": 30.0,
    "missing_transpose_s": 10.0,
}


def _scrub_environment() -> None:
    if any(name in os.environ for name in SCRUBBED):
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
        env["PROOFCHECK_BENCH_SCRUBBED"] = ",".join(n for n in SCRUBBED if n in os.environ)
        os.execve(sys.executable, [sys.executable, *sys.argv], env)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--widths", default="256,1024,2048")
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--activation", default="tanh")
    p.add_argument("--repeats", type=int, default=7, help="timed calls per process")
    p.add_argument("--rounds", type=int, default=2,
                   help="numpy/JAX process pairs per width (their samples are pooled)")
    p.add_argument("--oracle-networks", type=int, default=40,
                   help="networks in the stream the oracle options are timed on")
    p.add_argument("--json", default=str(HERE / "results.json"))
    p.add_argument("--quick", action="store_true",
                   help="skip the thorough profile and the slow oracle options; fewer "
                        "examples for the sensitivity benchmark")
    p.add_argument("--only", choices=["speed", "check", "oracle", "sensitivity", "commands"],
                   action="append",
                   help="run only these sections (repeatable)")
    p.add_argument("--suite", action="store_true",
                   help="the commands section also times the test-suite (minutes per run)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--width", type=int, help=argparse.SUPPRESS)
    p.add_argument("--profile-phases", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


# --- child processes ------------------------------------------------------------


def _child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(HERE))
    if args.child in ("numpy", "jax"):
        import speed

        fn = speed.numpy_child if args.child == "numpy" else speed.jax_child
        result = fn(args.depth, args.width, args.batch, args.activation, repeats=args.repeats,
                    profile=args.profile_phases)
    else:
        import oracle_options

        result = oracle_options.run_option(args.child.removeprefix("oracle-"),
                                           args.oracle_networks)
    with open(args.out, "wb") as f:
        pickle.dump(result, f)


def _spawn(args: argparse.Namespace, child: str, **extra: Any) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.pickle"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", child, "--out", str(out),
               "--depth", str(args.depth), "--batch", str(args.batch),
               "--activation", args.activation, "--repeats", str(args.repeats),
               "--oracle-networks", str(args.oracle_networks)]
        for key, value in extra.items():
            if value is True:
                cmd.append("--" + key.replace("_", "-"))
            elif value is not None and value is not False:
                cmd += ["--" + key.replace("_", "-"), str(value)]
        subprocess.run(cmd, check=True)
        with open(out, "rb") as f:
            return pickle.load(f)


# --- sections ---------------------------------------------------------------------


def _speed(args: argparse.Namespace) -> list[dict[str, Any]]:
    sys.path.insert(0, str(HERE))
    import numpy as np
    from harness import Timing, _timing, ratio
    from speed import product_flops

    results = []
    for width in [int(w) for w in args.widths.split(",")]:
        samples: dict[str, list[float]] = {}
        first: dict[str, Any] = {}
        for r in range(args.rounds):
            order = ["numpy", "jax"] if r % 2 == 0 else ["jax", "numpy"]
            for child in order:
                _progress(f"speed: width {width}, round {r + 1}/{args.rounds}, {child}")
                out = _spawn(args, child, width=width, profile_phases=(r == 0))
                if r == 0:
                    first[child] = out
                for name, t in out["timings"].items():
                    samples.setdefault(name, []).extend(t["samples_s"])
        t: dict[str, Timing] = {name: _timing(s) for name, s in samples.items()}
        flops = product_flops(args.depth, width, args.batch)
        dW_np, dW_jax = first["numpy"]["dW1"], first["jax"]["dW1"]
        results.append({
            "depth": args.depth, "width": width, "batch": args.batch,
            "activation": args.activation, "product_flops": flops,
            "timings": {k: v.as_dict() for k, v in t.items()},
            "numpy_over_jax": ratio(t["gradients"], t["jax"]),
            "cheap_gradient": ratio(t["gradients"], t["forward"]),
            "gflops_gradients": flops / t["gradients"].median / 1e9,
            "gflops_matmuls": flops / t["matmuls"].median / 1e9,
            "gflops_jax": flops / t["jax"].median / 1e9,
            "fraction_of_matmul": ratio(t["matmuls"], t["gradients"]),
            "phases_s": first["numpy"]["phases_s"],
            "memory": first["numpy"]["memory"],
            "dW1_max_relative_diff_numpy_vs_jax": float(
                np.max(np.abs(dW_np - dW_jax)) / np.max(np.abs(dW_jax))),
        })
    return results


def _check(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import check

    out: dict[str, Any] = {}
    _progress("check: python -X importtime -m proofcheck --help")
    out["help"] = check.help_imports()
    _progress("check: verify --profile ci")
    out["ci"] = check.verify_repeated("ci", repeats=3)
    _progress("check: verify --profile dev")
    dev = check.verify("dev")
    out["dev"] = dev
    out["dev_throughput"] = check.throughput(dev)
    _progress("check: missing transpose")
    out["missing_transpose"] = check.missing_transpose()
    if not args.quick:
        _progress("check: verify --profile thorough (minutes)")
        out["thorough"] = check.verify("thorough")
    return out


def _oracle(args: argparse.Namespace) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from oracle_options import max_relative_difference

    options = ["bucket"] if args.quick else ["bucket", "shape", "eager"]
    runs = {}
    for option in options:
        _progress(f"oracle: {option} on {args.oracle_networks} networks")
        runs[option] = _spawn(args, f"oracle-{option}")
    base = runs["bucket"]["gradients"]
    for run in runs.values():
        run["max_relative_diff_vs_bucket"] = max_relative_difference(run.pop("gradients"), base)
    return runs


def _sensitivity(args: argparse.Namespace) -> dict[str, Any]:
    _progress("sensitivity: every row in every regime (minutes)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sensitivity.json"
        cmd = [sys.executable, str(HERE / "sensitivity.py"), "--json", str(out)]
        if args.quick:
            cmd.append("--quick")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


# --- the table ----------------------------------------------------------------------


def _progress(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


def _verdict(value: float, goal: float, *, at_most: bool = True, judged: bool = True) -> str:
    if not judged:
        return "(not judged)"
    ok = value <= goal if at_most else value >= goal
    return "meets" if ok else "MISSES"


def _spread(r: dict[str, float]) -> str:
    return f"[{r['round_q1']:.2f}, {r['round_q3']:.2f}]"


def render(results: dict[str, Any]) -> str:
    lines = []
    cond = results["conditions"]
    lines.append(f"proofcheck benchmarks ({cond['machine']}, {cond['cpus']} CPUs; BLAS: "
                 + "; ".join(f"{b.get('library')} {b.get('core', '?')} x{b.get('threads', '?')}"
                             for b in cond["blas"]) + ")")
    if cond["scrubbed"]:
        lines.append(f"removed from the environment for this run: {cond['scrubbed']}")
    lines.append("")
    head = (f"{'figure':<46}{'width':>6}{'value':>9}  {'spread (round q1, q3)':<22}"
            f"{'goal':>8}  verdict")
    lines.append(head)
    lines.append("-" * len(head))
    for r in results.get("speed", []):
        judged = r["width"] >= 1024
        w = r["width"]
        a = r["numpy_over_jax"]
        lines.append(f"{'numpy gradients / jax.jit(value_and_grad)':<46}{w:>6}{a['ratio']:>9.2f}  "
                     f"{_spread(a):<22}{'<= 1.2':>8}  "
                     f"{_verdict(a['ratio'], GOALS['numpy_over_jax'], judged=judged)}")
        c = r["cheap_gradient"]
        lines.append(f"{'(forward + backward) / forward':<46}{w:>6}{c['ratio']:>9.2f}  "
                     f"{_spread(c):<22}{'<= 3.3':>8}  "
                     f"{_verdict(c['ratio'], GOALS['cheap_gradient'], judged=judged)}")
        f = r["fraction_of_matmul"]
        label = (f"GFLOP/s gradients / matmul ({r['gflops_gradients']:.0f}/"
                 f"{r['gflops_matmuls']:.0f})")
        lines.append(f"{label:<46}{w:>6}{f['ratio']:>9.2f}  {_spread(f):<22}{'>= 0.80':>8}  "
                     + _verdict(f["ratio"], GOALS["fraction_of_matmul"], at_most=False,
                                judged=judged))
        m = r["memory"]
        lines.append(f"{'peak memory / need (tracemalloc)':<46}{w:>6}"
                     f"{m['peak_over_need']:>9.2f}  {'':<22}{'<= 1.5':>8}  "
                     f"{_verdict(m['peak_over_need'], GOALS['peak_over_need'])}")
        lines.append(f"{'peak memory / one layer Jacobian (nN)^2':<46}{w:>6}"
                     f"{m['peak_over_jacobian']:>9.1e}  {'':<22}{'< 1':>8}  "
                     f"{_verdict(m['peak_over_jacobian'], 1.0)}")
    if "check" in results:
        ch = results["check"]
        walls = ch["ci"].get("walls_s", [ch["ci"]["wall_s"]])
        spread = f"[{walls[0]:.1f}, {walls[-1]:.1f}] of {len(walls)}"
        lines.append(f"{'verify --profile ci, wall (s), median':<46}{'':>6}"
                     f"{ch['ci']['wall_s']:>9.1f}  {spread:<22}{'<= 30':>8}  "
                     f"{_verdict(ch['ci']['wall_s'], GOALS['ci_wall_s'])}")
        mt = ch["missing_transpose"]
        ok = mt["found"] and mt["counterexample_depth"] == 2
        lines.append(f"{'missing transpose found + shrunk, wall (s)':<46}{'':>6}"
                     f"{mt['wall_s']:>9.1f}  {'depth ' + str(mt['counterexample_depth']):<22}"
                     f"{'<= 10':>8}  "
                     f"{_verdict(mt['wall_s'], GOALS['missing_transpose_s']) if ok else 'MISSES'}")
        if "thorough" in ch:
            lines.append(f"{'verify --profile thorough, wall (s)':<46}{'':>6}"
                         f"{ch['thorough']['wall_s']:>9.1f}  {'':<22}{'':>8}  (not judged)")
        h = ch["help"]
        lines.append(f"{'proofcheck --help imports jax':<46}{'':>6}"
                     f"{'yes' if h['imports_jax'] else 'no':>9}  "
                     f"{'wall ' + format(h['wall_s'], '.2f') + ' s':<22}{'no':>8}  "
                     f"{'MISSES' if h['imports_jax'] else 'meets'}")
        lines.append("")
        lines.append("examples per second, dev profile:")
        for row in ch["dev_throughput"]:
            eps = row["examples_per_s"]
            lines.append(f"  {row['step']:<8} {row['mode']:<11} {row['examples']:>5} examples "
                         f"{row['seconds']:>6.1f} s  {eps if eps is None else round(eps):>6} /s")
    if "speed" in results:
        lines.append("")
        lines.append("absolute medians (ms; reported, not judged):")
        for r in results["speed"]:
            t = {k: v["median_s"] * 1e3 for k, v in r["timings"].items()}
            lines.append(f"  width {r['width']:>5}: gradients {t['gradients']:.1f}, forward "
                         f"{t['forward']:.1f}, matmuls {t['matmuls']:.1f}, jax {t['jax']:.1f}; "
                         f"GFLOP/s numpy {r['gflops_gradients']:.0f}, matmul "
                         f"{r['gflops_matmuls']:.0f}, jax {r['gflops_jax']:.0f}")
        lines.append("where the time of gradients goes (ms, median):")
        for r in results["speed"]:
            parts = ", ".join(f"{k} {v * 1e3:.1f}" for k, v in r["phases_s"].items())
            lines.append(f"  width {r['width']:>5}: {parts}")
    if "oracle" in results:
        lines.append("")
        lines.append(f"oracle options on {results['oracle']['bucket']['networks']} drawn "
                     "networks (fresh process each):")
        for name, o in results["oracle"].items():
            lines.append(f"  {name:<7} total {o['total_s']:>7.1f} s, first call "
                         f"{o['first_call_s']:.2f} s, median call {o['median_call_s'] * 1e3:.2f} ms"
                         f", max rel. diff vs bucket {o['max_relative_diff_vs_bucket']:.1e}")
    if "commands" in results:
        import commands

        lines.append("")
        lines.append("the commands of every save, cold and warm (median (range) of the runs):")
        lines.append(commands.render(results["commands"]))
    if "sensitivity" in results:
        import sensitivity

        lines += ["", sensitivity.render(results["sensitivity"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    _scrub_environment()
    args = _parse(argv)
    if args.child:
        _child(args)
        return 0
    sys.path.insert(0, str(HERE))
    import numpy as np
    from harness import blas_info

    sections = args.only or ["speed", "check", "oracle", "sensitivity", "commands"]
    results: dict[str, Any] = {"conditions": {
        "machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
        "blas": blas_info(), "scrubbed": os.environ.get("PROOFCHECK_BENCH_SCRUBBED", ""),
        "threads": "numpy: OpenBLAS default; JAX: XLA default (both use every core); "
                   "numpy and JAX in separate, alternating processes",
        "started": time.strftime("%Y-%m-%d %H:%M:%S")}}
    import jax

    results["conditions"]["versions"] = {"numpy": np.__version__, "jax": jax.__version__}
    if "speed" in sections:
        results["speed"] = _speed(args)
    if "check" in sections:
        results["check"] = _check(args)
    if "oracle" in sections:
        results["oracle"] = _oracle(args)
    if "sensitivity" in sections:
        results["sensitivity"] = _sensitivity(args)
    if "commands" in sections:
        import commands

        _progress("commands: each cold and warm, three times (the test-suite with --suite)")
        results["commands"] = [commands.measure(c, 1 if args.quick else 3)
                               for c in commands.COMMANDS if args.suite or not c.suite]
    Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n",
                               encoding="utf-8")
    sys.stdout.write(render(results) + "\n")
    sys.stdout.write(f"\nwrote {args.json}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
