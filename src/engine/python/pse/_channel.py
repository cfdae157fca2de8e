"""The worker's two pipes: frames in on fd 3, frames out on fd 4, and the job FIFO.

The main thread reads, except while one job runs long: then the watch thread reads what Node
sent meanwhile, so that a ``release`` (Node moving the jobs queued behind the slow one to an idle
worker) is answered at once. Reads hold ``_rlock``; the watch thread only ever tries it, so it
never waits for the main thread. Writes come from every thread, so they are serialized by a lock
and each frame is written whole.

Input is read with ``os.read`` into the channel's own buffer, and every complete frame in it is
parsed from there: a burst of jobs Node wrote in one ``writev`` costs one ``read``. Each reply is
written as soon as it is made: holding replies back to write several at once was measured in the
server and cost more (a slower, ping-pong pipeline with Node) than the writes it saved.
"""
from __future__ import annotations

import errno
import os
import select
import sys
import threading
import time
from collections import deque
from typing import Deque, Sequence

from ._protocol import _U32, MAX_FRAME, Frame, Header, ProtocolError, decode_at, encode

#: Input is read in pieces of at least this size (a bigger frame is read to its end at once).
READ_SIZE = 1 << 16

#: How often the watch thread looks whether the running job has run long (seconds).
WATCH_SECONDS = 0.1


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
        self._cid = 0
        #: how many reads of fd 3 brought bytes: a batch of jobs is what one read brought
        self.reads = 0
        #: jobs read but not started (they arrived during a call, or the watch thread read them)
        self.jobs: Deque[Frame] = deque()
        #: held while a thread reads fd 3 or changes ``jobs``
        self._rlock = threading.Lock()
        #: the id of the job the main thread runs (None between jobs); the watch thread reads it
        self.running: 'int | None' = None

    # ------------------------------------------------------------------ output

    def send(self, header: Header, blobs: Sequence[bytes] = ()) -> None:
        self.send_frame(encode(header, blobs))

    def send_frame(self, frame: bytes) -> None:
        """Write one encoded frame whole (other threads' frames never interleave)."""
        with self._lock:
            self._write(frame)

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

    def read(self) -> Frame:
        """The next frame from fd 3 (ChannelClosed at its end, ProtocolError for a broken frame)."""
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
            self.reads += 1
        # one part (the common case: the previous read was used up) is kept without a copy
        self._buf = parts[1] if len(parts) == 2 and not rest else b''.join(parts)
        self._pos = 0

    def next_job(self) -> Frame:
        """The oldest buffered job, else the next frame from Node (``release`` is answered here)."""
        with self._rlock:
            while True:
                if self.jobs:
                    return self.jobs.popleft()
                frame = self.read()
                if frame[0].get('t') == 'release':
                    self._release(frame[0])
                    continue
                return frame

    def _release(self, head: Header) -> None:
        """Give back the listed jobs that have not started; Node runs them on another worker.

        Caller holds ``_rlock``. Every job the ``release`` names came before it on the pipe, so
        each is buffered here, running, or done: only the buffered ones are given back."""
        wanted = set(head.get('ids') or ())
        given = []
        kept: Deque[Frame] = deque()
        for frame in self.jobs:
            job_id = frame[0].get('id')
            if job_id in wanted and frame[0].get('t') in ('req', 'check', 'admin'):
                given.append(job_id)
            else:
                kept.append(frame)
        self.jobs = kept
        self.send({'t': 'released', 'ids': given})

    def watch(self) -> None:
        """The watch thread: while one job runs past WATCH_SECONDS, read what Node sent."""
        seen = None
        try:
            while True:
                time.sleep(WATCH_SECONDS)
                running = self.running
                if running is not None and running == seen:
                    self.poll()
                seen = running
        except (OSError, ChannelClosed, ProtocolError):
            return  # the pipes are gone or out of step: the main thread ends the worker

    def poll(self) -> None:
        """Read the frames already on fd 3 without waiting: jobs are buffered, releases answered.

        Only while the main thread runs a job (it holds ``_rlock`` whenever it reads, so a
        failed try means it is reading itself); no ``reply`` can come then, as no call waits."""
        if not self._rlock.acquire(False):
            return
        try:
            got = False
            while select.select([self._rfd], [], [], 0)[0]:
                chunk = os.read(self._rfd, READ_SIZE)
                if not chunk:
                    break  # end of input: the main thread finds it when it reads next
                rest = self._buf[self._pos:] if self._pos < len(self._buf) else b''
                self._buf, self._pos = rest + chunk, 0
                self.reads += 1
                got = True
            while got:
                avail = len(self._buf) - self._pos
                if avail < 4:
                    break
                (size,) = _U32.unpack_from(self._buf, self._pos)
                if size > MAX_FRAME or avail - 4 < size:
                    break  # a broken or partial frame: the main thread's read deals with it
                frame = self.read()
                if frame[0].get('t') == 'release':
                    self._release(frame[0])
                else:
                    self.jobs.append(frame)
        finally:
            self._rlock.release()

    def call(self, job: int, op: str, fields: Header, blobs: Sequence[bytes] = ()) -> Frame:
        """Ask Node something and wait for the answer; jobs arriving meanwhile are queued."""
        self._cid += 1
        cid = self._cid
        header: Header = {'t': 'call', 'cid': cid, 'job': job, 'op': op}
        header.update(fields)
        with self._rlock:
            self.send(header, blobs)
            while True:
                frame = self.read()
                head = frame[0]
                kind = head.get('t')
                if kind == 'reply':
                    if head.get('to') == cid:
                        return frame
                    print('pse worker: ignored a reply to call %r while waiting for call %d'
                          % (head.get('to'), cid), file=sys.stderr)
                    continue
                if kind == 'release':
                    self._release(head)
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
