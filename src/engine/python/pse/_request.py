"""``PluginRequest``: what plugins get as ``req`` in ``initialize(mod, req)`` / ``finalize``."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ._channel import Channel
from ._protocol import Frame, Header, SessionOut


class PluginRequest:
    """One request as plugins see it.

    ``job`` is the ``req`` message header; ``blob(i)`` its binary parts; ``dry`` marks a Studio
    dry run; ``call(op, fields, blobs)`` asks Node synchronously and returns the reply frame
    ``(header, blobs)`` whatever its ``ok``; ``session_out`` is set by the session plugin's
    ``finalize`` (see ``_protocol`` for the blob numbering), and ``session_after``.
    """

    def __init__(self, job: Header, blobs: List[bytes], channel: Channel, worker: int,
                 config: Dict[str, Any], app_root: str) -> None:
        self.job = job
        self.blobs = blobs
        self.dry = bool(job.get('dry'))
        self.worker = worker
        self.config = config
        self.app_root = app_root
        self.session_out: Optional[Tuple[SessionOut, List[bytes]]] = None
        #: the session as Node will hold it after this request (on success, on failure), set by
        #: the session plugin's ``finalize`` (see ``_session_after``)
        self.session_after: Optional[Tuple[Any, Any]] = None
        #: save() calls Node committed
        self.saves = 0
        self._channel = channel

    @property
    def id(self) -> int:
        return int(self.job['id'])

    def blob(self, index: int) -> bytes:
        try:
            return self.blobs[index]
        except (IndexError, TypeError):
            raise IndexError('request %s has no blob %r (it carries %d)' % (self.id, index, len(self.blobs))) from None

    def call(self, op: str, fields: Header, blobs: Sequence[bytes] = ()) -> Frame:
        reply = self._channel.call(self.id, op, fields, blobs)
        if op == 'save' and reply[0].get('ok'):
            self.saves += 1
        return reply

    def log(self, level: str, msg: str) -> None:
        self._channel.log(level, msg, self.id)
