"""Tests of proofcheck.engine."""
