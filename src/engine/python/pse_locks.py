"""Session locks across the processes of one machine: POSIX record locks (fcntl) on one file.

Node has no file-lock call, so each engine process runs this helper as its child and asks it,
over stdin/stdout, to lock and unlock sessions. A session's lock is one byte of the lock file
at an offset hashed from its id (62 bits: distinct sessions practically never share a byte).
Record locks belong to the process that took them, and the kernel drops them when it exits:
when the engine dies (kill -9 included) its end of the pipe closes, this helper reads EOF and
exits, and every session it held is free at once.

Waiting is polling (a record lock cannot be waited for with a timeout), every POLL seconds.
Fairness across processes: a waiter also holds a shared lock on the session's *marker* byte
(offset + 2**62). A process that releases a session others are waiting for (it cannot take
the marker exclusively) does not take it again for YIELD seconds, so a process with a long
queue of requests for one session cannot starve the others.

The engine may keep a session's lock between its requests (a lease: its next request takes it
without a message here). So that a lease never holds another process up for long, a waiter
also holds a shared lock on the WANTED byte while it waits; a helper holding locks checks that
byte every WATCH seconds, and when another process waits, looks up which of its sessions are
marked and tells the engine ("w ID"), once per hold: the engine releases it as soon as its own
request of it, if any, has ended.

Protocol, one ASCII line per message:
  in:  "a N ID" acquire (N: the request's number) · "r ID" release · "c N" cancel a wait
  out: "ready" once the lock file is open · "g N" granted · "x N" cancelled before granted ·
       "e N MESSAGE" failed · "w ID" another process waits for a session held here
"""

import errno
import fcntl
import os
import select
import signal
import sys
import time

try:
    # hashlib's own blake2b, without hashlib, which loads OpenSSL (~6 ms of every start)
    from _blake2 import blake2b
except ImportError:  # a Python built without its own hashes
    from hashlib import blake2b

POLL = 0.001
YIELD = 0.003
WATCH = 0.002
SPAN = 1 << 62
# One byte past every session's (offsets are below SPAN) and below the markers (SPAN and up).
# A session whose hash lands on it (one in 2**62) shares it harmlessly: waiters mark it shared.
WANTED = SPAN - 1
BUSY = (errno.EACCES, errno.EAGAIN)


def offset_of(session_id):
    digest = blake2b(session_id, digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 2


class Locks:
    def __init__(self, fd):
        self.fd = fd
        # n -> [id, offset, not_before]; one per session at most (the engine queues its own)
        self.waiting = {}
        # id -> time before which this process does not take the session again
        self.yield_until = {}
        # id -> offset of every session held here; those the engine was told others want
        self.held = {}
        self.told = set()
        self.next_watch = 0.0
        self.out = []

    def try_lock(self, off):
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, off)
            return True
        except OSError as e:
            if e.errno in BUSY:
                return False
            raise

    def others_waiting(self, off):
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, SPAN + off)
        except OSError as e:
            if e.errno in BUSY:
                return True
            raise
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, SPAN + off)
        return False

    def mark(self, off):
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, SPAN + off)
        except OSError as e:
            # another releaser is probing the marker this instant: marked at the next poll
            if e.errno not in BUSY:
                raise

    def unmark(self, off):
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, SPAN + off)

    def mark_wanted(self):
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, WANTED)
        except OSError as e:
            # a holder is probing it this instant: marked again at the next poll
            if e.errno not in BUSY:
                raise

    def anyone_waiting(self):
        """Whether another process waits for some session. Record locks are per process: taking
        the byte exclusively succeeds over a shared lock of our own (it converts it), so ours is
        put back as it was."""
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, WANTED)
        except OSError as e:
            if e.errno in BUSY:
                return True
            raise
        fcntl.lockf(self.fd, fcntl.LOCK_SH if self.waiting else fcntl.LOCK_UN, 1, WANTED)
        return False

    def watch(self, now):
        """Tells the engine which of its sessions another process waits for."""
        self.next_watch = now + WATCH
        if len(self.told) == len(self.held) or not self.anyone_waiting():
            return
        for sid, off in self.held.items():
            if sid not in self.told and self.others_waiting(off):
                self.told.add(sid)
                self.out.append(b"w %s\n" % sid)

    def granted(self, n, sid, off):
        self.held[sid] = off
        self.out.append(b"g %d\n" % n)

    def acquire(self, n, sid, now):
        off = offset_of(sid)
        not_before = self.yield_until.get(sid, 0.0)
        if not_before <= now:
            self.yield_until.pop(sid, None)
            if self.try_lock(off):
                self.granted(n, sid, off)
                return
            not_before = now + POLL
        self.mark(off)
        self.mark_wanted()
        self.waiting[n] = [sid, off, not_before]

    def release(self, sid, now):
        off = self.held.pop(sid, None)
        if off is None:
            off = offset_of(sid)
        self.told.discard(sid)
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, off)
        if self.others_waiting(off):
            self.yield_until[sid] = now + YIELD

    def cancel(self, n):
        w = self.waiting.pop(n, None)
        if w is not None:
            self.unmark(w[1])
            if not self.waiting:
                fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, WANTED)
            self.out.append(b"x %d\n" % n)

    def poll(self, now):
        for n, w in list(self.waiting.items()):
            if w[2] > now:
                continue
            if self.try_lock(w[1]):
                del self.waiting[n]
                self.unmark(w[1])
                self.yield_until.pop(w[0], None)
                self.granted(n, w[0], w[1])
            else:
                self.mark(w[1])
                w[2] = now + POLL
        if self.waiting:
            self.mark_wanted()
        else:
            fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, WANTED)

    def timeout(self, now):
        due = [w[2] for w in self.waiting.values()]
        if len(self.told) < len(self.held):
            due.append(self.next_watch)
        return max(0.0, min(due) - now) if due else None

    def handle(self, line, now):
        parts = line.split(b" ")
        kind = parts[0]
        n = -1
        try:
            if kind == b"a":
                n = int(parts[1])
                self.acquire(n, parts[2], now)
            elif kind == b"r":
                self.release(parts[1], now)
            elif kind == b"c":
                self.cancel(int(parts[1]))
            else:
                raise ValueError("unknown message %r" % line[:40])
        except (OSError, ValueError, IndexError) as e:
            self.out.append(b"e %d %s\n" % (n, str(e).replace("\n", " ").encode()))


def write_all(data):
    while data:
        data = data[os.write(1, data):]


def main(path):
    # Ctrl+C in a terminal and a service manager's stop signal the engine's children too; the
    # engine may still need its locks to finish its requests, and ends this helper by closing
    # its stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        write_all(b"e 0 cannot open the session lock file %s: %s\n" % (
            path.encode(), (e.strerror or str(e)).encode()))
        return 1
    locks = Locks(fd)
    write_all(b"ready\n")
    pending = b""
    while True:
        readable, _, _ = select.select([0], [], [], locks.timeout(time.monotonic()))
        now = time.monotonic()
        if readable:
            data = os.read(0, 65536)
            if not data:
                return 0  # the engine is gone: exiting drops every lock it held
            lines = (pending + data).split(b"\n")
            pending = lines.pop()
            for line in lines:
                if line:
                    locks.handle(line, now)
        if locks.waiting:
            locks.poll(time.monotonic())
        now = time.monotonic()
        if now >= locks.next_watch and len(locks.told) < len(locks.held):
            locks.watch(now)
        if locks.out:
            write_all(b"".join(locks.out))
            locks.out.clear()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
