"""A typed JSON picture of a Python value, for Studio and the request journal.

The shape is `Preview` in src/engine/runtime/protocol.ts. Previews are capped so that a big
session value cannot make a big message:

- depth: containers nested deeper than MAX_DEPTH (6) become {'t': 'cut'};
- items: a container shows its first MAX_ITEMS (50) items (`more` = how many were left out);
  a session namespace shows up to NAMESPACE_ITEMS (500) top-level keys, so that the journal's
  key-level diff sees them;
- strings: the first MAX_STR (200) characters (`more` = characters left out);
- bytes: the repr of the first MAX_BYTES (64) bytes, `len` the full length;
- objects: the type's qualified name and repr() cut to MAX_REPR (200) characters;
- in all, at most MAX_NODES (2000) preview nodes; the rest become {'t': 'cut'}.

Dictionary keys are shown as the key itself when it is a str, else as repr(key). Set items are
sorted by repr (up to SORT_LIMIT items) so that equal sets preview equally in every process.
Standard library only.
"""

import math
import sys
from types import ModuleType

MAX_DEPTH = 6
MAX_ITEMS = 50
NAMESPACE_ITEMS = 500
MAX_STR = 200
MAX_BYTES = 64
MAX_REPR = 200
MAX_NODES = 2000
SORT_LIMIT = 1000

_CUT = {'t': 'cut'}


class _Budget:
    __slots__ = ('nodes', 'capped')

    def __init__(self, nodes=MAX_NODES):
        self.nodes = nodes
        #: whether any part was left out (a cut, or `more` somewhere)
        self.capped = False


def preview(value, max_items=MAX_ITEMS):
    """The preview of `value`; `max_items` caps the top-level container only."""
    return _preview(value, 0, _Budget(), max_items)


#: the servlet's namespace as the journal keeps it (per request, so kept small): names shown,
#: items of each container, nodes in all; values are shown two levels below a name
SCOPE_NAMES = 100
SCOPE_ITEMS = 5
SCOPE_NODES = 150


def preview_scope(ns):
    """{'value': the preview of a servlet's namespace, 'capped': whether any part was left out}.

    Shown are the page's own names: not the dunders (``__builtins__``, ``__pse_out__``…) nor
    the modules it imported. One pass over the namespace, as this runs for every journaled
    request."""
    budget = _Budget(SCOPE_NODES)
    items = []
    for k, v in ns.items():
        if _hidden(k, v):
            continue
        if len(items) == SCOPE_NAMES:
            break
        # started two levels above the depth cut: a name's value and its items are shown,
        # containers inside those are cut
        items.append([k if type(k) is str else str.__str__(k), _preview(v, MAX_DEPTH - 2, budget, SCOPE_ITEMS)])
    out = {'t': 'dict', 'v': items}
    if len(items) == SCOPE_NAMES:
        more = sum(1 for k, v in ns.items() if not _hidden(k, v)) - SCOPE_NAMES
        if more:
            out['more'] = more
            budget.capped = True
    return {'value': out, 'capped': budget.capped}


def _hidden(name, value):
    """Not one of the page's variables: a dunder, an imported module, or a key that is not a
    name (``globals()[1] = x``)."""
    if type(name) is not str and not isinstance(name, str):
        return True
    return name[:2] == '__' or isinstance(value, ModuleType)


def preview_namespace(value):
    """The preview of a session namespace (a dict): more top-level keys than other values."""
    return preview(value, NAMESPACE_ITEMS)


def _preview(x, depth, budget, max_items):
    if budget.nodes <= 0:
        budget.capped = True
        return _CUT
    budget.nodes -= 1
    t = type(x)
    kind = _KINDS.get(t)
    if kind is None:
        kind = _kind_of(x)
        if _honest(x, t):
            if len(_KINDS) >= _KINDS_MAX:
                _KINDS.clear()
                _KINDS.update(_EXACT)
            _KINDS[t] = kind
    return kind(x, depth, budget, max_items)


def _kind_of(x):
    """How ``x`` is previewed: by the first of these that it is an instance of."""
    if isinstance(x, str):
        return _EXACT[str]
    if isinstance(x, bool):
        return _bool
    if isinstance(x, int):
        return _EXACT[int]
    if isinstance(x, float):
        return _EXACT[float]
    if isinstance(x, (bytes, bytearray, memoryview)):
        return _EXACT[bytes]
    when = _datetime_kind(x)
    if when is not None:
        return when
    if isinstance(x, dict):
        return _dict
    for _, types in _SEQUENCES:
        if isinstance(x, types):
            return _EXACT[types]
    return _object


def _honest(x, t):
    """Whether every value of type ``t`` takes the kind that ``x`` took: true unless its class
    claims to be another (a proxy's ``__class__``), which isinstance believes."""
    try:
        return x.__class__ is t
    except Exception:
        return False


def _bool(x, depth, budget, max_items):
    return {'t': 'bool', 'v': bool(x)}


def _object(x, depth, budget, max_items):
    return {'t': 'object', 'type': _type_name(type(x)), 'repr': _safe_repr(x)[:MAX_REPR]}


def _none(x, depth, budget, max_items):
    return {'t': 'none'}


def _int(x, depth, budget, max_items):
    try:
        text = str(int(x))
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        text = '<int of %d bits>' % x.bit_length()
    return {'t': 'int', 'v': text}


def _float(x, depth, budget, max_items):
    f = float(x)
    if math.isfinite(f):
        return {'t': 'float', 'v': f}
    return {'t': 'float', 'v': repr(f)}


def _bytes(x, depth, budget, max_items):
    return {'t': 'bytes', 'v': repr(bytes(x[:MAX_BYTES])), 'len': len(x)}


def _str(s, depth, budget, max_items):
    if type(s) is not str:
        s = str.__str__(s)
    if len(s) <= MAX_STR:
        return {'t': 'str', 'v': s}
    budget.capped = True
    return {'t': 'str', 'v': s[:MAX_STR], 'more': len(s) - MAX_STR}


def _dict(x, depth, budget, max_items):
    if depth >= MAX_DEPTH:
        budget.capped = True
        return _CUT
    items = []
    for i, (k, v) in enumerate(x.items()):
        if i >= max_items:
            break
        key = k if isinstance(k, str) else _safe_repr(k)
        items.append([str.__str__(key), _preview(v, depth + 1, budget, MAX_ITEMS)])
    out = {'t': 'dict', 'v': items}
    if len(x) > len(items):
        out['more'] = len(x) - len(items)
        budget.capped = True
    return out


def _sequence(kind, x, depth, budget, max_items):
    if depth >= MAX_DEPTH:
        budget.capped = True
        return _CUT
    seq = x
    if kind in ('set', 'frozenset') and len(x) <= SORT_LIMIT:
        seq = sorted(x, key=_safe_repr)
    items = []
    for i, v in enumerate(seq):
        if i >= max_items:
            break
        items.append(_preview(v, depth + 1, budget, MAX_ITEMS))
    out = {'t': kind, 'v': items}
    if len(x) > len(items):
        out['more'] = len(x) - len(items)
        budget.capped = True
    return out


_SEQUENCES = (('list', list), ('tuple', tuple), ('set', set), ('frozenset', frozenset))

#: type(x) -> its preview, for the built-in types themselves (subclasses take the isinstance path)
_EXACT = {
    type(None): _none,
    bool: lambda x, depth, budget, max_items: {'t': 'bool', 'v': x},
    str: _str,
    int: _int,
    float: _float,
    bytes: _bytes,
    dict: _dict,
}
for _kind, _type in _SEQUENCES:
    _EXACT[_type] = lambda x, depth, budget, max_items, _kind=_kind: _sequence(_kind, x, depth, budget, max_items)

#: type(x) -> its preview: the exact built-in types, then every other type as first met (a page's
#: subclasses, such as form values and session dictionaries, take the isinstance path once)
_KINDS = dict(_EXACT)
_KINDS_MAX = 512


def _datetime_kind(x):
    """The preview of a datetime, date or time (its ISO text), or None for any other value.
    This module does not import datetime (that costs every worker start ~2 ms): a value can
    only be one of its types once some code has imported it."""
    dt = sys.modules.get('datetime')
    if dt is None:
        return None
    for name in ('datetime', 'date', 'time'):  # datetime first: it is a subclass of date
        t = getattr(dt, name, None)
        if isinstance(t, type) and isinstance(x, t):
            return _ISO[name]
    return None


_ISO = {name: (lambda x, depth, budget, max_items, _name=name: {'t': _name, 'v': x.isoformat()})
        for name in ('datetime', 'date', 'time')}


def _type_name(t):
    module = getattr(t, '__module__', None)
    name = getattr(t, '__qualname__', None) or getattr(t, '__name__', '?')
    return name if module in (None, 'builtins') else '%s.%s' % (module, name)


def _safe_repr(x):
    try:
        r = repr(x)
    except Exception as e:  # a broken __repr__ must not break a preview
        return '<%s: repr() failed: %s>' % (_type_name(type(x)), type(e).__name__)
    return r if isinstance(r, str) else '<%s>' % _type_name(type(x))
