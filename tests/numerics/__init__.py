"""Tests of proofcheck.numerics."""
