"""Tests of proofcheck.diagnosis."""
