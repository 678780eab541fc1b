"""Tests of proofcheck.grading."""
