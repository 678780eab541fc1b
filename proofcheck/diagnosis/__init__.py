"""What a run found, said to a person: the report and the misconceptions.

:mod:`.report` holds the rows of a run, its diagnosis (the root cause among the
failing rows, by the proof's dependencies) and its renderings (text, JSON);
:mod:`.misconceptions` names the catalogued mistake that explains a
counterexample; :mod:`._counterexample` writes a counterexample for the terminal,
Markdown or HTML, and the command that re-runs it.

Private: use :class:`proofcheck.Report`, which :func:`proofcheck.verify` returns.
"""
