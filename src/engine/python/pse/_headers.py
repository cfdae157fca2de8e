"""``Headers``: an ordered, case-insensitive multi-map of HTTP header fields."""
from __future__ import annotations

import re
from typing import Iterable, Iterator, List, Optional, Tuple

# What Node's http module accepts (RFC 9110 token; field value: tab, visible ASCII, space, and
# bytes 0x80-0xff): anything else would make it refuse the whole response.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE_CHAR = re.compile(r'[^\t\x20-\x7e\x80-\xff]')


def check_value(what: str, value: object) -> str:
    """``value`` if it can be sent as a header value; ValueError naming ``what`` otherwise."""
    if not isinstance(value, str):
        raise ValueError('%s must be a str, got %r' % (what, value))
    bad = _BAD_VALUE_CHAR.search(value)
    if bad is not None:
        char = bad.group()
        kind = 'CR or LF' if char in '\r\n' else 'the character %r' % char
        raise ValueError('%s cannot be sent: it contains %s (at index %d); the value must be a str '
                         'without CR or LF, control characters or characters beyond U+00FF, got %r'
                         % (what, kind, bad.start(), value))
    return value


def _check(name: str, value: str) -> None:
    # A CR or LF would let page data inject headers or split the response.
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        raise ValueError('bad header name %r' % (name,))
    check_value('header %s' % name, value)


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
