"""Tests of proofcheck.catalog."""
