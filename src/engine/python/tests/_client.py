"""A test client for the worker: spawns ``pse_boot.py`` with fd 3 / fd 4 pipes, speaks frames.

It plays Node's part: serves ``call source`` from hand-written compiled templates (``NAME.pty``
beside ``NAME.pt``, ending in ``__pse_linemap__ = (...)`` as the compiler writes them) and
answers ``call save`` with ok.
"""
from __future__ import annotations

import ast
import fcntl
import os
import select
import struct
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
BOOT = os.path.join(PYDIR, 'pse_boot.py')
sys.path.insert(0, PYDIR)

from pse._protocol import decode, encode  # noqa: E402

Frame = Tuple[Dict[str, Any], List[bytes]]


def config(app: str, **over: Any) -> Dict[str, Any]:
    """A WorkerConfig as Node sends it, for an app folder."""
    c: Dict[str, Any] = {
        'path': [], 'includePath': [os.path.join(app, 'include')], 'pluginPath': os.path.join(app, 'plugins'),
        'tagModules': [], 'autoEscape': True, 'memoryCacheSize': 100, 'maxBuffer': 0, 'showTracebacks': True,
        'exceptionHook': None, 'plugins': {'session': {'Enabled': {'value': 'no', 'line': 1}}},
        'confFile': os.path.join(app, 'pse.conf'), 'session': {'cookieName': 'pse_session', 'cookieSecure': False},
        'version': '9.9.9-test',
    }
    c.update(over)
    return c


def write_app(root: str, files: Dict[str, str]) -> str:
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
    return root


def compiled(pt_path: str) -> Dict[str, Any]:
    """The CompiledSource of a template, from its hand-written ``.pty``."""
    with open(os.path.splitext(pt_path)[0] + '.pty', encoding='utf-8') as f:
        py = f.read()
    linemap: Any = ()
    for node in ast.parse(py).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', '') == '__pse_linemap__':
            linemap = ast.literal_eval(node.value)
    return {'py': py, 'map': [list(e) for e in linemap], 'file': pt_path}


def _high(fd: int) -> int:
    return fcntl.fcntl(fd, fcntl.F_DUPFD, 20)


class Worker:
    def __init__(self, app: str, cfg: Optional[Dict[str, Any]] = None, number: int = 1,
                 argv: Optional[Sequence[str]] = None, send_init: bool = True) -> None:
        self.app = app
        r_in, self._w = os.pipe()   # Node → Python (fd 3)
        self._r, w_out = os.pipe()  # Python → Node (fd 4)
        self.stderr = tempfile.TemporaryFile()

        def child_fds() -> None:
            a, b = _high(r_in), _high(w_out)
            os.dup2(a, 3)
            os.dup2(b, 4)

        env = dict(os.environ, PSE_WORKER='1')
        self.proc = subprocess.Popen(list(argv or [sys.executable, '-u', BOOT]), stdin=subprocess.DEVNULL,
                                     stdout=self.stderr, stderr=self.stderr, preexec_fn=child_fds,
                                     close_fds=False, env=env, cwd=app)
        os.close(r_in)
        os.close(w_out)
        self._buf = b''
        self.beats = 0
        self.logs: List[Dict[str, Any]] = []
        self.saves: List[Frame] = []
        self.sources: List[str] = []
        #: data of the chunks of the last request()
        self.chunked: List[bytes] = []
        self.ready: Optional[Dict[str, Any]] = None
        self._next_id = 0
        if send_init:
            self.send({'t': 'init', 'worker': number, 'appRoot': app, 'config': cfg or config(app)})

    # ---------------------------------------------------------------- frames

    def send(self, header: Dict[str, Any], blobs: Sequence[bytes] = ()) -> None:
        data = encode(dict(header), blobs)
        while data:
            n = os.write(self._w, data)
            data = data[n:]

    def send_burst(self, frames: Sequence[Tuple[Dict[str, Any], Sequence[bytes]]]) -> None:
        """Several frames in one write, as Node's corked writes send a burst."""
        data = b''.join(encode(dict(header), blobs) for header, blobs in frames)
        while data:
            n = os.write(self._w, data)
            data = data[n:]

    def close_input(self) -> None:
        os.close(self._w)
        self._w = -1

    def _fill(self, n: int, deadline: float) -> bool:
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('no frame from the worker; stderr:\n' + self.err())
            ready, _, _ = select.select([self._r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                return False
            self._buf += chunk
        return True

    def recv_any(self, timeout: float = 10.0) -> Optional[Frame]:
        """The next frame of any kind (beats included), or None at end of stream."""
        deadline = time.monotonic() + timeout
        if not self._fill(4, deadline):
            return None
        (size,) = struct.unpack_from('<I', self._buf, 0)
        if not self._fill(4 + size, deadline):
            raise EOFError('worker closed fd 4 inside a frame')
        payload, self._buf = self._buf[4:4 + size], self._buf[4 + size:]
        return decode(payload)

    def recv(self, timeout: float = 10.0) -> Optional[Frame]:
        """The next frame that is not a heartbeat or a log line."""
        while True:
            frame = self.recv_any(timeout)
            if frame is None:
                return None
            t = frame[0].get('t')
            if t == 'beat':
                self.beats += 1
            elif t == 'log':
                self.logs.append(frame[0])
            else:
                return frame

    def wait_ready(self) -> Dict[str, Any]:
        frame = self.recv()
        assert frame is not None, 'worker exited before ready; stderr:\n' + self.err()
        assert frame[0]['t'] == 'ready', frame[0]
        self.ready = frame[0]
        return frame[0]

    # ---------------------------------------------------------------- requests

    def job(self, servlet: str, **fields: Any) -> Tuple[Dict[str, Any], List[bytes]]:
        """A ``req`` header (+ blobs) for a servlet path relative to the app."""
        self._next_id += 1
        blobs: List[bytes] = list(fields.pop('blobs', []))
        query = fields.pop('query', '')
        path = '/' + servlet
        # as Node sends it: no query, form or dry run unless there is one (pool.ts)
        job = {'t': 'req', 'id': self._next_id, 'servlet': os.path.join(self.app, servlet), 'method': 'GET',
               'url': path + ('?' + query if query else ''), 'path': path, 'headers': [],
               'remote': ['127.0.0.1', 50000], 'local': ['127.0.0.1', 8080], 'session': None}
        if query:
            job['query'] = query
        job.update(fields)
        return job, blobs

    def handle_call(self, frame: Frame) -> None:
        head, blobs = frame
        if head['op'] == 'source':
            self.sources.append(head['path'])
            try:
                src = compiled(head['path'])
                self.send({'t': 'reply', 'to': head['cid'], 'ok': True, 'source': src})
            except FileNotFoundError:
                self.send({'t': 'reply', 'to': head['cid'], 'ok': False,
                           'error': {'stage': 'parse', 'file': head['path'], 'line': 1, 'col': 1,
                                     'message': 'no compiled form'}})
        elif head['op'] == 'save':
            self.saves.append(frame)
            self.send({'t': 'reply', 'to': head['cid'], 'ok': True})
        else:
            raise AssertionError('unknown call %r' % head)

    def collect(self, job_id: int, chunks: Optional[List[Frame]] = None) -> Frame:
        """Serve calls until the ``res`` of ``job_id``."""
        while True:
            frame = self.recv()
            assert frame is not None, 'worker exited; stderr:\n' + self.err()
            t = frame[0]['t']
            if t == 'call':
                self.handle_call(frame)
            elif t == 'chunk':
                assert frame[0]['job'] == job_id, 'chunk of job %r, expected %r' % (frame[0]['job'], job_id)
                if chunks is not None:
                    chunks.append(frame)
                self.chunked.append(frame[1][frame[0]['data']])
            elif t == 'res':
                assert frame[0]['id'] == job_id, 'res for %r, expected %r' % (frame[0]['id'], job_id)
                return frame
            else:
                raise AssertionError('unexpected frame %r' % frame[0])

    def request(self, servlet: str, chunks: Optional[List[Frame]] = None, **fields: Any) -> Frame:
        self.chunked = []
        job, blobs = self.job(servlet, **fields)
        self.send(job, blobs)
        return self.collect(job['id'], chunks)

    def page(self, servlet: str, **fields: Any) -> str:
        head, blobs = self.request(servlet, **fields)
        assert 'error' not in head, head['error']['text']
        return b''.join(self.chunked + [blobs[head['body']]]).decode('utf-8')

    # ---------------------------------------------------------------- process

    def err(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode('utf-8', 'replace')

    def wait(self, timeout: float = 10.0) -> int:
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self._w >= 0:
            os.close(self._w)
            self._w = -1
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._r)
        self.stderr.close()
