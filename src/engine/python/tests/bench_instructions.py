"""The worker's own work for one request, for ``bench/worker-instructions.ts`` to count.

``python3 bench_instructions.py SPEC N`` with the ``pse`` package to measure on PYTHONPATH.
SPEC (JSON, a file) holds the app root, its WorkerConfig, its compiled templates, and one
scenario: the ``req`` header as Node writes it and the blobs that go with it. The script boots
a worker state in this process, runs the scenario 200 times to warm up, then N times more,
each as the worker's loop runs a job (``_worker.run_req``: the request, its ``res`` frame, the
session copy kept for a request that follows), the header decoded from its JSON first. The
frame is not written (no pipe) and the servlet's files are not stat'ed after the first run, so
that two runs with different N differ by N requests' instructions and nothing more.

Only modules and calls that every recent tree has, so that a base revision can be measured
with this script too.
"""
import json
import os
import sys
from typing import Any, Dict, List

from pse import _loader, _worker
from pse._channel import Channel
from pse._protocol import _decode_header, decode


def main() -> None:
    with open(sys.argv[1], encoding='utf-8') as f:
        spec: Dict[str, Any] = json.load(f)
    n = int(sys.argv[2])
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    state = _worker.boot(Channel(r1, w2), {'t': 'init', 'worker': 1, 'appRoot': spec['app'],
                                           'config': spec['config']})
    for source in spec['templates']:
        pt = source['file']
        st = os.stat(pt)
        state.loader._cache.put(pt, (st.st_mtime_ns, st.st_size), _loader.compile_template(source))
    text: str = spec['header']
    blobs: List[bytes] = [bytes.fromhex(b) for b in spec['blobs']]
    frames: List[bytes] = []
    state.channel.send_frame = frames.append  # type: ignore[method-assign]
    for i in range(200 + n):
        _worker.run_req(state, _decode_header(text), blobs)
        if i == 0:
            head, _ = decode(frames[0][4:])
            if 'error' in head:
                raise SystemExit('the scenario failed: %s' % head['error'].get('text'))
        frames.clear()
    for fd in (r1, w1, r2, w2):
        os.close(fd)


if __name__ == '__main__':
    main()
