"""What compiled templates call: the ``__pse_*__`` helpers, bound into each servlet namespace.

Contract with the template compiler (src/engine/template/codegen): generated code runs at
module level in the servlet namespace and calls only

* ``__pse_out__(text)`` — write (inside an open custom tag: to the tag's ``addString``);
* ``__pse_str__(value) -> str`` — text of ``<?= ?>`` (escaped when AutoEscape is on);
* ``__pse_attr__(name, value) -> str`` — `` name="value"`` (value escaped, as ``<?= ?>``, when
  AutoEscape is on and it is not Markup);
* ``__pse_battr__(name, cond) -> str`` — `` name`` when cond is true, else ``''``;
* ``__pse_tag_open__(name, attrs, empty)`` / ``__pse_tag_close__(name)`` — custom tags.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from ._markup import Markup, escape_text


class TagNestingError(Exception):
    """Custom tags closed in the wrong order at run time."""


class Output:
    """Where a servlet's text goes: the response buffer or a ``pse.call`` capture.

    It is ``sys.stdout`` while the servlet runs, so ``print()`` writes here too. ``tags`` is the
    stack of open custom tags ``(name, obj)``: while one is open, text goes to its ``addString``.
    """

    encoding = 'utf-8'
    errors = 'strict'

    def __init__(self, limit: int = 0, on_full: Optional[Callable[[], None]] = None) -> None:
        self.parts: List[str] = []
        self.tags: List[Tuple[str, Any]] = []
        self.size = 0
        self._limit = limit
        self._on_full = on_full

    def writer(self) -> Callable[[str], Any]:
        """What generated code writes with while no custom tag is open: the buffer's own append
        when nothing is counted (generated code writes only str), else :meth:`write`."""
        return self.write if self._limit else self.parts.append

    def release(self) -> None:
        """At the end of the request: drop the callback, so no reference cycle outlives it."""
        self._on_full = None

    def write(self, text: str) -> int:
        if type(text) is not str and not isinstance(text, str):
            raise TypeError('page output must be str, not %s (write bytes as text, e.g. .decode())'
                            % type(text).__name__)
        if self.tags:
            self.tags[-1][1].addString(text)
        else:
            self.parts.append(text)
            if self._limit:
                self.size += len(text)
                if self.size > self._limit and self._on_full is not None:
                    self._on_full()
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def take(self) -> str:
        text = ''.join(self.parts)
        self.parts.clear()
        self.size = 0
        return text

    def flush(self) -> None:
        """File protocol (``print(flush=True)``); streaming is ``pse.flush()``'s job."""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False


def text_escaped(value: Any) -> str:
    if type(value) is not str:
        if isinstance(value, Markup):
            return value
        value = str(value)
    # escape_text(value) inlined: this runs for every <?= ?> of every page
    return (value.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('"', '&quot;').replace("'", '&#x27;'))


def text_raw(value: Any) -> str:
    return value if type(value) is str else str(value)


def attr(name: str, value: Any) -> str:
    if not isinstance(value, Markup):
        value = escape_text(value if type(value) is str else str(value))
    return ' %s="%s"' % (name, value)


def attr_raw(name: str, value: Any) -> str:
    return ' %s="%s"' % (name, value if type(value) is str else str(value))


def battr(name: str, cond: Any) -> str:
    return ' ' + name if cond else ''


class Scope:
    """A servlet namespace bound to an output: owns the ``__pse_*__`` helpers placed in it."""

    def __init__(self, ns: Dict[str, Any], out: Output, auto_escape: bool, tags: Dict[str, type]) -> None:
        self.ns = ns
        self.out = out
        self._tags = tags
        ns['__pse_out__'] = out.writer()
        ns['__pse_str__'] = text_escaped if auto_escape else text_raw
        ns['__pse_attr__'] = attr if auto_escape else attr_raw
        ns['__pse_battr__'] = battr
        ns['__pse_tag_open__'] = self.tag_open
        ns['__pse_tag_close__'] = self.tag_close

    def release(self) -> None:
        """At the end of the request: the namespace keeps its helpers, but they no longer keep it
        (a cycle ns → tag_open → Scope → ns would wait for the garbage collector)."""
        self.ns = None  # type: ignore[assignment]

    def tag_open(self, name: str, attrs: Dict[str, Any], empty: bool = False) -> None:
        if self.ns is None:
            raise RuntimeError('<%s>: custom tags are written only while their servlet runs' % name)
        obj = None
        ident = attrs.get('id')
        if isinstance(ident, str):
            obj = self.ns.get(ident)
        if obj is None:
            cls = self._tags.get(name)
            if cls is None:
                raise NameError('<%s> is not a custom tag: no CustomTag class %r in [Main] TagModules (known: %s)'
                                % (name, name, ', '.join(sorted(self._tags)) or 'none'))
            obj = cls(**attrs)
        self.out.tags.append((name, obj))
        self.ns['__pse_out__'] = self.out.write  # text goes to the tag's addString now
        if empty:
            self.tag_close(name)

    def tag_close(self, name: str) -> None:
        stack = self.out.tags
        if not stack:
            raise TagNestingError('</%s> closes no open custom tag' % name)
        top, obj = stack[-1]
        if top != name:
            raise TagNestingError('</%s> closes <%s>, which is still open' % (name, top))
        stack.pop()
        if stack:
            stack[-1][1].add(obj)
        else:
            self.ns['__pse_out__'] = self.out.writer()
            self.out.write(str(obj))

    def check_closed(self) -> None:
        if self.out.tags:
            names = ', '.join('<%s>' % n for n, _ in self.out.tags)
            self.out.tags.clear()
            raise TagNestingError('custom tag %s still open at the end of the servlet' % names)
