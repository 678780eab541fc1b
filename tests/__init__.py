"""proofcheck's test-suite (a package, so that ``--impl tests.mutants:NAME`` imports)."""
