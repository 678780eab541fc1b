"""Sphinx configuration of the proofcheck documentation.

Build it with ``python docs/build.py`` (or ``nox -s docs``): that runs the
check once, writes its JSON report, builds the HTML with warnings as errors
and looks at the result in headless Chromium. The local extension
``_ext/proofcheck_docs.py`` renders the report and the registered properties
into the pages.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import proofcheck  # noqa: E402

project = "proofcheck"
author = "The proofcheck developers"
copyright = "the proofcheck developers"
release = proofcheck.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx_proof",
    "sphinx-mathjax-offline",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "proofcheck_docs",
]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# The step IDs are the labels of the proof environments; the environments are
# not numbered (the step ID is the number), and the title follows the kind.
proof_title_format = " %t"

source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "README.md", "**/_*.md"]  # _*.md: included by other pages
templates_path: list[str] = []

html_theme = "furo"
html_title = f"proofcheck {release}"
html_static_path = ["_static"]
html_css_files = ["proofcheck.css"]
html_show_sourcelink = False

# The built site loads nothing from the network: MathJax comes from the build
# (sphinx-mathjax-offline copies it into _static/mathjax), and furo's own
# assets are local.
mathjax3_config = {"tex": {"tags": "none"}}

# API reference from the numpydoc docstrings.
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
napoleon_use_rtype = False

# The JSON report of `proofcheck verify --profile ci` that the pages render.
# docs/build.py writes it; a bare `sphinx-build` makes it on first use.
proofcheck_report = os.environ.get("PROOFCHECK_DOCS_REPORT",
                                   str(DOCS / "_build" / "report.json"))
