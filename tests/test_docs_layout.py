"""The pure-Python parts of the docs' layout check (``docs/build.py``).

The browser measures each table against the page's content column; these tests
cover what is done with the measurements (which tables fail, how they are named)
and which built pages are visited, without a browser or a build.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BUILD_PY = Path(__file__).resolve().parent.parent / "docs" / "build.py"


@pytest.fixture(scope="module")
def build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("proofcheck_docs_build", BUILD_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def _table(**fields: Any) -> dict[str, Any]:
    table: dict[str, Any] = {"index": 1, "id": "", "header": ["step", "verdict"],
                             "width": 500.0, "wrapper": 736.0, "right": 736.0, "hidden": 0.0}
    table.update(fields)
    return table


def _measured(*tables: dict[str, Any], column: float = 736.0) -> dict[str, Any]:
    return {"column": {"tag": "article", "width": column}, "tables": list(tables)}


def test_a_table_that_fits_is_no_problem(build: ModuleType) -> None:
    assert build.table_problems("index.html", _measured(_table()), 1280) == []


def test_sub_pixel_rounding_is_no_problem(build: ModuleType) -> None:
    table = _table(width=736.4, wrapper=736.4, right=736.4, hidden=0.6)
    assert build.table_problems("index.html", _measured(table), 1280) == []


def test_a_table_wider_than_the_column_is_named_with_its_page_and_header(
        build: ModuleType) -> None:
    table = _table(header=["step", "title", "mode", "verdict"], width=782.0, wrapper=736.0,
                   right=782.0, hidden=46.6)
    [problem] = build.table_problems("index.html", _measured(table), 1280)
    assert problem.startswith("index.html: table 1 (step | title | mode | verdict) ")
    assert "is 782 px wide" in problem
    assert "has 47 px hidden in its scroll wrapper" in problem
    assert "content column is 736 px wide at a 1280 px viewport" in problem


def test_a_wrapper_wider_than_the_column_fails(build: ModuleType) -> None:
    table = _table(width=736.0, wrapper=742.4, right=742.4)
    [problem] = build.table_problems("api/profiles.html", _measured(table), 1280)
    assert "has a scroll wrapper 742 px wide" in problem


def test_a_table_reaching_past_the_right_edge_fails(build: ModuleType) -> None:
    table = _table(width=700.0, wrapper=None, right=760.0, hidden=0)
    [problem] = build.table_problems("guides/x.html", _measured(table), 1280)
    assert "reaches 24 px past the column's right edge" in problem


def test_a_table_scrolling_inside_a_narrower_box_fails(build: ModuleType) -> None:
    # The table is narrower than the column, but its wrapper (inside a padded box)
    # cannot show all of it.
    table = _table(width=720.0, wrapper=700.0, right=720.0, hidden=20.0)
    [problem] = build.table_problems("proof/theorem.html", _measured(table), 1280)
    assert "has 20 px hidden in its scroll wrapper" in problem


def test_every_table_of_a_page_is_judged(build: ModuleType) -> None:
    tables = [_table(index=1), _table(index=2, width=900.0, right=900.0), _table(index=3)]
    problems = build.table_problems("index.html", _measured(*tables), 1280)
    assert [p.split(" (")[0] for p in problems] == ["index.html: table 2"]


def test_describe_table_elides_long_and_many_header_cells(build: ModuleType) -> None:
    long_cell = "x" * 100
    name = build.describe_table(_table(index=4, id="summary",
                                       header=[long_cell, " a  b ", "", *"cdefgh"]))
    assert name.startswith("table 4 #summary (")
    cells = name[name.index("(") + 1:-1].split(" | ")
    assert cells[0] == "x" * (build.HEADER_CELL_CHARS - 1) + "…"
    assert cells[1] == "a b"
    assert len(cells) == build.HEADER_CELLS_SHOWN + 1 and cells[-1] == "…"


def test_describe_table_without_header(build: ModuleType) -> None:
    assert build.describe_table(_table(index=2, header=[])) == "table 2"


def test_built_pages_lists_every_page_landing_first(build: ModuleType,
                                                    tmp_path: Path) -> None:
    for name in ("search.html", "index.html", "api/index.html", "guides/a.html",
                 "_static/x.html", "_sources/index.md.txt", "guides/_private/y.html"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("<!DOCTYPE html>\n")
    assert build.built_pages(tmp_path) == ["index.html", "api/index.html", "guides/a.html",
                                           "search.html"]
