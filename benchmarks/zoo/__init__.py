"""The zoo: the custom derivative rules that JAX and PyTorch ship, described for
``from_jax``/``from_torch`` and run under the generalized theorem (``run.py``)."""
