"""Tests of proofcheck.layers."""
