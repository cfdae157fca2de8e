"""Servlet errors as data: tracebacks mapped to template lines, helper frames left out.

A frame of a compiled template is named by its ``.pt`` file, line and column (the line map's
last entry at or before the Python line); code-module frames keep their own lines; frames in
the ``pse`` package itself are skipped, so the innermost frame shown is the user's line.
"""
from __future__ import annotations

import bisect
import linecache
import os
import re
from types import CodeType, TracebackType
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ._protocol import LineMapEntry, LocatedError, ServletError, TraceFrame

PSE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class Template:
    """A compiled template: code object plus the line map back to the ``.pt``."""

    __slots__ = ('code', 'file', '_given', '_map', '_keys')

    def __init__(self, code: CodeType, file: str,
                 linemap: 'str | Sequence[Sequence[int]]') -> None:
        self.code = code
        self.file = file
        # Parsed when a position is first asked for: most templates never raise, and the
        # server's text form of a large template's map is tens of thousands of entries.
        self._given: 'str | Sequence[Sequence[int]] | None' = linemap
        self._map: List[LineMapEntry] = []
        self._keys: List[int] = []

    @property
    def map(self) -> List[LineMapEntry]:
        """The entries (python line, template line, template column), sorted."""
        if self._given is not None:
            self._map = _entries(self._given)
            self._keys = [e[0] for e in self._map]
            self._given = None
        return self._map

    def position(self, py_line: int) -> Tuple[int, int]:
        """Template (line, col) of a generated line: the last entry at or before it."""
        entries = self.map
        i = bisect.bisect_right(self._keys, py_line) - 1
        if i < 0:
            return (entries[0][1], entries[0][2]) if entries else (1, 1)
        return entries[i][1], entries[i][2]


_NUMBER = re.compile(r'\d+')


def _entries(linemap: 'str | Sequence[Sequence[int]]') -> List[LineMapEntry]:
    """The map's entries, sorted, from either form ``CompiledSource.map`` takes."""
    if isinstance(linemap, str):
        # '((1,1,1),(2,1,5),...)': its numbers, three to an entry.
        numbers = iter([int(n) for n in _NUMBER.findall(linemap)])
        return sorted(zip(numbers, numbers, numbers))
    return sorted((int(e[0]), int(e[1]), int(e[2])) for e in linemap)


def type_name(exc: BaseException) -> str:
    cls = type(exc)
    if cls.__module__ in ('builtins', '__main__', None):
        return cls.__qualname__
    return '%s.%s' % (cls.__module__, cls.__qualname__)


def _source(file: str, line: int) -> Optional[str]:
    linecache.checkcache(file)
    text = linecache.getline(file, line)
    return text.strip() or None


def _column(tb: TracebackType) -> Optional[int]:
    positions = getattr(tb.tb_frame.f_code, 'co_positions', None)  # Python >= 3.11
    if positions is None or tb.tb_lasti < 0:
        return None
    try:
        col = list(positions())[tb.tb_lasti // 2][2]
    except (IndexError, TypeError):
        return None
    return None if col is None else col + 1


def frames_of(tb: Optional[TracebackType], templates: Dict[str, Template],
              modules: Callable[[str], bool]) -> List[TraceFrame]:
    frames: List[TraceFrame] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        file = code.co_filename
        if not file.startswith(PSE_DIR):
            tpl = templates.get(file)
            frame: TraceFrame
            if tpl is not None:
                line, col = tpl.position(tb.tb_lineno)
                name = '<template>' if code.co_name == '<module>' else code.co_name
                frame = {'file': tpl.file, 'line': line, 'col': col, 'name': name, 'kind': 'template'}
            else:
                frame = {'file': file, 'line': tb.tb_lineno, 'name': code.co_name,
                         'kind': 'module' if modules(file) else 'other'}
                col = _column(tb)
                if col is not None:
                    frame['col'] = col
            src = _source(frame['file'], frame['line'])
            if src is not None:
                frame['source'] = src
            frames.append(frame)
        tb = tb.tb_next
    return frames


def format_text(type_: str, message: str, frames: Sequence[TraceFrame]) -> str:
    lines = ['Traceback (most recent call last):']
    for f in frames:
        where = '  File "%s", line %d' % (f['file'], f['line'])
        if f.get('col'):
            where += ', col %d' % f['col']
        lines.append('%s, in %s' % (where, f['name']))
        if f.get('source'):
            lines.append('    ' + f['source'])
    lines.append('%s: %s' % (type_, message) if message else type_)
    return '\n'.join(lines) + '\n'


def error(type_: str, message: str, frames: List[TraceFrame]) -> ServletError:
    return {'type': type_, 'message': message, 'frames': frames, 'text': format_text(type_, message, frames)}


_CAUSE = '\nThe above exception was the direct cause of the following exception:\n\n'
_CONTEXT = '\nDuring handling of the above exception, another exception occurred:\n\n'


def _single(exc: BaseException, templates: Dict[str, Template], modules: Callable[[str], bool]) -> ServletError:
    frames = frames_of(exc.__traceback__, templates, modules)
    if isinstance(exc, SyntaxError) and exc.filename:
        # a SyntaxError raised by an import or exec is located by its own fields, not by a frame
        frames.append(syntax_frame(exc, templates.get(exc.filename)))
        return error(type_name(exc), str(exc.msg), frames)
    return error(type_name(exc), str(exc), frames)


def from_exception(exc: BaseException, templates: Dict[str, Template],
                   modules: Callable[[str], bool]) -> ServletError:
    """The error of ``exc``; its ``text`` also shows the exceptions it was raised from."""
    err = _single(exc, templates, modules)
    seen = {id(exc)}
    cur = exc
    while True:
        if cur.__cause__ is not None:
            prev, sep = cur.__cause__, _CAUSE
        elif cur.__context__ is not None and not cur.__suppress_context__:
            prev, sep = cur.__context__, _CONTEXT
        else:
            break
        if id(prev) in seen:
            break
        seen.add(id(prev))
        err['text'] = _single(prev, templates, modules)['text'] + sep + err['text']
        cur = prev
    return err


def syntax_frame(exc: SyntaxError, tpl: Optional[Template]) -> TraceFrame:
    file = exc.filename or '<unknown>'
    line, col = exc.lineno or 1, exc.offset or 1
    if tpl is not None:
        line, col = tpl.position(line)
        frame: TraceFrame = {'file': tpl.file, 'line': line, 'col': col, 'name': '<template>', 'kind': 'template'}
        src = _source(tpl.file, line)
    else:
        frame = {'file': file, 'line': line, 'col': col, 'name': '<module>', 'kind': 'module'}
        src = (exc.text or '').strip() or _source(file, line)
    if src:
        frame['source'] = src
    return frame


def from_syntax_error(exc: SyntaxError, tpl: Optional[Template] = None) -> ServletError:
    return error('SyntaxError', str(exc.msg), [syntax_frame(exc, tpl)])


def from_located(err: Dict[str, Any]) -> ServletError:
    """A compile error Node reported for a template (a ``LocatedError``)."""
    located: LocatedError = err  # type: ignore[assignment]
    frame: TraceFrame = {'file': str(located.get('file', '')), 'line': int(located.get('line') or 1),
                         'col': int(located.get('col') or 1), 'name': '<template>', 'kind': 'template'}
    if located.get('excerpt'):
        frame['source'] = str(located['excerpt']).strip()
    stage = located.get('stage')
    type_ = 'TemplateError' if stage in (None, 'lex', 'parse', 'codegen') else \
        'SyntaxError' if stage == 'python' else 'TemplateError'
    return error(type_, str(located.get('message', 'template error')), [frame])
