"""Loading what is checked: ``MODULE:ATTR``, ``MODULE`` or ``path/to/file.py[:ATTR]``.

A module name is imported as Python imports it, with the current directory
searched first. A file is imported the way ``python path/to/file.py`` runs it:
its own folder first on the import path, so that a submission's helper next
to it (``from _helpers import ...``, ``import utils``) is found. The file
becomes a module named after its path (``proofcheck_target_...``), not
``__main__``, so its ``if __name__ == "__main__":`` block does not run. A
Jupyter notebook (``kai.ipynb``) is imported as a file is, from its code cells
(:func:`notebook_code`).

Two submissions that each ship a helper of the same name (``utils.py``) each
get their own, also when one process loads both: before a file is imported,
the modules that an earlier file target loaded from its own folder are taken
out of ``sys.modules`` (the earlier submission keeps the modules it holds),
so Python finds the helper next to the new file. A module that was already
imported from anywhere else (numpy, the standard library, the current
directory) is not replaced.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from types import ModuleType
from typing import Any

from proofcheck.errors import ImplementationError

__all__ = ["load_implementation", "load_target"]

def load_implementation(spec: str, *, option: str = "--impl") -> Any:
    """Import ``MODULE:ATTR`` (or ``MODULE``) and return the implementation object.

    The current directory is searched first, then the installed environment.
    ``MODULE`` may also be the path of a ``.py`` file, which is imported as
    ``python path/to/file.py`` would run it: its own folder first on the
    import path (see :mod:`proofcheck.engine._loading`). A class is instantiated
    without arguments.

    Raises
    ------
    ImplementationError
        If the module does not import or the attribute is not there.
    """
    obj = _resolve(spec, option)
    if inspect.isclass(obj) and option == "--impl":
        return _instantiate(obj, spec)
    return obj


def load_target(spec: str) -> tuple[Any, Any]:
    """A grading target as ``(implementation, layer type)``, one of them ``None``.

    A subclass of :class:`proofcheck.layers.LayerMap` or
    :class:`~proofcheck.layers.ActivationMap` is a layer type (checked as
    ``verify --layer`` checks it); any other class is instantiated without
    arguments, and anything else is the implementation itself.

    Raises
    ------
    ImplementationError
        As :func:`load_implementation`.
    """
    obj = _resolve(spec, "target")
    if not inspect.isclass(obj):
        return obj, None
    from proofcheck.layers import ActivationMap, LayerMap

    if issubclass(obj, (LayerMap, ActivationMap)):
        return None, obj
    return _instantiate(obj, spec), None


def _resolve(spec: str, option: str) -> Any:
    """The object ``spec`` names, imported (classes not instantiated)."""
    if not isinstance(spec, str) or not spec or spec.count(":") > 1:
        raise ImplementationError(
            f"{option} {spec!r} is not of the form MODULE:ATTR (e.g. mybackprop:Backprop) "
            "or MODULE")
    module_name, _, attr = spec.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        if module_name.endswith((".py", ".ipynb")):
            module = import_file(module_name)
        else:
            module = importlib.import_module(module_name)
    except Exception as exc:
        missing = (getattr(exc, "name", None) or "").split(".")[0]
        hint = ('; install it with: pip install "proofcheck[torch]"'
                if isinstance(exc, ModuleNotFoundError) and missing == "torch" else "")
        raise ImplementationError(
            f"could not import module {module_name!r} for {option} {spec!r}: "
            f"{type(exc).__name__}: {exc}{hint}") from exc
    if not attr:
        return module
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            names = sorted(n for n in dir(obj) if not n.startswith("_"))
            raise ImplementationError(
                f"module {module_name!r} has no attribute {attr!r} ({option} {spec!r}); "
                f"it has: {', '.join(names) or 'nothing public'}")
        obj = getattr(obj, part)
    return obj


def _instantiate(cls: type, spec: str) -> Any:
    try:
        return cls()
    except Exception as exc:
        raise ImplementationError(
            f"could not create {spec} with no arguments: {type(exc).__name__}: {exc}"
        ) from exc


def import_file(path: str) -> ModuleType:
    """Import a Python file by its path, as a module of its own (a student's submission).

    Its folder goes first on ``sys.path`` and stays there (a function that
    imports a helper when it is called finds it too); the helpers that earlier
    file targets loaded from other folders leave ``sys.modules`` first.
    """
    file = os.path.abspath(path)
    if not os.path.isfile(file):
        raise FileNotFoundError(f"no file {path!r}")
    folder = os.path.dirname(file)
    _forget_other_targets(folder)
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    importlib.invalidate_caches()  # a helper written since the last import is seen
    name = "proofcheck_target_" + "".join(c if c.isalnum() else "_" for c in file)
    if file.endswith(".ipynb"):
        spec = importlib.util.spec_from_loader(name, loader=None, origin=file)
    else:
        spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or (spec.loader is None and not file.endswith(".ipynb")):
        raise ImportError(f"cannot import {path!r} as Python")
    module = importlib.util.module_from_spec(spec)
    before = set(sys.modules)
    sys.modules[name] = module
    try:
        if spec.loader is None:  # a notebook: its code cells, as one module
            module.__file__ = file
            exec(compile(notebook_code(file)[0], file, "exec"), module.__dict__)
        else:
            spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        _remember_helpers(folder, set(sys.modules) - before - {name})
    return module


def notebook_code(path: str) -> tuple[str, list[str]]:
    """A Jupyter notebook's code cells as the source of one module, and what was left out.

    The cells run in order, as one file; no kernel is needed. The lines IPython
    reads as its own commands are not Python and are left out (each replaced by
    ``pass`` at its indentation, so that the lines keep their numbers): a shell
    line (``!pip install ...``), a line magic (``%matplotlib inline``), and the
    whole of a cell that starts with a cell magic (``%%bash``). The list names
    each one, for the feedback.

    Raises
    ------
    ValueError
        If the file is not a notebook (JSON with a list of ``cells``).
    """
    import json

    with open(path, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path!r} is not a Jupyter notebook (not JSON: {exc})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{path!r} is not a Jupyter notebook (no list of cells)")
    chunks: list[str] = []
    left_out: list[str] = []
    number = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        lines = text.splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            left_out.append(f"code cell {number}: the cell magic {lines[0].strip()!r} "
                            f"(the whole cell, {len(lines)} lines)")
            lines = ["pass"] * len(lines)
        for i, line in enumerate(lines):
            stripped = line.lstrip()
            if stripped.startswith(("!", "%")):
                left_out.append(f"code cell {number}, line {i + 1}: {stripped!r}")
                lines[i] = line[:len(line) - len(stripped)] + "pass"
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks) + "\n", left_out


#: For each folder of a file target: the modules its import loaded from that folder.
_HELPERS: dict[str, set[str]] = {}


def _remember_helpers(folder: str, new: set[str]) -> None:
    for name in new:
        file = getattr(sys.modules.get(name), "__file__", None)
        if isinstance(file, str) and _inside(os.path.abspath(file), folder):
            _HELPERS.setdefault(folder, set()).add(name)


def _forget_other_targets(folder: str) -> None:
    """Take the helpers that other file targets loaded out of ``sys.modules``."""
    for other, names in _HELPERS.items():
        if other == folder:
            continue
        for name in names:
            sys.modules.pop(name, None)


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder + os.sep)
