"""What the session plugin remembers of namespaces between requests, by their pickled bytes.

The session read path sends the same small pickles again and again; remembering what each one
unpickled to lets a request that only reads skip unpickling and pickling again. The memory is
bounded (small pickles only, a bounded number of them).
"""

import operator
import pickle

#: pickle protocol of every namespace (Node's admin edits use the same)
PROTOCOL = 5

#: exact types a namespace may hold for its baseline to be remembered (immutable scalars)
SCALARS = frozenset((str, int, float, bool, type(None)))


class _Known:
    """A baseline pickle seen before whose dict holds only exact str/int/float/bool/None.

    ``items`` is its dict as unpickled, which new() copies instead of unpickling again: such
    values are immutable, so a shallow copy is as good as a fresh load. A copy that still holds
    the very same key and value objects, in the same order, pickles to what ``items`` pickles
    to; when that is ``raw`` itself (checked once), collect() knows the namespace is unchanged
    without pickling it.
    """

    __slots__ = ('raw', 'items', '_canonical')

    def __init__(self, raw, items):
        self.raw = raw
        self.items = items
        self._canonical = None

    def unchanged(self, d):
        """True when ``d`` would pickle to the baseline's bytes."""
        items = self.items
        if not (len(d) == len(items) and all(map(operator.is_, d, items))
                and all(map(operator.is_, d.values(), items.values()))):
            return False
        if self._canonical is None:
            self._canonical = pickle.dumps(items, protocol=PROTOCOL) == self.raw
        return self._canonical


# Baseline pickles by their bytes (small ones, a bounded number): the session read path then
# neither unpickles nor pickles again the same namespace on every request. Only
# a pickle loaded a second time is remembered: on the write path each is loaded once.
KNOWN = {}
_SEEN = set()
_KNOWN_BYTES = 8192
_KNOWN_SIZE = 512


def remember(raw, value):
    """The _Known of a freshly unpickled baseline loaded before, or None (first load, big, or
    not plain scalars)."""
    if len(raw) > _KNOWN_BYTES:
        return None
    if raw not in _SEEN:
        if len(_SEEN) >= _KNOWN_SIZE:
            _SEEN.clear()
        _SEEN.add(raw)
        return None
    if type(value) is not dict or not _all_scalars(value):
        return None
    if len(KNOWN) >= _KNOWN_SIZE:
        KNOWN.clear()
    k = KNOWN[raw] = _Known(raw, value)
    return k


def _all_scalars(d):
    for k, v in d.items():
        if type(k) not in SCALARS or type(v) not in SCALARS:
            return False
    return True
