"""The worker's two pipes: frames in on fd 3, frames out on fd 4, and the job FIFO.

Only the main thread reads. Writes come from the main thread and the heartbeat thread, so they
are serialized by a lock and each frame is written whole.

Input is read with ``os.read`` into the channel's own buffer, and every complete frame in it is
parsed from there: a burst of jobs Node wrote in one ``writev`` costs one ``read``. A reply can
be *held* (:meth:`Channel.hold`) while the next job is already here (:meth:`Channel.peek`); held
replies leave together with the next frame written, in one ``write``. The channel never blocks on
input with replies held, so a lone request is answered at once; any other frame (a call, a chunk,
a log line, a beat) writes the held replies before itself, so frames leave in the order they
were made.
"""
from __future__ import annotations

import errno
import os
import sys
import threading
from collections import deque
from typing import Deque, List, Optional, Sequence

from ._protocol import _U32, MAX_FRAME, Frame, Header, ProtocolError, decode_at, encode

#: Input is read in pieces of at least this size (a bigger frame is read to its end at once).
READ_SIZE = 1 << 16
#: Held replies are written anyway once there are this many, or this many bytes of them.
HOLD_FRAMES = 8
HOLD_BYTES = 1 << 16


class ChannelClosed(BaseException):
    """Node closed fd 3 or fd 4: nobody is listening any more, so the worker must end.

    A BaseException so that a servlet's ``except Exception`` cannot swallow it.
    """


class OutputClosed(ChannelClosed):
    """fd 4 is closed: the reader on the Node side is gone."""


class Channel:
    def __init__(self, rfd: int = 3, wfd: int = 4) -> None:
        os.fstat(rfd)  # fd 3 must be open (raises OSError, as opening it as a file did)
        self._rfd = rfd
        self._wfd = wfd
        #: bytes read from fd 3; ``_pos`` is where the next unparsed frame starts
        self._buf = b''
        self._pos = 0
        self._lock = threading.Lock()
        #: encoded replies kept back to leave with the next write (see hold())
        self._held: List[bytes] = []
        self._held_bytes = 0
        #: set (under the lock) when a reply is held; the heartbeat thread then writes what is
        #: still held a moment later (flush_late), so a job that turns out slow cannot keep an
        #: earlier reply back. Only that thread clears it, so the hot path never touches it twice.
        self.holding = threading.Event()
        self._cid = 0
        #: jobs that arrived while a call waited for its reply, in arrival order
        self.jobs: Deque[Frame] = deque()

    # ------------------------------------------------------------------ output

    def send(self, header: Header, blobs: Sequence[bytes] = ()) -> None:
        self.send_frame(encode(header, blobs))

    def send_frame(self, frame: bytes) -> None:
        """Write one encoded frame whole, after any held replies (other threads' frames never interleave)."""
        with self._lock:
            if self._held:
                self._held.append(frame)
                frame = self._take_held()
            self._write(frame)

    def hold(self, frame: bytes) -> None:
        """Keep a reply back to write it with the next frame: only while the next job is here
        (:meth:`peek`), as the channel writes held replies before it waits for input anyway."""
        with self._lock:
            self._held.append(frame)
            self._held_bytes += len(frame)
            if len(self._held) >= HOLD_FRAMES or self._held_bytes >= HOLD_BYTES:
                self._write(self._take_held())
            elif not self.holding.is_set():
                self.holding.set()

    def flush(self) -> None:
        """Write the held replies now."""
        with self._lock:
            if self._held:
                self._write(self._take_held())

    def flush_late(self) -> None:
        """From the heartbeat thread, a moment after ``holding`` was set: write what is still held
        (the job it waits for is taking long), or note that nothing is held any more."""
        with self._lock:
            if self._held:
                self._write(self._take_held())
            else:
                self.holding.clear()

    def _take_held(self) -> bytes:
        data = b''.join(self._held)
        self._held.clear()
        self._held_bytes = 0
        return data

    def _write(self, frame: bytes) -> None:
        # caller holds the lock
        try:
            n = os.write(self._wfd, frame)
            if n < len(frame):  # a pipe takes big writes in pieces
                data = memoryview(frame)[n:]
                while data:
                    data = data[os.write(self._wfd, data):]
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.EBADF):
                raise OutputClosed('fd %d closed: %s' % (self._wfd, exc)) from None
            raise

    # ------------------------------------------------------------------ input

    def buffered(self) -> bool:
        """True when the next frame is already here, so that reading it will not block."""
        if self.jobs:
            return True
        avail = len(self._buf) - self._pos
        if avail < 4:
            return False
        (size,) = _U32.unpack_from(self._buf, self._pos)
        # an oversize length counts as here: read() reports it without waiting
        return avail - 4 >= size or size > MAX_FRAME

    def peek(self) -> Optional[Header]:
        """The header of the next job when it is already here (it is read, and queued), else None."""
        if not self.jobs:
            if not self.buffered():
                return None
            self.jobs.append(self.read())
        return self.jobs[0][0]

    def read(self) -> Frame:
        """The next frame from fd 3 (ChannelClosed at its end, ProtocolError for a broken frame)."""
        try:
            return self._next_frame()
        except ProtocolError:
            self.flush()  # the worker ends on a broken frame: the replies it has are still good
            raise

    def _next_frame(self) -> Frame:
        avail = len(self._buf) - self._pos
        if avail < 4:
            self._fill(4)
            avail = len(self._buf) - self._pos
        (size,) = _U32.unpack_from(self._buf, self._pos)
        if size > MAX_FRAME:
            raise ProtocolError('frame of %d bytes exceeds the %d byte limit' % (size, MAX_FRAME))
        if avail - 4 < size:
            self._fill(4 + size)
        start = self._pos + 4
        self._pos = end = start + size
        return decode_at(self._buf, start, end)

    def _fill(self, need: int) -> None:
        """Read until ``need`` bytes from the read position are buffered."""
        self.flush()  # never wait for input while replies are held back
        rest = self._buf[self._pos:] if self._pos < len(self._buf) else b''
        parts = [rest]
        have = len(rest)
        while have < need:
            chunk = os.read(self._rfd, max(READ_SIZE, need - have))
            if not chunk:
                self._buf, self._pos = b''.join(parts), 0
                if have == 0:
                    raise ChannelClosed('fd 3 reached end of file')
                if need == 4:
                    raise ProtocolError('pipe closed inside a frame length')
                raise ProtocolError('pipe closed after %d of %d bytes' % (have - 4, need - 4))
            parts.append(chunk)
            have += len(chunk)
        # one part (the common case: the previous read was used up) is kept without a copy
        self._buf = parts[1] if len(parts) == 2 and not rest else b''.join(parts)
        self._pos = 0

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

    def close(self) -> None:
        """Close fd 3 (the worker's own end of Node's pipe)."""
        os.close(self._rfd)
