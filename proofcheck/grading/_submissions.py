"""What a class hands in: submissions found in folders, and what identifies each one.

A **submission** is one of

- a **student's folder**: one folder per student, holding the entry file and
  whatever else the student wrote (helper modules and packages, data files).
  The entry file is ``--entry NAME`` when given; otherwise the one ``.py`` (or
  ``.ipynb``) file of the folder that defines a function of the protocol
  (``output_delta``, ..., ``gradients``) or the ``--attr`` object at its top
  level (or its only such file). The student is the folder's name. Its check runs in a copy of the
  folder (:mod:`proofcheck.grading._sandbox`), so its modules import and its data
  files open by relative paths;
- a single **Python file** (``alice.py``): the student is the file's name
  without its suffix;
- a **Jupyter notebook** (``kai.ipynb``): its code cells, run in order as one
  module (see :func:`proofcheck.engine._loading.notebook_code`); the student is its
  name without the suffix.

A folder named on the command line is a student's folder when it holds the
``--entry`` file, or (without ``--entry``) an entry file and no student
folders of its own; otherwise it is the class's
folder, and each of its entries is a submission or is *skipped* with the
reason (a helper whose name starts with ``_``, a file that is not Python, a
folder with nothing to grade, ...): nothing in it is passed over in silence.

Two submissions share a check only when they are byte-identical throughout
(:func:`submission_hash`): a student's folder by every file in it, a single
file or notebook by itself and the files of its folder it uses (the modules
and packages it imports, the files its source names).
"""

from __future__ import annotations

import ast
import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from proofcheck.errors import InputError
from proofcheck.protocol import PROTOCOL_FUNCTIONS

__all__ = ["Skipped", "Submission", "collect_submissions", "entry_candidates",
           "submission_hash"]

#: Suffixes of the files a submission's entry can be.
ENTRY_SUFFIXES = (".py", ".ipynb")
#: Folders that belong to tools, never to a student's work.
_TOOL_FOLDERS = frozenset({"__pycache__", ".ipynb_checkpoints", ".git", ".venv", "venv"})


class Submission(NamedTuple):
    """One student's hand-in, as the grader takes it.

    Attributes
    ----------
    student : str
        The student's id in the gradebook: the folder's name, or the file's name
        without its suffix (a module target: the target itself).
    target : str
        What is checked: ``path/to/entry.py[:ATTR]``, ``path/to/kai.ipynb[:ATTR]``
        or ``MODULE[:ATTR]``.
    folder : str or None
        A student's folder: the folder copied for its check. ``None`` for a single
        file, a notebook or a module.
    problem : str or None
        Why the folder's entry file could not be chosen (none, or several
        candidates: named); the submission then gets a row that says so.
    """

    student: str
    target: str
    folder: str | None = None
    problem: str | None = None


class Skipped(NamedTuple):
    """An entry of a class folder that is not a submission, and why."""

    path: str
    reason: str


def collect_submissions(items: Iterable[str], *, attribute: str | None = None,
                        entry: str | None = None) -> tuple[list[Submission], list[Skipped]]:
    """The submissions the command-line ``items`` stand for, and what was skipped.

    Parameters
    ----------
    items : iterable of str
        Class folders, student folders, ``.py`` files, notebooks, modules
        (``MODULE[:ATTR]``); see the module docstring.
    attribute : str, optional
        The attribute to check in each entry file (``--attr``); also what makes a
        file a folder's entry.
    entry : str, optional
        The entry file's name in every student's folder (``--entry``).

    Raises
    ------
    InputError
        If a folder holds nothing to grade at all.
    """
    submissions: list[Submission] = []
    skipped: list[Skipped] = []
    for item in items:
        path = Path(item.partition(":")[0] if not os.path.isdir(item) else item)
        if os.path.isdir(item):
            if _is_student_folder(path, attribute, entry):
                submissions.append(_student_folder(path, attribute, entry))
                continue
            found, passed = _class_folder(path, attribute, entry)
            if not found:
                raise InputError(f"folder {item!r} holds no submissions to grade (no .py or "
                                 ".ipynb file, no student's folder): "
                                 + "; ".join(f"{s.path}: {s.reason}" for s in passed)
                                 if passed else f"folder {item!r} is empty: nothing to grade")
            submissions += found
            skipped += passed
        else:
            submissions.append(_single(item, attribute))
    return _unique(submissions), skipped


def _unique(submissions: list[Submission]) -> list[Submission]:
    """Each student id once: two submissions of the same name (``alice.py`` and a folder
    ``alice/``, or two folders of that name in two classes) are told apart by their
    targets, since a regrade matches its rows by the id."""
    names = [s.student for s in submissions]
    return [s._replace(student=s.target) if names.count(s.student) > 1 else s
            for s in submissions]


def _with_attr(target: str, attribute: str | None) -> str:
    return f"{target}:{attribute}" if attribute and ":" not in target else target


def _single(item: str, attribute: str | None) -> Submission:
    """A file, a notebook or a module named on the command line."""
    path = item.partition(":")[0]
    target = _with_attr(item, attribute)
    return Submission(Path(path).stem if path.endswith(ENTRY_SUFFIXES) else target, target)


def _entry_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in ENTRY_SUFFIXES
                  and not p.name.startswith(("_", ".")))


def _holds_work(folder: Path) -> bool:
    """Whether a folder holds a file an entry could be (a student's folder may)."""
    return any(p.is_file() and p.suffix in ENTRY_SUFFIXES for p in folder.iterdir())


def _is_student_folder(folder: Path, attribute: str | None, entry: str | None) -> bool:
    """A folder named on the command line is a student's when it holds the ``--entry``
    file, or else when it holds its entry file and no folder of the class's kind (a
    student's folder of its own)."""
    if entry is not None and (folder / entry).is_file():
        return True
    if any(p.is_dir() and p.name not in _TOOL_FOLDERS and not p.name.startswith(".")
           and not (p / "__init__.py").exists() and _holds_work(p)
           for p in folder.iterdir()):
        return False
    if entry is not None:
        return False
    return len(entry_candidates(folder, attribute)) == 1 or len(_entry_files(folder)) == 1


def _student_folder(folder: Path, attribute: str | None, entry: str | None) -> Submission:
    student = folder.resolve().name if folder.name in ("", ".", "..") else folder.name
    if entry is not None:
        if (folder / entry).is_file():
            return Submission(student, _with_attr(str(folder / entry), attribute), str(folder))
        return Submission(student, str(folder), str(folder),
                          f"no entry file {entry!r} in the folder (--entry); it holds: "
                          + (", ".join(p.name for p in _entry_files(folder)) or "no .py file"))
    candidates = entry_candidates(folder, attribute)
    files = _entry_files(folder)
    if not candidates and len(files) == 1:
        candidates = files  # the only file: its check says what it lacks
    if len(candidates) == 1:
        return Submission(student, _with_attr(str(candidates[0]), attribute), str(folder))
    what = f"the object {attribute!r}" if attribute else "a function of the protocol"
    problem = (f"its entry file is ambiguous: {', '.join(p.name for p in candidates)} each "
               f"define {what}; name the entry with --entry" if candidates else
               f"no file in it defines {what} (it holds: "
               f"{', '.join(p.name for p in files) or 'no .py or .ipynb file'}); name the "
               "entry with --entry")
    return Submission(student, str(folder), str(folder), problem)


def _class_folder(folder: Path, attribute: str | None,
                  entry: str | None) -> tuple[list[Submission], list[Skipped]]:
    """Each entry of a class's folder: a submission, or skipped with the reason."""
    found: list[Submission] = []
    passed: list[Skipped] = []
    for p in sorted(folder.iterdir()):
        reason = _not_a_submission(p)
        if reason is not None:
            passed.append(Skipped(str(p), reason))
        elif p.is_dir():
            found.append(_student_folder(p, attribute, entry))
        else:
            found.append(Submission(p.stem, _with_attr(str(p), attribute)))
    return found, passed


def _not_a_submission(p: Path) -> str | None:
    """Why an entry of a class's folder is not a submission (``None`` if it is one)."""
    if p.name.startswith("."):
        return "hidden (its name starts with '.')"
    if p.is_dir():
        if p.name in _TOOL_FOLDERS:
            return "a folder of tools' files, not a student's"
        if not any(f.suffix in ENTRY_SUFFIXES for f in _files(p)):
            return "a folder with no .py or .ipynb file in it"
        return None
    if p.suffix in ENTRY_SUFFIXES:
        if p.name.startswith("_"):
            return "a helper (its name starts with '_'), imported by the submissions"
        return None
    return f"not a submission: a {p.suffix or 'file without a suffix'} file, not .py or .ipynb"


def entry_candidates(folder: Path, attribute: str | None = None) -> list[Path]:
    """The files of ``folder`` that may be its entry: they define a function of the
    protocol (or ``attribute``) at the top level, or cannot be read as Python."""
    wanted = {attribute.split(".")[0]} if attribute else {f.name for f in PROTOCOL_FUNCTIONS}
    found = []
    for file in _entry_files(folder):
        names = _top_level_names(file)
        if names is None or names & wanted:
            found.append(file)
    return found


def _top_level_names(file: Path) -> set[str] | None:
    """The names a file binds at its top level (``None``: it is not readable Python)."""
    try:
        if file.suffix == ".ipynb":
            from proofcheck.engine._loading import notebook_code

            source = notebook_code(str(file))[0]
        else:
            source = file.read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


# --- identity --------------------------------------------------------------------------


def submission_hash(submission: Submission, cwd: str | None = None) -> str:
    """What identifies a submission's code: the same hash, the same check.

    A student's folder: its entry, its attribute, and the name and bytes of every
    file in it (helper modules and packages, data files; tools' folders such as
    ``__pycache__`` aside). A single file or notebook: its attribute, its bytes
    and those of the files of its folder it uses (:func:`used_files`). A module:
    its name (every check imports it from the same environment).
    """
    path, _, attr = submission.target.partition(":")
    base = Path(cwd or os.getcwd())
    digest = hashlib.sha256(attr.encode() + b"\0")
    try:
        if submission.folder is not None:
            folder = base / submission.folder
            digest.update(os.path.relpath(base / path, folder).encode() + b"\0")
            for file in _files(folder):
                digest.update(file.relative_to(folder).as_posix().encode() + b"\0"
                              + file.read_bytes() + b"\0")
            return digest.hexdigest()
        if not path.endswith(ENTRY_SUFFIXES):
            return "module:" + submission.target
        file = base / path
        digest.update(file.read_bytes() + b"\0")
        for used in used_files(file)[1:]:
            digest.update(used.relative_to(file.parent).as_posix().encode() + b"\0"
                          + used.read_bytes() + b"\0")
    except OSError:
        return "file:" + str(base / path)  # the check itself says why it cannot be read
    return digest.hexdigest()


def _files(folder: Path) -> Iterator[Path]:
    """Every file under ``folder``, in a fixed order, tools' folders left out."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _TOOL_FOLDERS)
        for name in sorted(files):
            yield Path(root) / name


def used_files(file: Path) -> list[Path]:
    """``file`` and the files of its folder it uses, directly or through each other: the
    modules (``utils.py``) and packages (``mylib/``, every file in it) it imports, and
    the files of the folder a string of its source names (``open("consts.json")``)."""
    folder = file.parent
    seen = [file]
    for current in seen:
        for used in _named_by(current, folder):
            if used not in seen:
                seen.append(used)
    return seen


def _named_by(current: Path, folder: Path) -> list[Path]:
    """The files of ``folder`` that ``current`` imports or names (see :func:`used_files`)."""
    if current.suffix not in ENTRY_SUFFIXES:
        return []
    try:
        if current.suffix == ".ipynb":
            from proofcheck.engine._loading import notebook_code

            tree = ast.parse(notebook_code(str(current))[0])
        else:
            tree = ast.parse(current.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    names: set[str] = set()
    strings: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and 0 < len(node.value) < 1000 and "\n" not in node.value:
            strings.add(node.value)
    found: list[Path] = []
    for name in sorted(names):
        if (folder / f"{name}.py").is_file():
            found.append(folder / f"{name}.py")
        elif (folder / name).is_dir():
            found += list(_files(folder / name))
    for text in sorted(strings):
        try:
            candidate = (folder / text).resolve()
        except (OSError, ValueError):
            continue
        if candidate.is_file() and candidate.parent == folder.resolve() \
                and candidate != current.resolve():
            found.append(folder / candidate.name)
    return found
