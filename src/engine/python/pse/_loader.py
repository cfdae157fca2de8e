"""Compiled servlets: code objects cached per worker, keyed by (path, mtime_ns, size).

Templates are compiled by Node (``call source``) and only turned into code objects here; code
modules (``.py``) are read and compiled here. Preview overrides are compiled every time.
"""
from __future__ import annotations

import errno
import os
import stat as _stat
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


class FileStates:
    """``os.stat`` of servlet files, taken once per batch of jobs the worker reads together.

    A batch is what one ``read`` of fd 3 brought in (``batch()`` changes with every read). Every
    request of a batch reached Node before that read, and the stat follows the read, so a file
    changed before a request arrived is still seen by it; a request sent after another one's
    answer always comes in a later batch. Two stats per request were 30 % of the worker's own
    CPU time on a small page (a syscall costs 1-3 us on a virtual machine).
    """

    def __init__(self, batch: Callable[[], int]) -> None:
        self._batch = batch
        self._seen = -1
        self._states: Dict[str, Optional[Tuple[int, int, int]]] = {}

    def _get(self, path: str) -> Optional[Tuple[int, int, int]]:
        """(st_mode, st_mtime_ns, st_size), or None when there is no such file."""
        batch = self._batch()
        if batch != self._seen:
            self._states.clear()
            self._seen = batch
        try:
            return self._states[path]
        except KeyError:
            pass
        try:
            st = os.stat(path)
            state: Optional[Tuple[int, int, int]] = (st.st_mode, st.st_mtime_ns, st.st_size)
        except (FileNotFoundError, NotADirectoryError):
            state = None
        self._states[path] = state
        return state

    def key(self, path: str) -> Tuple[int, int]:
        """(mtime_ns, size) of a file; FileNotFoundError (naming it) when it is missing."""
        state = self._get(path)
        if state is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        return state[1], state[2]

    def isfile(self, path: str) -> bool:
        state = self._get(path)
        return state is not None and _stat.S_ISREG(state[0])


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
    def __init__(self, memory_cache_size: int, fetch: FetchSource, files: FileStates) -> None:
        # a servlet is a template plus a code module: room for both of MemoryCacheSize servlets
        self._cache = LRU(max(0, memory_cache_size) * 2)
        self._fetch = fetch
        self.files = files

    def template(self, path: str, override: Optional[CompiledSource] = None) -> Template:
        if override is not None:
            return compile_template(override)
        key = self.files.key(path)
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
            key = self.files.key(path)
        except FileNotFoundError:
            return None
        code = self._cache.get(path, key)
        if code is None:
            with open(path, 'rb') as f:
                code = compile_module(f.read(), path)
            self._cache.put(path, key, code)
        return code
