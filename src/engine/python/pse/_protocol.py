"""The worker protocol, Python side: framing and message shapes.

Mirrors ``src/engine/runtime/protocol.ts`` — change both together. The TypedDicts below are
documentation for readers and type checkers; at run time messages are plain dicts.

Framing: ``u32le N`` then N bytes: ``u32le H``, H bytes of UTF-8 JSON (the header), then the
blobs concatenated. ``header["b"]`` lists the blob lengths (absent = no blobs). A field typed
``Blob`` holds an index into the blobs of the frame that carries the header.

The session hook (``pse/plugins/session.py`` ↔ the worker):

* ``req.session_out`` is set by the session plugin's ``finalize`` to
  ``(out, pickles)``: ``out`` is a ``SessionOut`` dict whose ``changed`` values index
  ``pickles`` (0-based, in the plugin's own list). The worker sends the ``res`` frame with
  blobs ``[body, *pickles]``, so it rewrites every ``changed`` index ``i`` as ``i + 1``
  (:func:`wire_session`, which also leaves out the fields at their defaults). Nothing else in
  ``SessionOut`` holds a blob index.
* ``req.call('save', {'session': wire_session(out, 0)}, pickles)`` sends a ``call`` frame whose
  blobs are exactly ``pickles``, so there the plugin's indices are used unchanged.
* ``req.session_after`` is the session as Node will hold it after the request (on success, on
  failure); a ``req`` with ``after`` (and ``deadline``) runs from the one its job left
  (``_session_after``), or is answered ``refused`` unstarted.
"""
from __future__ import annotations

import json
import struct
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Sequence, Tuple

try:  # Python >= 3.8
    from typing import Literal, TypedDict
except ImportError:  # pragma: no cover
    from typing_extensions import Literal, TypedDict  # type: ignore

EXIT_BOOT_FAILED = 3
EXIT_PARENT_GONE = 4

#: A frame larger than this is garbage, not data (Node caps bodies far below it).
MAX_FRAME = 1 << 30

_U32 = struct.Struct('<I')
_TWO_U32 = struct.Struct('<II')  # a frame's length, then its header's

Blob = int
Header = Dict[str, Any]
Frame = Tuple[Header, List[bytes]]
LineMapEntry = Tuple[int, int, int]  # (python line, template line, template column), 1-based


class ProtocolError(Exception):
    """A frame that does not follow the framing rules (truncated, oversize, bad JSON)."""


# ------------------------------------------------------------------ message shapes (docs)

class LocatedError(TypedDict, total=False):
    stage: Literal['config', 'lex', 'parse', 'codegen', 'python', 'runtime']
    file: str
    line: int
    col: int
    message: str
    excerpt: str


class CompiledSource(TypedDict):
    py: str
    # Either the entries, or (what the server sends) their text as the generated module assigns
    # it to ``__pse_linemap__``: ``'((py line,template line,template column),...)'``, a slice
    # of the module that ``Template`` parses only when it first needs a position.
    map: str | List[LineMapEntry]
    file: str


class TraceFrame(TypedDict, total=False):
    file: str
    line: int
    col: int
    name: str
    source: str
    kind: Literal['template', 'module', 'other']


class ServletError(TypedDict, total=False):
    type: str
    message: str
    frames: List[TraceFrame]
    text: str
    html: str


class SessionOut(TypedDict, total=False):
    # On the wire (wire_session) every field but ``id`` is left out at its default: ``created``
    # false, ``changed`` / ``previews`` / ``deleted`` empty.
    id: str
    created: bool
    changed: Dict[str, Blob]
    #: the namespaces that changed (on success), or every one loaded (a failure's report)
    previews: Dict[str, Any]
    deleted: List[str]
    regenerated: str
    invalidated: bool
    #: while journaled: namespace → key → [file, line] of the write (template lines mapped)
    writes: Dict[str, Dict[str, Any]]


class ResMsg(TypedDict, total=False):
    t: Literal['res']
    id: int
    status: int
    headers: List[Tuple[str, str]]
    body: Blob
    #: sent only when true
    streamed: bool
    cacheUntil: float
    session: SessionOut
    error: ServletError
    #: save() calls that committed; sent only when there were some
    saves: int
    #: while journaled: whole microseconds of the code module, the template and the whole run in
    #: the worker (integers: a float's repr costs more than the rest of the timing)
    timing: List[int]
    #: while journaled: the servlet's namespace at the end ({'value': preview, 'capped'})
    scope: Dict[str, Any]
    #: a ``req`` sent ``after`` another job that this worker did not start (``_session_after``)
    refused: bool


# ------------------------------------------------------------------ framing

def _json_encoder() -> Callable[[Any], str]:
    """Compact UTF-8 JSON text of a frame header.

    One encoder serves every frame: ``json.dumps`` with options builds a ``JSONEncoder`` per
    call, and ``JSONEncoder.encode`` builds its C encoder per call (a third of the cost of a
    small header). The C encoder is made here without the cycle check: headers are made by the
    worker, and a cyclic value would fail its request with RecursionError, not ValueError.
    """
    encoder = json.JSONEncoder(separators=(',', ':'), ensure_ascii=False)
    if c_make_encoder is None:  # an interpreter without the _json accelerator
        return encoder.encode
    chunks = c_make_encoder(None, encoder.default, encode_basestring, None, ':', ',', False, False, True)
    return lambda header: ''.join(chunks(header, 0))


_encode_json = _json_encoder()
_decoder = json.JSONDecoder()
_scan_json = _decoder.scan_once


def _decode_header(text: str) -> Any:
    """``json.loads(text)``, minus the two whitespace regex matches around the value that
    Node's JSON, which has no whitespace, never needs."""
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:
        end = -1
    if end != len(text):
        return _decoder.decode(text)  # whitespace around the value, or not JSON: it says which
    return value


def encode(header: Header, blobs: Sequence[bytes] = ()) -> bytes:
    """One frame as bytes, ready for a single write."""
    if blobs:
        lengths = header['b'] = list(map(len, blobs))
        head = _encode_json(header).encode('utf-8')
        return b''.join((_TWO_U32.pack(4 + len(head) + sum(lengths), len(head)), head, *blobs))
    head = _encode_json(header).encode('utf-8')
    return _TWO_U32.pack(4 + len(head), len(head)) + head


def decode(payload: bytes) -> Frame:
    """Split a frame's payload (the N bytes after the length) into header and blobs."""
    return decode_at(payload, 0, len(payload))


def decode_at(buf: bytes, start: int, end: int) -> Frame:
    """:func:`decode` of ``buf[start:end]``, without copying the payload out of the read buffer."""
    size = end - start
    if size < 4:
        raise ProtocolError('frame of %d bytes has no header length' % size)
    (hlen,) = _U32.unpack_from(buf, start)
    pos = start + 4 + hlen
    if pos > end:
        raise ProtocolError('header length %d exceeds the frame (%d bytes)' % (hlen, size))
    view = memoryview(buf)
    try:
        header = _decode_header(str(view[start + 4:pos], 'utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError('frame header is not UTF-8 JSON: %s' % exc) from None
    if type(header) is not dict:
        raise ProtocolError('frame header is a JSON %s, not an object' % type(header).__name__)
    lengths = header.get('b')
    blobs: List[bytes] = []
    if lengths:
        for n in lengths:
            if not isinstance(n, int) or n < 0 or pos + n > end:
                raise ProtocolError('blob lengths %r do not fit the frame (%d bytes)' % (lengths, size))
            blobs.append(bytes(view[pos:pos + n]))
            pos += n
    if pos != end:
        raise ProtocolError('%d stray bytes after the blobs of a %r frame' % (end - pos, header.get('t')))
    return header, blobs


def read_exact(stream: BinaryIO, n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) != n:
        got = 0 if not data else len(data)
        raise EOFError('pipe closed after %d of %d bytes' % (got, n))
    return data


def read_frame(stream: BinaryIO) -> Optional[Frame]:
    """The next frame, or None on a clean end of stream (at a frame boundary)."""
    first = stream.read(4)
    if not first:
        return None
    if len(first) < 4:
        raise ProtocolError('pipe closed inside a frame length')
    (size,) = _U32.unpack(first)
    if size > MAX_FRAME:
        raise ProtocolError('frame of %d bytes exceeds the %d byte limit' % (size, MAX_FRAME))
    try:
        payload = read_exact(stream, size)
    except EOFError as exc:
        raise ProtocolError(str(exc)) from None
    return decode(payload)


# ------------------------------------------------------------------ session blobs

def wire_session(out: SessionOut, offset: int) -> SessionOut:
    """``out`` as a frame carries it: ``changed`` blob indices shifted by ``offset``, and the
    fields that say nothing left out (``created`` false, no ``changed``, ``previews`` or
    ``deleted``). Node reads an absent field as that default. A session read sends its id only,
    and each side encodes and parses a third of the bytes it did."""
    wire: SessionOut = {'id': out['id']}
    if out.get('created'):
        wire['created'] = True
    changed = out.get('changed')
    if changed:
        wire['changed'] = {name: int(i) + offset for name, i in changed.items()}
    for name in ('previews', 'deleted'):
        value = out.get(name)
        if value:
            wire[name] = value  # type: ignore[literal-required]
    for name in ('regenerated', 'invalidated', 'writes'):
        if name in out:
            wire[name] = out[name]  # type: ignore[literal-required]
    return wire
