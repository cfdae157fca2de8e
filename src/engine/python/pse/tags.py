"""Custom tags (docs/language.md, Custom tags): classes derived from ``CustomTag``, registered from ``[Main] TagModules``."""
from __future__ import annotations

from typing import Any, List, Union


class CustomTag:
    """Base class of a custom tag ``<Name attr="…">…</Name>``.

    The engine constructs it with the tag's attributes as keyword arguments, passes the markup
    inside it to :meth:`addString` and nested custom tags to :meth:`add`, and writes ``str(obj)``
    when an outermost tag closes. The default keeps the attributes in ``self.attrs`` and renders
    its content unchanged; subclasses override what they need.
    """

    def __init__(self, **attrs: Any) -> None:
        self.attrs = attrs
        self.content: List[Union[str, 'CustomTag', Any]] = []

    def addString(self, text: str) -> None:
        self.content.append(text)

    def add(self, child: Any) -> None:
        self.content.append(child)

    def __str__(self) -> str:
        return ''.join(str(part) for part in self.content)
