"""``Markup``: text that is already HTML, so output escaping leaves it alone."""
from __future__ import annotations

from typing import Any


class Markup(str):
    """A ``str`` that is safe HTML. ``<?= ?>`` and ``="expr"`` attributes write it unescaped."""

    __slots__ = ()

    def __html__(self) -> 'Markup':
        return self

    def __repr__(self) -> str:
        return 'Markup(%s)' % str.__repr__(self)

    @classmethod
    def escape(cls, value: Any) -> 'Markup':
        return escape(value)


def escape(value: Any) -> Markup:
    """HTML-escape ``str(value)`` (``& < > " '``), unless it already is ``Markup``."""
    if isinstance(value, Markup):
        return value
    return Markup(escape_text(value if type(value) is str else str(value)))


def escape_text(text: str) -> str:
    """``html.escape(text)``, without importing ``html`` (its entity table costs every worker
    start a few ms)."""
    return (text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('"', '&quot;').replace("'", '&#x27;'))
