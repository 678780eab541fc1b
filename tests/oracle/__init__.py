"""Tests of proofcheck.oracle."""
