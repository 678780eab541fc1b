"""Grading a class: submissions, a sandbox per submission, the gradebook, feedback.

:mod:`._grade` runs a class folder; :mod:`._submissions` says what a submission
is; :mod:`._sandbox` runs each in a process of its own with limits;
:mod:`.rubric` is the course's points per step; :mod:`.gradebook` turns a
report into a score and the course's files; :mod:`.feedback` is what a student
reads.

Use :func:`proofcheck.grade` and :func:`proofcheck.grade_target`; the modules
without an underscore are documented in the API reference.
"""
