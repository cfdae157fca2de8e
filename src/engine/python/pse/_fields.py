"""Form values: ``PSEstr``, ``PSElist``, ``Upload`` and the ``FieldDict`` that holds them."""
from __future__ import annotations

import io
from typing import Any, BinaryIO, Iterable, List, Optional, Tuple, Union


class PSEstr(str):
    """A form value: a ``str`` that also answers ``.str`` (itself, as str) and ``.list``."""

    __slots__ = ()

    @property
    def str(self) -> str:
        return str.__str__(self)

    @property
    def list(self) -> List['PSEstr']:
        return [self]


class Upload:
    """An uploaded file: ``filename``, ``type`` (content type), ``file`` (open, binary), ``value``."""

    def __init__(self, filename: str, type: str, size: int, path: Optional[str] = None,
                 data: Optional[bytes] = None) -> None:
        self.filename = filename
        self.type = type
        self.size = size
        self._path = path
        self._data = data
        self._file: Optional[BinaryIO] = None

    @property
    def file(self) -> BinaryIO:
        # Opened on first use: most pages read only a few of the uploads they receive.
        if self._file is None:
            self._file = open(self._path, 'rb') if self._path is not None else io.BytesIO(self._data or b'')
        return self._file

    @property
    def value(self) -> bytes:
        if self._data is None:
            with open(self._path, 'rb') as f:  # type: ignore[arg-type]
                self._data = f.read()
        return self._data

    @property
    def str(self) -> 'Upload':
        return self

    @property
    def list(self) -> List['Upload']:
        return [self]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __repr__(self) -> str:
        return 'Upload(filename=%r, type=%r, size=%d)' % (self.filename, self.type, self.size)


Value = Union[PSEstr, Upload]


class PSElist(list):
    """The values of a repeated field; ``.str`` is the first one, ``.list`` the list itself."""

    @property
    def str(self) -> Any:
        return self[0] if self else ''

    @property
    def list(self) -> 'PSElist':
        return self


class FieldDict(dict):
    """Fields by name. A repeated field's value is a ``PSElist``; PSE-era code calls ``has_key``."""

    def has_key(self, name: str) -> bool:
        return name in self

    def getlist(self, name: str) -> List[Any]:
        value = self.get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, PSElist) else [value]

    def getfirst(self, name: str, default: Any = None) -> Any:
        values = self.getlist(name)
        return values[0] if values else default

    def close(self) -> None:
        for value in self.values():
            for v in (value if isinstance(value, PSElist) else [value]):
                if isinstance(v, Upload):
                    v.close()


def build(pairs: Iterable[Tuple[str, Value]], into: Optional[FieldDict] = None) -> FieldDict:
    fields = FieldDict() if into is None else into
    for name, value in pairs:
        old = fields.get(name)
        if old is None:
            fields[name] = value
        elif isinstance(old, PSElist):
            old.append(value)
        else:
            fields[name] = PSElist([old, value])
    return fields
