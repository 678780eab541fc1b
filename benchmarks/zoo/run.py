"""Run the zoo: each described library rule's G rows (``verify --steps G.base G.step
G.param --profile ci`` of its layer type), each rule in a process of its own; write a
table.

    python benchmarks/zoo/run.py [--only NAME[,NAME]] [--library jax|torch]
                                 [--json FILE [--resume]] [--markdown FILE]
                                 [--timeout SECONDS] [--in-process]
    python benchmarks/zoo/run.py --json FILE --merge PART.json [PART.json ...]

Each rule runs in a child process that is killed when it overruns ``--timeout`` (plus
a minute to import and set up): a rule can hang inside native code, where no signal
handler of the process runs (``expi`` did). ``--in-process`` runs every rule in this
process instead, with a ``SIGALRM`` time limit that such a rule does not obey.

The table has one row per rule the enumerator finds (``enumerate_rules.py``): its
library, where its code is, and its verdict: ``holds``, ``fails`` (the first failing
row and its shrunk counterexample), ``error`` (a row could not run its check: its
message), ``timed out`` (no verdict within ``--timeout``), ``could not be described``
(why; also when ``from_jax``/``from_torch`` refuse the description) or ``not in the
zoo`` (found but no entry). The JSON is written again after each rule, so a long run
keeps what it did. ``--merge`` runs nothing: it puts the lines of other runs' JSON
(``--only`` runs of some rules) in place of the same rules' lines of ``--json FILE``
and writes the table again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.zoo import enumerate_rules
from benchmarks.zoo.entries import Entry, source_of

STEPS = ("G.base", "G.step", "G.param")


def entries(torch: bool = True) -> list[Entry]:
    """Every entry of the zoo (PyTorch's when it is installed and ``torch`` is true)."""
    from benchmarks.zoo.jax_rules import ENTRIES as JAX

    out = list(JAX)
    if torch:
        try:
            from benchmarks.zoo.torch_rules import ENTRIES as TORCH
        except ImportError:
            return out
        out += TORCH
    return out


def layer_of(entry: Entry) -> Any:
    """The layer type the entry describes (``from_jax``/``from_torch`` of it)."""
    from proofcheck.frameworks import from_jax, from_torch

    make = from_jax if entry.library == "jax" else from_torch
    return make(entry.argument(), name=entry.name, **(entry.options or {}))


def _clean(text: str) -> str:
    """``text`` without the installation's folders (``.../site-packages/``)."""
    return re.sub(r"[^\s\"']*site-packages/", "", text)


def _short(value: Any, limit: int = 160) -> Any:
    text = json.dumps(value, default=str)
    return value if len(text) <= limit else text[:limit] + "..."


def counterexample_of(row: Any) -> dict[str, Any]:
    """The shrunk counterexample of a failing row, in a few fields."""
    c = row.counterexample
    out: dict[str, Any] = {"row": row.key, "message": _clean(row.message or "")[:300]}
    if c is not None:
        for name in ("quantity", "function", "network", "inputs", "actual", "expected",
                     "max_error", "ratio", "exception"):
            value = getattr(c, name)
            if value not in (None, {}, ""):
                out[name] = _short(value)
    return out


class TimedOut(BaseException):
    """A rule's run took longer than ``--timeout`` (not an Exception, so that no check
    in the run takes it for a failure of the rule)."""


def _alarm(signum: int, frame: Any) -> None:
    raise TimedOut


def run_entry(entry: Entry, profile: str = "ci", timeout: int = 0) -> dict[str, Any]:
    """One line of the table: the entry's verdict and what it took (``timed out`` after
    ``timeout`` seconds, when not 0)."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    start = time.perf_counter()
    try:
        return _run_entry(entry, profile)
    except TimedOut:
        return {"rule": entry.rule, "name": entry.name, "library": entry.library,
                "note": entry.note, "source": source_of(entry.target()),
                "verdict": "timed out", "why": f"no verdict within {timeout} s",
                "seconds": round(time.perf_counter() - start, 1)}
    finally:
        signal.alarm(0)


#: Seconds a child process may take beyond ``--timeout``: importing JAX and torch,
#: enumerating the rules, making the layer type.
SETUP_SECONDS = 60


def run_isolated(entry: Entry, profile: str, timeout: int) -> dict[str, Any]:
    """:func:`run_entry` in a child process, killed after ``timeout`` (0: no limit) plus
    :data:`SETUP_SECONDS`; a killed run is the entry's ``timed out`` line."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "line.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--in-process",
                   "--only", entry.name, "--library", entry.library, "--profile", profile,
                   "--timeout", str(timeout), "--json", str(out), "--lines-only"]
        start = time.perf_counter()
        try:
            subprocess.run(command, check=False, timeout=timeout + SETUP_SECONDS if timeout
                           else None, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        except subprocess.TimeoutExpired:
            return {"rule": entry.rule, "name": entry.name, "library": entry.library,
                    "note": entry.note, "source": source_of(entry.target()),
                    "verdict": "timed out", "why": f"no verdict within {timeout} s (process "
                    "killed; its own time limit did not stop it)",
                    "seconds": round(time.perf_counter() - start, 1)}
        lines = json.loads(out.read_text())["rules"] if out.exists() else []
        if not lines:
            return {"rule": entry.rule, "name": entry.name, "library": entry.library,
                    "note": entry.note, "source": "?", "verdict": "error",
                    "why": "the child process ended without a verdict (see its output)",
                    "seconds": round(time.perf_counter() - start, 1)}
        return dict(lines[0])


def _run_entry(entry: Entry, profile: str) -> dict[str, Any]:
    from proofcheck import verify

    result: dict[str, Any] = {"rule": entry.rule, "name": entry.name,
                              "library": entry.library, "note": entry.note}
    try:
        result["source"] = source_of(entry.target())
    except Exception as exc:  # a rule this install does not have
        result["source"] = f"? ({type(exc).__name__})"
    start = time.perf_counter()
    if not entry.described:
        return {**result, "verdict": "could not be described", "why": entry.reason,
                "seconds": 0.0}
    try:
        layer = layer_of(entry)
    except Exception as exc:  # the refusal is the result
        return {**result, "verdict": "could not be described",
                "why": _clean(f"refused: {type(exc).__name__}: {exc}")[:600],
                "seconds": round(time.perf_counter() - start, 1)}
    try:
        report = verify(layer=layer, profile=profile, steps=list(STEPS), seed=0)
    except Exception as exc:  # a check that raised instead of giving a row: say so
        why = _clean(f"verify raised {type(exc).__name__}: {exc}")[:600]
        return {**result, "verdict": "error", "why": why,
                "seconds": round(time.perf_counter() - start, 1)}
    result["reference"] = getattr(layer, "reference", "")
    result["seconds"] = round(time.perf_counter() - start, 1)
    result["rows"] = {row.key: row.status for row in report.rows}
    result["examples"] = sum(row.examples for row in report.rows)
    result["outside_oracle_range"] = sum(row.outside_oracle_range for row in report.rows)
    failing = [row for row in report.rows if row.failed]
    if not failing:
        return {**result, "verdict": "holds"}
    worst = [row for row in failing if row.status == "fails"] or failing
    verdict = "fails" if worst[0].status == "fails" else "error"
    return {**result, "verdict": verdict, "counterexample": counterexample_of(worst[0]),
            "failing_rows": [f"{row.key} ({row.status})" for row in failing]}


def unlisted(found: list[enumerate_rules.Found], zoo: list[Entry]) -> list[dict[str, Any]]:
    """Lines for rules found that the zoo has no entry for."""
    known = {e.rule for e in zoo}
    return [{"rule": f.rule, "name": f.rule.rpartition(":")[2], "library": f.library,
             "source": source_of(f.obj), "verdict": "not in the zoo", "seconds": 0.0}
            for f in found if f.rule not in known]


def summary(found: list[enumerate_rules.Found], zoo: list[Entry],
            lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The counts the table's heading gives."""
    found_keys = {f.rule for f in found}
    verdicts = [line["verdict"] for line in lines]
    return {
        "found": len(found_keys),
        "found_by_library": {lib: sum(f.library == lib for f in found) for lib in ("jax", "torch")},
        "entries": len(zoo),
        "entries_not_found": sorted(e.rule for e in zoo if e.rule not in found_keys),
        "described": sum(e.described for e in zoo if e.rule in found_keys),
        "in_scope": sum(e.in_scope for e in zoo if e.rule in found_keys),
        "holds": verdicts.count("holds"),
        "fails": verdicts.count("fails"),
        "error": verdicts.count("error"),
        "timed out": verdicts.count("timed out"),
        "could not be described": verdicts.count("could not be described"),
        "not in the zoo": verdicts.count("not in the zoo"),
    }


def markdown(data: dict[str, Any]) -> str:
    """The table in markdown."""
    s = data["summary"]
    head = (f"Found {s['found']} rules ({s['found_by_library']['jax']} JAX, "
            f"{s['found_by_library']['torch']} PyTorch), {s['in_scope']} of them taking float "
            f"arrays in one CPU process; described {s['described']}; "
            f"holds {s['holds']}, fails {s['fails']}, error {s['error']}, timed out "
            f"{s['timed out']}, could not be described "
            f"{s['could not be described']}, not in the zoo {s['not in the zoo']}.\n\n")
    rows = ["| rule | library | source | verdict | time (s) |", "|---|---|---|---|---|"]
    for line in data["rules"]:
        verdict = line["verdict"]
        if "counterexample" in line:
            c = line["counterexample"]
            verdict += f": {c['row']}: " + (", ".join(
                f"{k}={c[k]}" for k in ("quantity", "network", "inputs", "actual", "expected",
                                        "exception") if k in c) or c["message"][:200])
        elif "why" in line:
            verdict += f": {line['why']}"
        if line.get("outside_oracle_range"):
            verdict += (f" ({line['outside_oracle_range']} examples outside the oracle's "
                        f"range, {line['examples']} judged)")
        name = f"`{line['name']}`" + (f" ({line['note']})" if line.get("note") else "")
        cells = [name, line["library"], f"`{line['source']}`", verdict,
                 f"{line['seconds']:.0f}"]
        rows.append("| " + " | ".join(str(c).replace("\n", " ").replace("|", "\\|")
                                      for c in cells) + " |")
    return head + "\n".join(rows) + "\n"


def merge(table: Path, parts: list[Path], found: list[enumerate_rules.Found],
          zoo: list[Entry], markdown_file: Path | None) -> int:
    """``table``'s lines with each rule of ``parts`` in its place (the last part wins), the
    summary computed again; written back, with the markdown table."""
    data = json.loads(table.read_text())
    lines = {line["rule"]: line for line in data["rules"]}
    for part in parts:
        lines.update({line["rule"]: line for line in json.loads(part.read_text())["rules"]})
    data["rules"] = list(lines.values())
    data["summary"] = summary(found, zoo, data["rules"])
    table.write_text(json.dumps(data, indent=1, default=str))
    text = markdown(data)
    if markdown_file:
        markdown_file.write_text(text)
    print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated entry names to run")
    parser.add_argument("--library", choices=("jax", "torch"))
    parser.add_argument("--json", type=Path, help="write the table as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the table as markdown here")
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds a rule may take (0: no limit; default 600)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rules already in --json FILE and run the others")
    parser.add_argument("--in-process", action="store_true",
                        help="run every rule in this process (no hard time limit)")
    parser.add_argument("--merge", type=Path, nargs="+", metavar="PART",
                        help="replace --json FILE's lines by these runs' lines; run nothing")
    parser.add_argument("--lines-only", action="store_true",
                        help="write the chosen rules' lines only: no enumeration, no table "
                             "(how each rule's own process is run)")
    args = parser.parse_args(argv)
    found = [] if args.lines_only else enumerate_rules.find_all(torch=args.library != "jax")
    zoo = entries(torch=args.library != "jax")
    chosen = [e for e in zoo if (not args.only or e.name in args.only.split(","))
              and (args.library is None or e.library == args.library)]
    data: dict[str, Any] = {"steps": list(STEPS), "profile": args.profile, "rules": []}
    if args.merge:
        if not args.json or not args.json.exists():
            parser.error("--merge needs --json FILE, the table to update")
        return merge(args.json, args.merge, found, zoo, args.markdown)
    if args.resume and args.json and args.json.exists():
        data["rules"] = [line for line in json.loads(args.json.read_text())["rules"]
                         if line["verdict"] != "not in the zoo"]
        done = {line["rule"] for line in data["rules"]}
        chosen = [e for e in chosen if e.rule not in done]
    for i, entry in enumerate(chosen):
        print(f"[{i + 1}/{len(chosen)}] {entry.library} {entry.name} ...", flush=True)
        line = (run_entry(entry, args.profile, args.timeout)
                if args.in_process or not entry.described
                else run_isolated(entry, args.profile, args.timeout))
        print(f"    {line['verdict']} ({line['seconds']} s)", flush=True)
        data["rules"].append(line)
        if not args.lines_only:
            data["summary"] = summary(found, zoo, data["rules"])
        if args.json:
            args.json.write_text(json.dumps(data, indent=1, default=str))
    if args.lines_only:
        return 0
    if not args.only:
        data["rules"] += [u for u in unlisted(found, zoo)
                          if args.library is None or u["library"] == args.library]
    data["summary"] = summary(found, zoo, data["rules"])
    if args.json:
        args.json.write_text(json.dumps(data, indent=1, default=str))
    text = markdown(data)
    if args.markdown:
        args.markdown.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
