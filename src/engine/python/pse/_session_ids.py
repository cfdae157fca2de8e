"""New session ids: 43 URL-safe characters, the creation time first, then 210 random bits.

The store keeps sessions in b-trees keyed by id. With ids in creation order a new session is
written at the end of each tree (the same few pages for every session created in one
transaction) instead of at a random leaf of every tree: on SQLite that halved the pages a
commit of new sessions writes. The time is the current millisecond as 8 characters of an
alphabet in byte order, so that ids compare as their times do; the 35 characters after it come
from ``os.urandom`` (as ``secrets`` does, without its cost at start) and alone carry far more than the 128 bits an id needs to be unguessable.
``src/engine/session/ids.ts`` makes the same ids for sessions created from Studio.
"""

import base64
import os
import time

#: the 64 URL-safe base64 characters in ascending byte order
ORDERED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'
TIME_CHARS = 8
RANDOM_CHARS = 35


def time_prefix(ms: int) -> str:
    """``ms`` (0 <= ms < 2**48) as TIME_CHARS characters that sort as the numbers do."""
    out = []
    for _ in range(TIME_CHARS):
        out.append(ORDERED[ms & 63])
        ms >>= 6
    return ''.join(reversed(out))


def new_session_id() -> str:
    # 27 random bytes are 36 base64 characters of 6 random bits each; 35 of them fill the id
    return (time_prefix(time.time_ns() // 1_000_000)
            + base64.urlsafe_b64encode(os.urandom(27)).decode('ascii')[:RANDOM_CHARS])
