"""How close is close enough: the tolerances and the error model.

:mod:`.tolerances` compares a result with the oracle's and holds the table of
tolerances, each entry with its reason; :mod:`.error_model` bounds the rounding
error of each product the proof checks; :mod:`.forward_precision` estimates the
rounding of the forward pass the backward pass starts from.

Private: documented among the API reference's internals, so that a report's
tolerances and verdicts can be read.
"""
