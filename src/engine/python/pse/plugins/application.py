"""Built-in plugin ``application``: dictionaries that live as long as the worker process.

Like an Apache child's memory: each worker has its own, and they vanish when it is recycled.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

plugin_name = 'application'


class AppDict(dict):
    def has_key(self, key: Any) -> bool:
        return key in self


_stores: Dict[str, AppDict] = {}


def _name(ns: Optional[str]) -> str:
    if ns is None:
        return ''
    if not isinstance(ns, str):
        raise TypeError('application namespace names are str, got %r' % (ns,))
    return ns


def new(ns: Optional[str] = None) -> AppDict:
    """The standard dictionary, or the one named ``ns`` (created empty on first use)."""
    name = _name(ns)
    store = _stores.get(name)
    if store is None:
        store = _stores[name] = AppDict()
    return store


def delete(ns: Optional[str] = None) -> None:
    """Forget a dictionary; the next ``new()`` of that name starts empty."""
    _stores.pop(_name(ns), None)


def initialize(mod: Any, req: Any) -> None:
    pass


def finalize(mod: Any, req: Any, success: bool) -> None:
    pass
