"""The rubric (proofcheck/grading/rubric.py): the default, a course's TOML file read in the proof's
order, and every bad file refused with an error naming it. What a rubric's points earn
is tests/grading/test_gradebook.py's."""

from __future__ import annotations

from pathlib import Path

import pytest

from proofcheck import InputError
from proofcheck.grading.rubric import DEFAULT_RUBRIC, DEFAULT_RUBRIC_TOML, load_rubric, parse_rubric
from tests.grading.test_gradebook import FULL

# --- the rubric ------------------------------------------------------------------------


def test_the_default_rubric_gives_points_to_the_theorem_only() -> None:
    assert set(DEFAULT_RUBRIC.points) == {*FULL, "G.base", "G.step", "G.param"}
    assert sum(DEFAULT_RUBRIC.points[s] for s in DEFAULT_RUBRIC.steps_for("implementation")) \
        == 20
    assert DEFAULT_RUBRIC.steps_for("layer") == ["G.base", "G.step", "G.param"]
    assert DEFAULT_RUBRIC.not_provided == "implied"
    assert parse_rubric(DEFAULT_RUBRIC_TOML) == DEFAULT_RUBRIC._replace(source="the rubric")


def test_a_rubric_file_is_read_in_the_proofs_order(tmp_path: Path) -> None:
    path = tmp_path / "course.toml"
    path.write_text('[points]\nT2 = 5\n"T1.step" = 2.5\n[policy]\nnot_provided = "nothing"\n')
    rubric = load_rubric(path)
    assert (rubric.points, rubric.not_provided) == ({"T1.step": 2.5, "T2": 5.0}, "nothing")
    assert str(path) in rubric.source


def test_a_rubric_can_require_activations_and_costs() -> None:
    rubric = parse_rubric('[points]\nT2 = 1\n[require]\nactivations = ["tanh", "identity"]\n'
                          'costs = "all"\n')
    assert rubric.require_activations == ("identity", "tanh")  # the registry's order
    assert rubric.require_costs == ("squared_error", "binary_cross_entropy",
                                    "categorical_cross_entropy")
    assert DEFAULT_RUBRIC.require_activations == DEFAULT_RUBRIC.require_costs == ()


BAD_RUBRICS = [
    ("[points\n", "is not valid TOML"),
    ('[policy]\nnot_provided = "implied"\n', r"has no \[points\] table"),
    ('[points]\n"T9" = 1\n', r"\[points\] names 'T9', which is not a step ID; the theorem's "
                             r"steps are T1.base, .*, G.param"),
    ('[points]\n"L2" = 1\n', r"gives points to L2, a lemma about the mathematics"),
    ('[points]\n"D1" = 1\n', r"gives points to D1, a definition about the mathematics"),
    ('[points]\n"T2" = -1\n', r"\[points\] T2 = -1; expected a number of points, 0 or more"),
    ('[points]\n"T2" = "three"\n', r"\[points\] T2 = 'three'; expected a number"),
    ('[points]\n"T2" = true\n', r"\[points\] T2 = True; expected a number"),
    ('[points]\n"T2" = inf\n', r"\[points\] T2 = inf; expected a number"),
    ('[points]\n"T2" = 0\n', "no step has points"),
    ('[points]\n"T2" = 1\n[policy]\nnot_provided = "half"\n',
     r"not_provided is 'half'; expected one of 'implied', 'nothing'"),
    ('[points]\n"T2" = 1\n[policy]\nlate = 1\n', r"\[policy\] has unknown keys \['late'\]"),
    ('[points]\n"T2" = 1\n[bonus]\nx = 1\n', r"unknown tables or keys \['bonus'\]"),
    ('[points]\n"T2" = 1\n[require]\nactivations = ["tanh", "swish"]\n',
     r"\[require\] activations names \['swish'\], which proofcheck does not know"),
    ('[points]\n"T2" = 1\n[require]\ncosts = "some"\n',
     r"\[require\] costs = 'some'; expected a list of names or \"all\""),
    ('[points]\n"T2" = 1\n[require]\nlayers = ["Affine"]\n',
     r"\[require\] has unknown keys \['layers'\]"),
]


@pytest.mark.parametrize(("text", "message"), BAD_RUBRICS, ids=[m for _, m in BAD_RUBRICS])
def test_a_bad_rubric_is_an_input_error_naming_the_file(text: str, message: str,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=f"the rubric '.*bad.toml'.*{message}"):
        load_rubric(path)


def test_a_missing_rubric_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot read the rubric '.*nope.toml'"):
        load_rubric(tmp_path / "nope.toml")
