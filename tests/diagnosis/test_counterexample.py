"""One renderer of a counterexample (proofcheck/diagnosis/_counterexample.py): the same
lines in the terminal's text, a Markdown block and an HTML ``<pre>`` (escaped), and the
one ``proofcheck verify`` command line that re-runs a step."""

from __future__ import annotations

import html
import shlex

import pytest

from proofcheck.diagnosis._counterexample import (
    Counterexample,
    render_counterexample,
    verify_command,
)

NETWORK = {"depth": 1, "widths": [1, 2], "activations": ["tanh"], "cost": "squared_error",
           "batch_size": 1, "layers": ["Affine(1 -> 2)"],
           "params": [{"W": [[0.25], [-1.5]], "b": [0.0, 2.0]}], "X": [[0.5]], "Y": [[0.0], [1.0]]}


def _wrong(**fields: object) -> Counterexample:
    base: dict[str, object] = dict(
        network=NETWORK, quantity="delta^1", function="backward_delta", layer=1,
        inputs={"W_next": [[1.0, 2.0], [3.0, 4.0]]}, actual=[[-0.5], [-0.5]],
        expected=[[-1.0], [-1.0]], index=[0, 0], actual_value=-0.5, expected_value=-1.0,
        max_error=0.5, ratio=5e8, reproduce="from proofcheck import replay")
    return Counterexample(**{**base, **fields})  # type: ignore[arg-type]


def test_the_text_style_is_the_terminals_heading_indent_tolerance_and_snippet() -> None:
    text = render_counterexample(_wrong())
    lines = text.splitlines()
    assert lines[0] == "Minimal counterexample (shrunk by Hypothesis):"
    assert all(line.startswith("  ") for line in lines[1:])
    assert "  quantity: delta^1 (layer l=1), computed by backward_delta" in lines
    # An array's later lines stay under its first, after the indent.
    assert "  input W_next = [[1. 2.]\n                  [3. 4.]]" in text
    assert "  actual   = [[-0.5]\n" in text
    assert "  expected = [[-1.]\n              [-1.]]   (oracle)" in text
    assert ("  largest difference at index [0, 0]: actual -0.5, expected -1.0 "
            "(error 0.5, 5e+08 x tolerance)") in lines
    assert lines[-1] == "  reproduce: from proofcheck import replay"


def test_without_arrays_the_text_keeps_the_summary_and_the_verdict() -> None:
    lines = render_counterexample(_wrong(), arrays=False).splitlines()
    assert lines[1].startswith("  network: depth k=1, widths [1, 2]")
    assert not any(" = " in line for line in lines)
    assert any(line.startswith("  largest difference") for line in lines)


def test_the_markdown_style_is_a_fenced_block_for_a_student() -> None:
    text = render_counterexample(_wrong(), style="markdown")
    assert text.startswith("```text\nnetwork: ") and text.endswith("\n```")
    assert "yours    = [[-0.5]\n" in text
    assert "largest difference at index [0, 0]: yours -0.5, expected -1.0\n" in text
    assert "tolerance" not in text and "(oracle)" not in text and "reproduce" not in text
    assert "W^1 = [[ 0.25]\n       [-1.5 ]]" in text and "X = [[0.5]]" in text


def test_the_html_style_is_the_markdowns_text_escaped_in_a_pre() -> None:
    c = _wrong(quantity="a<b & c>d", result=None, exception=None)
    page = render_counterexample(c, style="html")
    markdown = render_counterexample(c, style="markdown")
    assert page.startswith("<pre>") and page.endswith("</pre>")
    assert "a<b" not in page and "quantity: a&lt;b &amp; c&gt;d" in page
    assert html.unescape(page[len("<pre>"):-len("</pre>")]) == markdown[len("```text\n"):-4]


def test_an_exception_and_a_wrong_result_come_before_the_inputs_in_every_style() -> None:
    raised = _wrong(quantity=None, exception="ValueError: <bad> axis", inputs={"X": [[0.5]]})
    for style in ("text", "markdown", "html"):
        text = html.unescape(render_counterexample(raised, style=style))  # type: ignore[arg-type]
        assert text.index("backward_delta raised: ValueError: <bad> axis") \
            < text.index("input X = [[0.5]]")
        # The data the call took as its input is not written twice.
        assert "\n  X = " not in text and "\nX = " not in text
    wrong = render_counterexample(_wrong(result="bias_grad returned shape (2, 1)"))
    assert "\n  bias_grad returned shape (2, 1)\n  input W_next" in wrong


def test_an_exact_rows_formulas_are_written_without_quotes_nor_a_largest_difference() -> None:
    exact = Counterexample(None, quantity="dc/db, n_l=1", function="bias_grad",
                           actual=[["2*g_0", "g_1"]], expected=[["g_0", "g_1"]], index=[0, 0],
                           actual_value=float("nan"), expected_value=float("nan"),
                           max_error=float("inf"), ratio=float("inf"))
    text = render_counterexample(exact)
    assert text.splitlines()[0] == "Counterexample (exact: sympy, over symbolic entries):"
    assert "  actual   = [[2*g_0, g_1]]\n  expected = [[g_0, g_1]]" in text
    assert "largest difference" not in text and "nan" not in text
    assert "yours    = [[2*g_0, g_1]]" in render_counterexample(exact, style="markdown")


def test_an_unknown_style_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"style='rst' is not a counterexample style; "
                                         r"expected one of 'text', 'markdown', 'html'"):
        render_counterexample(_wrong(), style="rst")  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "command"), [
    ({"subject": "subs/bob.py", "steps": ["T1.step"], "profile": "ci"},
     "proofcheck verify --impl subs/bob.py --steps T1.step --profile ci"),
    ({"subject": "mylayer:L", "layer": True, "steps": ["G.step"], "profile": "dev", "seed": 3},
     "proofcheck verify --layer mylayer:L --steps G.step --profile dev --seed 3"),
    ({"subject": None, "steps": ["T2"], "profile": "ci"},
     "proofcheck verify --steps T2 --profile ci"),
    ({"subject": "my subs/a b.py:X", "profile": "thorough"},
     "proofcheck verify --impl 'my subs/a b.py:X' --profile thorough"),
])
def test_the_verify_command_names_the_subject_quoted_for_the_shell(
        kwargs: dict[str, object], command: str) -> None:
    assert verify_command(**kwargs) == command  # type: ignore[arg-type]
    assert shlex.split(command)[:2] == ["proofcheck", "verify"]
