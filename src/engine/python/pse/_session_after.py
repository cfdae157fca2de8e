"""The session as a worker leaves it after a request: what the next request of it continues from.

Requests of one session run one at a time. When one is running here, Node may send the next
request of its session to this worker at once, naming the running one (``after``) instead of
sending the namespaces: this worker then starts it from its own copy as soon as the first ends,
and the hand-over costs no round trip through Node. The copy is the session as Node holds it
once the first request is settled: on success with the namespaces it changed, on failure as of
its last ``save()`` (what Node rolls back to).

A request leaves no copy when its session's id is retired (``regenerate()``, ``invalidate()``)
or when it left a big namespace unread (its pickle is only in Node); a dry run leaves none. A
request that names a copy this worker does not hold (it never ran that one, or was restarted)
is refused unstarted, and Node runs it the usual way.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

#: (session id, namespace name -> pickle)
Left = Tuple[str, Dict[str, bytes]]

#: copies kept: more than the requests that can wait on one worker's pipe behind the running one
KEEP = 64


class SessionsLeft:
    """Copies by the job that left them; each is taken once, by the request that continues it."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._by_job: 'OrderedDict[int, Left]' = OrderedDict()

    def keep(self, job: int, left: Optional[Left]) -> None:
        if left is None:
            return
        by_job = self._by_job
        by_job[job] = left
        if len(by_job) > self._keep:
            by_job.popitem(last=False)

    def take(self, job: int) -> Optional[Left]:
        return self._by_job.pop(job, None)

    def __len__(self) -> int:
        return len(self._by_job)


def continue_from(job: dict, blobs: List[bytes], left: Left) -> List[bytes]:
    """Gives ``job`` the session of ``left`` as if Node had sent it; returns the blobs to use."""
    blobs = list(blobs)
    sid, pickles = left
    ns = {}
    for name, pickle in pickles.items():
        ns[name] = len(blobs)
        blobs.append(pickle)
    job['session'] = {'id': sid, 'ns': ns}
    return blobs


def refusal(job_id: int) -> Tuple[dict, List[bytes]]:
    """The ``res`` of a request that names a copy this worker does not hold: nothing ran."""
    return ({'t': 'res', 'id': job_id, 'refused': True, 'status': 0, 'headers': [], 'body': 0,
             'streamed': False, 'saves': 0}, [b''])
