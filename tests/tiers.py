"""The suite's two tiers: what the README's ``pytest -n auto`` runs, and the rest.

The README's command runs the tier a contributor runs on every change: every
property on the package's own implementation (``test_reference``), the mutant
catalog with its root causes (``test_mutants``, ``test_lemma_mutants``, the layer
mutants), the unit tests, and every test that takes a second or two. The tests
listed here run only in the full tier, ``nox -s tests-full`` (and CI, which runs
both tiers): ``tests/conftest.py`` marks them ``slow``, which the default options
deselect. Run the full tier before a change to the error model, the oracle, the
grader or the command line.

What is listed is what took 4 s or more a test under ``dev`` on 2 cores (pytest
``--durations=0``, the machine shared, so about 1.5 s or more when quiet), and
is one of:

* a process of its own: the command line run as a user runs it, the pytest
  plugin inside ``pytester``, the grader's sandboxed checks, two processes
  sharing the compilation cache;
* a whole check of many rows: the correct implementations' runs (the false
  alarms' guard, also run by ``nox -s soak`` on many seeds), the error model's
  whole-run regression tests, the magnitudes each strategy reaches.

The mutant catalog's tests are never listed (the mistakes of ``tests/mutants.py``,
``tests/layer_mutants.py`` and the lemma mutants, each with its root cause, and
the exact rows failing on wrong steps): they stay in the README's tier, as the
README promises. A mistake's test listed here is a whole run as a user makes it
(the command line, a user's layer file), beside a catalog test of the same
mistake. ``tests/test_tiers.py`` checks that every name here is a test that
exists.
"""

from __future__ import annotations

#: File -> the tests (function names) that run only in the full tier.
FULL_TIER: dict[str, tuple[str, ...]] = {
    # The command line as a user runs it (a process each, JAX imported in each).
    "tests/test_cli.py": (
        "test_missing_transpose_from_the_catalog",
        "test_nan_on_some_networks_is_a_failing_row_with_the_json_written",
        "test_reference_passes_with_exit_zero",
        "test_usage_errors_exit_two_with_one_message",
        "test_user_file_in_the_current_directory",
        "test_wrong_shape_is_a_failing_row_with_the_json_written",
    ),
    "tests/test_deprecated.py": ("test_an_old_layer_target_still_runs_from_the_shell",),
    # The pytest plugin inside pytester (a pytest run, sometimes two workers, each).
    "tests/test_pytest_plugin.py": (
        "test_a_file_targets_node_ids_are_relative_to_the_rootdir",
        "test_a_run_that_names_no_target_imports_neither_proofcheck_nor_jax",
        "test_a_target_that_cannot_be_imported_is_a_collection_error",
        "test_each_row_of_each_target_is_an_item_named_by_step_and_mode",
        "test_k_selects_rows_and_the_junit_xml_has_one_result_per_row",
        "test_the_items_run_under_xdist_with_the_same_results",
    ),
    # The grader: each check in a sandboxed process of its own.
    "tests/grading/test_grade_course.py": (
        "test_a_part_of_the_course_gets_its_expected_points",
        "test_a_regrade_of_one_student_keeps_every_other_row",
    ),
    "tests/grading/test_grade_submissions.py": (
        "test_a_change_to_the_callers_arrays_is_a_warning_not_a_penalty",
        "test_a_declared_restriction_costs_what_the_rubric_requires_and_is_shown_everywhere",
        "test_a_folder_submission_opens_its_data_files_by_relative_paths",
        "test_a_notebook_named_on_its_own_is_graded",
        "test_a_regrade_replaces_its_students_row_and_keeps_every_other",
        "test_identical_hand_ins_are_checked_once_listed_and_a_progress_line_per_check",
        "test_same_entry_file_with_another_helper_or_data_file_is_checked_on_its_own",
        "test_the_class_is_graded_with_every_entry_accounted_for",
    ),
    "tests/grading/test_sandbox.py": (
        "test_a_submission_whose_grader_died_ends_itself_after_its_time_limit",
        "test_one_pool_slot_gives_each_submission_its_own_helper",
        "test_rows_finished_before_a_stop_keep_their_verdicts",
        "test_the_others_are_graded_as_if_the_misbehaving_ones_were_not_there",
    ),
    "tests/test_batch.py": (
        "test_grade_a_folder_with_a_process_pool",
        "test_parallel_verify_gives_the_same_rows",
        "test_parallel_verify_passes_implementation_errors_on",
    ),
    # The compilation cache across processes, and what a broken cache folder costs.
    "tests/oracle/test_compilation.py": (
        "test_a_corrupted_cache_costs_speed_only",
        "test_a_full_disk_costs_speed_only",
        "test_a_second_process_compiles_nothing",
        "test_a_users_cache_folder_is_kept",
        "test_an_unwritable_folder_costs_speed_only",
        "test_two_processes_share_a_cold_cache",
    ),
    "tests/frameworks/test_custom_rules.py": (
        "test_catalog_entries_travel_to_worker_processes",
        "test_static_arguments_are_passed_as_given_and_nondiff_argnums_are_taken",
    ),
    # Whole checks of many rows on correct code: the false alarms' guards.
    "tests/test_correct_implementations.py": ("test_correct_implementation_passes",),
    "tests/numerics/test_error_model.py": (
        "test_a_kink_convention_in_the_subdifferential_holds_and_is_named",
        "test_a_value_outside_the_subdifferential_fails_and_says_so",
        "test_an_implementation_with_a_kink_convention_per_layer_holds_at_every_row",
        "test_the_left_derivative_is_named_where_the_kink_matters",
    ),
    "tests/numerics/test_forward_precision.py": (
        "test_the_report_lists_the_notes_in_text_and_json",
    ),
    "tests/test_oracle_range.py": (
        "test_a_correct_layer_with_the_textbook_sigmoid_holds_at_q_minus_710",
        "test_a_wrong_layer_still_fails_with_root_cause_g_param_next_to_discards",
    ),
    "tests/properties/test_third_opinion.py": (
        "test_the_relu_rule_holds_every_row_of_its_run",
        "test_wrong_rules_fail_at_their_lemma_row",
    ),
    "tests/test_verdicts.py": (
        "test_a_gradients_that_calls_the_wrong_function_fails_only_as_its_consequence",
        "test_a_gradients_that_does_not_call_the_wrong_function_is_a_separate_failure",
        "test_an_independent_mistake_is_not_called_a_consequence",
        "test_layers_reversed_is_a_failing_row_not_an_unusable_implementation",
    ),
    "tests/engine/test_verify.py": (
        "test_monolithic_restricted_implementation_is_checked_end_to_end_only",
        "test_unusable_implementation_raises_implementation_error",
        "test_verify_leaves_the_host_jax_settings_as_found",
    ),
    "tests/engine/test_watch.py": ("test_a_layer_type_s_changed_method_runs_its_rows_first",),
    "tests/layers/test_layers.py": (
        "test_user_layer_in_its_own_file_is_checked",
        "test_user_layer_with_a_wrong_product_fails_with_its_lemma",
    ),
    "tests/test_malformed.py": ("test_malformed_input_gets_a_clear_error",),
    # The strategies: what they reach and how they shrink, over many draws.
    "tests/test_magnitudes.py": ("test_strategies_reach_the_regime",),
    "tests/test_layer_networks.py": (
        "test_batches_of_four_or_more_in_part_of_the_examples",
        "test_min_width_is_honoured",
        "test_orders_scale_parameters_and_X_and_shrink_to_zero",
        "test_strided_convolutions_have_several_output_positions_in_part_of_the_examples",
    ),
    "tests/test_strategies.py": (
        "test_a_mistake_in_the_induction_step_shrinks_to_depth_two",
        "test_depth_shrinks_by_deleting_layers",
    ),
    "tests/oracle/test_network.py": ("test_padding_is_exact",),
    # The documentation's Python examples, each a check of a few steps.
    "tests/test_doc_examples.py": ("test_python_examples_run",),
}
