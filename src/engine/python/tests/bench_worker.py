"""Worker throughput without Node: ``python3 -m tests.bench_worker`` (from src/engine/python).

Prints the per-request CPU time of the Python side in-process (no pipes), then requests/s and
the worker's CPU time per request through the real fd 3 / fd 4 pipes, one request at a time and
in bursts of four (as Node writes a burst: one write). Not a test: figures depend on the
machine; compare runs taken under the same load, alternated.
"""
import os
import pickle
import sys
import tempfile
import time
from typing import List, Optional, Tuple

from pse import _loader, _worker
from pse._channel import Channel
from pse._servlet import RequestRun
from tests._client import Worker, compiled, config, write_app
from tests.test_worker_servlets import APP


# The session example of the docs (examples/session_example.*): the session read path.
SESSION_APP = {
    'sess.py': "from pse.plugins import session\n"
               "form = pse.form\n"
               "data = session.new()\n"
               "if form.has_key('name'):\n"
               "    data['name'] = form['name']\n"
               "name = data.get('name')\n",
    'sess.pt': '<p><? if name: ?>Hello, <?= name ?>!<? :else: ?>Who?<? :if ?></p>\n',
    'sess.pty': "__pse_out__('<p>')\n"
                "if name:\n"
                "    __pse_out__('Hello, ')\n"
                "    __pse_out__(__pse_str__(name))\n"
                "    __pse_out__('!')\n"
                "else:\n"
                "    __pse_out__('Who?')\n"
                "__pse_out__('</p>\\n')\n"
                "__pse_linemap__ = ((1, 1, 1),)\n",
}


def in_process(app: str, n: int, name: str = 'hello', session: bool = False) -> float:
    """CPU seconds per request (best of three runs of ``n``), the worker's own code only."""
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    conf = config(app, plugins={}) if session else config(app)
    state = _worker.boot(Channel(r1, w2), {'t': 'init', 'worker': 1, 'appRoot': app, 'config': conf})
    pt = os.path.join(app, name + '.pt')
    st = os.stat(pt)
    state.loader._cache.put(pt, (st.st_mtime_ns, st.st_size), _loader.compile_template(compiled(pt)))
    job = {'t': 'req', 'id': 1, 'servlet': pt, 'method': 'GET', 'url': '/hello.pt?a=1', 'path': '/hello.pt',
           'query': 'a=1', 'headers': [['Host', 'localhost'], ['Accept', '*/*'], ['Cookie', 'a=1; b=2']],
           'remote': ['127.0.0.1', 1], 'local': ['127.0.0.1', 2], 'form': [], 'session': None, 'dry': False}
    blobs: List[bytes] = []
    if session:
        job['session'] = {'id': 'A' * 43, 'ns': {'': 0}}
        blobs.append(pickle.dumps({'name': 'Nick'}, protocol=5))  # as the session plugin stores it
    state.job = 1
    for _ in range(200):
        RequestRun(state, job, blobs).run()
    best = float('inf')
    for _ in range(3):  # CPU time, not wall-clock: other processes share the cores
        t = time.process_time()
        for _ in range(n):
            state.channel.reads += 1  # each request its own batch: every file is stat'ed
            header, _ = RequestRun(state, job, blobs).run()
        best = min(best, (time.process_time() - t) / n)
    assert 'error' not in header, header.get('error')
    for fd in (r1, w1, r2, w2):
        os.close(fd)
    return best


def _cpu_seconds(pid: int) -> Optional[float]:
    """utime + stime of a process (Linux), or None."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def through_pipes(app: str, name: str, n: int, depth: int) -> Tuple[float, Optional[float]]:
    """(requests/s, worker CPU seconds per request) with bursts of ``depth`` requests, each
    burst written at once as Node's corked writes send it."""
    w = Worker(app)
    w.wait_ready()
    w.page(name)
    cpu0 = _cpu_seconds(w.proc.pid)
    t = time.perf_counter()
    done = 0
    while done < n:
        jobs = [w.job(name) for _ in range(depth)]
        w.send_burst(jobs)
        for job, _ in jobs:
            w.collect(job['id'])
        done += depth
    rate = done / (time.perf_counter() - t)
    cpu1 = _cpu_seconds(w.proc.pid)
    w.close()
    return rate, (cpu1 - cpu0) / done if cpu0 is not None and cpu1 is not None else None


def main() -> None:
    app = write_app(tempfile.mkdtemp(prefix='pse-bench-'), {**APP, **SESSION_APP})
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    print('python %s' % sys.version.split()[0])
    print('in-process, hello.pt (code module + template, 5 plugins): %.1f us CPU/request' % (in_process(app, n) * 1e6))
    print('in-process, session read (the session example, 6 plugins): %.1f us CPU/request'
          % (in_process(app, n, 'sess', session=True) * 1e6))
    for depth in (1, 4):
        rate, cpu = through_pipes(app, 'hello.pt', n, depth)
        print('through fd 3/4, hello.pt, bursts of %d: %.0f requests/s, worker %s us CPU/request'
              % (depth, rate, '?' if cpu is None else '%.1f' % (cpu * 1e6)))


if __name__ == '__main__':
    main()
