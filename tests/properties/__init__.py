"""Tests of proofcheck.properties."""
