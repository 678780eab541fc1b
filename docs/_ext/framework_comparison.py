"""The guide's table of framework mistakes: proofcheck's diagnosis beside the framework's checker.

Docs tooling, not part of the package: it runs ``verify`` on each entry of
:data:`proofcheck.catalog.frameworks.FRAMEWORK_CATALOG` (the catalog sits below the
engine, so it cannot run the engine itself). The table in the guide "Checking a
custom backward pass" is :func:`comparison_table`'s output, and the test-suite
checks it row for row.
"""

from __future__ import annotations

import numpy as np

from proofcheck.catalog.frameworks import FRAMEWORK_CATALOG, FrameworkMistake, framework_check

__all__ = ["comparison_table", "proofcheck_check"]


def proofcheck_check(entry: FrameworkMistake) -> str:
    """What ``proofcheck verify --layer`` diagnoses for the entry, in one line: the
    root cause's lemma row (``ci`` profile) and the product its counterexample names."""
    from proofcheck.diagnosis.report import Report
    from proofcheck.engine._verify import plan_rows, run_rows

    plan = plan_rows(layer=entry.layer, profile="ci", database=False, steps=[entry.root_cause])
    rows = run_rows(plan, keys=[f"{entry.root_cause}/lemma/{entry.layer_name}"])
    report = Report(plan.subject.name, "ci", rows, layer_target=True)
    d = report.diagnosis
    if d.root_cause is None:
        return "holds"
    c = report.row(d.root_cause, d.mode or "", d.layer).counterexample
    shrunk = ""
    if c is not None and c.inputs.get("a") is not None:
        a = np.asarray(c.inputs["a"])
        shrunk = f" (shrunk to n_in={a.shape[0]}, N={a.shape[1]})"
    what = (c.quantity if c is not None and c.quantity else
            c.result if c is not None and c.result else
            c.exception if c is not None and c.exception else "")
    return f"{d.root_cause} {d.mode}: {what}{shrunk}"


def comparison_table(entries: tuple[FrameworkMistake, ...] | None = None) -> str:
    """A markdown table: for each entry, proofcheck's diagnosis and the framework's
    checker's verdict (:func:`framework_check`), from a run made now."""
    lines = ["| mistake | framework | proofcheck | framework's checker |",
             "|---|---|---|---|"]
    for entry in FRAMEWORK_CATALOG if entries is None else entries:
        theirs = framework_check(entry)
        verdict = f"caught: {theirs.message}" if theirs.caught else f"not caught: {theirs.message}"
        lines.append(f"| `{entry.name}`: {entry.mistake} | {entry.framework} | "
                     f"{proofcheck_check(entry)} | `{theirs.checker}`: "
                     f"{verdict.replace('|', '/')} |")
    return "\n".join(lines)


