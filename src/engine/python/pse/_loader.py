"""Compiled servlets: code objects cached per worker, keyed by (path, mtime_ns, size).

Templates are compiled by Node (``call source``) and only turned into code objects here; code
modules (``.py``) are read and compiled here. Preview overrides are compiled every time.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from types import CodeType
from typing import Any, Callable, Dict, Hashable, Optional, Tuple

from . import _traceback
from ._protocol import CompiledSource, ServletError
from ._traceback import Template

FetchSource = Callable[[str], Tuple[Optional[CompiledSource], Optional[Dict[str, Any]]]]


class LoadError(Exception):
    """A servlet file cannot be compiled; carries the ServletError to report."""

    def __init__(self, error: ServletError) -> None:
        super().__init__(error['message'])
        self.error = error


class LRU:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: 'OrderedDict[str, Tuple[Hashable, Any]]' = OrderedDict()

    def get(self, path: str, key: Hashable) -> Any:
        hit = self._items.get(path)
        if hit is None or hit[0] != key:
            return None
        self._items.move_to_end(path)
        return hit[1]

    def put(self, path: str, key: Hashable, value: Any) -> None:
        if self.capacity <= 0:
            return
        self._items[path] = (key, value)
        self._items.move_to_end(path)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def compile_template(src: CompiledSource) -> Template:
    file = str(src['file'])
    tpl = Template(compile('pass', file, 'exec'), file, src.get('map') or [])
    try:
        tpl.code = compile(src['py'], file, 'exec', dont_inherit=True)
    except SyntaxError as exc:
        raise LoadError(_traceback.from_syntax_error(exc, tpl)) from None
    return tpl


def compile_module(source: 'str | bytes', path: str) -> CodeType:
    try:
        return compile(source, path, 'exec', dont_inherit=True)
    except SyntaxError as exc:
        raise LoadError(_traceback.from_syntax_error(exc)) from None
    except ValueError as exc:  # e.g. null bytes in the source
        raise LoadError(_traceback.error('SyntaxError', str(exc), [
            {'file': path, 'line': 1, 'col': 1, 'name': '<module>', 'kind': 'module'}])) from None


class Loader:
    def __init__(self, memory_cache_size: int, fetch: FetchSource) -> None:
        # a servlet is a template plus a code module: room for both of MemoryCacheSize servlets
        self._cache = LRU(max(0, memory_cache_size) * 2)
        self._fetch = fetch

    def template(self, path: str, override: Optional[CompiledSource] = None) -> Template:
        if override is not None:
            return compile_template(override)
        st = os.stat(path)
        key = (st.st_mtime_ns, st.st_size)
        tpl = self._cache.get(path, key)
        if tpl is None:
            src, err = self._fetch(path)
            if src is None:
                raise LoadError(_traceback.from_located(err or {'file': path, 'message': 'no source'}))
            tpl = compile_template(src)
            self._cache.put(path, key, tpl)
        return tpl

    def module(self, path: str, override: Optional[str] = None) -> Optional[CodeType]:
        """The code object of ``path``, or None when there is no such file."""
        if override is not None:
            return compile_module(override, path)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        key = (st.st_mtime_ns, st.st_size)
        code = self._cache.get(path, key)
        if code is None:
            with open(path, 'rb') as f:
                code = compile_module(f.read(), path)
            self._cache.put(path, key, code)
        return code
