"""A registry of named entries: the activations and the costs are each one of these."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, Protocol, TypeVar

from proofcheck.errors import a_or_an

__all__ = ["Registry"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_T = TypeVar("_T", bound=_Named)


class Registry(Mapping[str, _T], Generic[_T]):
    """Entries by name, in registration order (the order Hypothesis shrinks towards).

    Parameters
    ----------
    what : str
        What an entry is, for messages (``"activation"``).
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, _T] = {}

    def register(self, entry: _T) -> _T:
        """Add ``entry`` under its name; ``ValueError`` if the name is taken."""
        if entry.name in self._entries:
            raise ValueError(f"{a_or_an(self.what)} named {entry.name!r} is already "
                             "registered")
        self._entries[entry.name] = entry
        return entry

    def __getitem__(self, name: str) -> _T:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"unknown {self.what} {name!r}; known {self.what}s: "
                           f"{', '.join(self._entries)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
