"""The worker's two pipes: frames in on fd 3, frames out on fd 4, and the job FIFO.

Only the main thread reads. Writes come from the main thread and the heartbeat thread, so they
are serialized by a lock and each frame is written whole.
"""
from __future__ import annotations

import errno
import os
import sys
import threading
from collections import deque
from typing import Deque, Sequence

from ._protocol import Frame, Header, encode, read_frame


class ChannelClosed(BaseException):
    """Node closed fd 3 or fd 4: nobody is listening any more, so the worker must end.

    A BaseException so that a servlet's ``except Exception`` cannot swallow it.
    """


class OutputClosed(ChannelClosed):
    """fd 4 is closed: the reader on the Node side is gone."""


class Channel:
    def __init__(self, rfd: int = 3, wfd: int = 4) -> None:
        self._in = os.fdopen(rfd, 'rb', buffering=1 << 16)
        self._wfd = wfd
        self._lock = threading.Lock()
        self._cid = 0
        #: jobs that arrived while a call waited for its reply, in arrival order
        self.jobs: Deque[Frame] = deque()

    def send(self, header: Header, blobs: Sequence[bytes] = ()) -> None:
        self.send_frame(encode(header, blobs))

    def send_frame(self, frame: bytes) -> None:
        """Write one encoded frame whole (other threads' frames never interleave)."""
        data = memoryview(frame)
        with self._lock:
            try:
                while data:
                    n = os.write(self._wfd, data)
                    data = data[n:]
            except OSError as exc:
                if exc.errno in (errno.EPIPE, errno.EBADF):
                    raise OutputClosed('fd %d closed: %s' % (self._wfd, exc)) from None
                raise

    def read(self) -> Frame:
        frame = read_frame(self._in)
        if frame is None:
            raise ChannelClosed('fd 3 reached end of file')
        return frame

    def next_job(self) -> Frame:
        """The oldest buffered job, else the next frame from Node."""
        if self.jobs:
            return self.jobs.popleft()
        return self.read()

    def call(self, job: int, op: str, fields: Header, blobs: Sequence[bytes] = ()) -> Frame:
        """Ask Node something and wait for the answer; jobs arriving meanwhile are queued."""
        self._cid += 1
        cid = self._cid
        header: Header = {'t': 'call', 'cid': cid, 'job': job, 'op': op}
        header.update(fields)
        self.send(header, blobs)
        while True:
            frame = self.read()
            head = frame[0]
            if head.get('t') == 'reply':
                if head.get('to') == cid:
                    return frame
                print('pse worker: ignored a reply to call %r while waiting for call %d' % (head.get('to'), cid),
                      file=sys.stderr)
                continue
            self.jobs.append(frame)

    def log(self, level: str, msg: str, job: 'int | None' = None) -> None:
        header: Header = {'t': 'log', 'level': level, 'msg': msg}
        if job is not None:
            header['job'] = job
        self.send(header)

