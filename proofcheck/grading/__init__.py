"""Grading a class: submissions, a sandbox per submission, the gradebook, feedback.

:mod:`._grade` runs a class folder; :mod:`._submissions` says what a submission
is; :mod:`._sandbox` runs each in a process of its own with limits;
:mod:`.rubric` is the course's points per step; :mod:`.gradebook` turns a
report into a score and the course's files; :mod:`.feedback` is what a student
reads.

Private: use :func:`proofcheck.grade`, :func:`proofcheck.grade_target` and
:class:`proofcheck.GradeResult`; the modules without an underscore are
documented among the API reference's internals (the rubric's format, the files
written).
"""
