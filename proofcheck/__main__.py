"""``python -m proofcheck``: the same as the ``proofcheck`` command."""

from proofcheck.cli import main

raise SystemExit(main())
