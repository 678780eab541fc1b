"""Tests of proofcheck.frameworks."""
