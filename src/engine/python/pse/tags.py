"""Custom tags (docs/language.md, Custom tags): classes derived from ``CustomTag``, registered from ``[Main] TagModules``."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple


class CustomTag:
    """Base class of a custom tag ``<Name attr="…">…</Name>``.

    The engine constructs it with the tag's attributes as keyword arguments (``id`` among them),
    passes the markup inside it to :meth:`addString` and nested custom tags to :meth:`add`, and
    writes ``str(obj)`` when an outermost tag closes. The default renders its children unchanged;
    subclasses override what they need.

    The signature is PSE 3's, so tag modules written for it run unchanged: a subclass may take
    its own arguments and call ``CustomTag.__init__(self, id, **kw)``. The children are kept in
    ``self._contents`` (PSE 3's name; ``self.content`` is the same list), the tag's ``id`` in
    ``self.id``, and every attribute, ``id`` included when given, in ``self.attrs``.
    """

    def __init__(self, id: Optional[str] = None, *args: Any, **kw: Any) -> None:
        self.id = id
        self.args: Tuple[Any, ...] = args
        self.attrs: Dict[str, Any] = kw if id is None else {'id': id, **kw}
        self._contents: List[Any] = []

    @property
    def content(self) -> List[Any]:
        return self._contents

    @content.setter
    def content(self, value: List[Any]) -> None:
        self._contents = value

    def addString(self, text: str) -> None:
        self._contents.append(text)

    def add(self, child: Any) -> None:
        self._contents.append(child)

    def __str__(self) -> str:
        return ''.join(str(part) for part in self._contents)
