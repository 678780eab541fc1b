"""The engine: a run of ``verify`` planned, each row run, rows run in parallel.

:mod:`._verify` plans the rows of a report (which properties, on which
implementation or layer type, under which profile), runs them one process or
several, and builds the report; :mod:`._run_row` runs one row (one property
under Hypothesis) and reads its outcome; :mod:`._loading` imports the target
(``MODULE:ATTR`` or a file); :mod:`.profiles` holds the Hypothesis profiles;
:mod:`._database_key` is the one use of a private attribute of Hypothesis.

Private, :mod:`.profiles` too (the profiles' names are the public part, as
options): use :func:`proofcheck.verify` and :func:`proofcheck.assert_verified`.
"""
