"""``Headers``: an ordered, case-insensitive multi-map of HTTP header fields."""
from __future__ import annotations

from typing import Iterable, Iterator, List, Optional, Tuple


def _check(name: str, value: str) -> None:
    # A CR or LF would let page data inject headers or split the response.
    if not isinstance(name, str) or not name or any(c in name for c in ' \t\r\n:'):
        raise ValueError('bad header name %r' % (name,))
    if not isinstance(value, str) or '\r' in value or '\n' in value:
        raise ValueError('header %s: the value must be a str without CR or LF, got %r' % (name, value))


class Headers:
    """Header fields in order. ``h[name]`` is the first value; ``h[name] = v`` replaces all."""

    def __init__(self, items: Iterable[Tuple[str, str]] = ()) -> None:
        self._items: List[Tuple[str, str]] = [(str(k), str(v)) for k, v in items]

    def __getitem__(self, name: str) -> str:
        key = name.lower()
        for k, v in self._items:
            if k.lower() == key:
                return v
        raise KeyError(name)

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        try:
            return self[name]
        except KeyError:
            return default

    def getlist(self, name: str) -> List[str]:
        key = name.lower()
        return [v for k, v in self._items if k.lower() == key]

    def __setitem__(self, name: str, value: str) -> None:
        _check(name, value)
        del self[name]
        self._items.append((name, value))

    def add(self, name: str, value: str) -> None:
        _check(name, value)
        self._items.append((name, value))

    def __delitem__(self, name: str) -> None:
        key = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(k.lower() == name.lower() for k, _ in self._items)

    def has_key(self, name: str) -> bool:
        return name in self

    def keys(self) -> List[str]:
        return [k for k, _ in self._items]

    def values(self) -> List[str]:
        return [v for _, v in self._items]

    def items(self) -> List[Tuple[str, str]]:
        return list(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return 'Headers(%r)' % (self._items,)
