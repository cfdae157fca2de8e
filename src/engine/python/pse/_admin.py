"""The `admin` job (protocol.ts AdminMsg): edit one pickled session namespace for Studio.

    run(header, blobs) -> (done_fields, blobs)

Keys and values are Python literals read with `ast.literal_eval` semantics only (never eval):
numbers, strings, bytes, tuples, lists, dicts, sets, booleans, None. Anything else is refused
with the line and column of the offending part. The answer carries the namespace's new pickle
(blob 0) and its preview; Node commits it under the session's lock.
"""

import ast
import pickle

from pse._preview import preview_namespace
from pse.plugins.session import PROTOCOL

# Node types that ast.literal_eval accepts (plus the set() call, checked separately).
_LITERAL_NODES = (
    ast.Expression, ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict,
    ast.UnaryOp, ast.UAdd, ast.USub, ast.BinOp, ast.Add, ast.Sub, ast.Load,
)


class AdminError(Exception):
    def __init__(self, message, line=None, col=None):
        super().__init__(message)
        self.line = line
        self.col = col


def run(header, blobs):
    try:
        return _run(header, blobs)
    except AdminError as e:
        error = {'message': str(e)}
        if e.line is not None:
            error['line'] = e.line
            error['col'] = e.col
        return {'ok': False, 'error': error}, []


def _run(header, blobs):
    op = header.get('op')
    if op == 'restore':
        if header.get('from') is None:
            raise AdminError('restore: no recorded pickle was sent')
        raw = bytes(blobs[header['from']])
        ns = _load(raw, 'the recorded state')
        return {'ok': True, 'pickle': 0, 'preview': preview_namespace(ns)}, [raw]
    ns = _load(bytes(blobs[header['pickle']]), 'the namespace') if header.get('pickle') is not None else {}
    if op == 'set':
        key = literal(header.get('key'), 'key')
        value = literal(header.get('literal'), 'value')
        _check_key(key)
        ns[key] = value
    elif op == 'delete':
        key = literal(header.get('key'), 'key')
        _check_key(key)
        if key not in ns:
            raise AdminError('delete: key %r is not in the namespace' % (key,))
        del ns[key]
    elif op == 'clear':
        ns = {}
    else:
        raise AdminError('unknown admin operation %r (known: set, delete, clear, restore)' % (op,))
    raw = pickle.dumps(ns, protocol=PROTOCOL)
    return {'ok': True, 'pickle': 0, 'preview': preview_namespace(ns)}, [raw]


def literal(text, what):
    """The value of a Python literal; AdminError with line and column (1-based) otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise AdminError('%s: a Python literal is required' % what)
    try:
        tree = ast.parse(text.strip(), mode='eval')
    except SyntaxError as e:
        raise AdminError('%s: invalid Python literal: %s' % (what, e.msg), e.lineno, e.offset) from None
    for node, at in _walk(tree):
        if isinstance(node, _LITERAL_NODES):
            continue
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'set'
                and not node.args and not node.keywords):
            continue
        if isinstance(node, ast.Name) and node.id == 'set':
            continue
        raise AdminError('%s: only literals are allowed (numbers, strings, bytes, tuples, lists, '
                         'dicts, sets, True, False, None), not %s'
                         % (what, _describe(node)), getattr(at, 'lineno', 1), getattr(at, 'col_offset', 0) + 1)
    try:
        return ast.literal_eval(tree)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as e:
        raise AdminError('%s: not a literal: %s' % (what, e), 1, 1) from None


def _walk(tree):
    """Every node of tree with the nearest node that has a position: an operator (``**``, ``*``)
    has none of its own, so it is located at its expression."""
    todo = [(tree, None)]
    while todo:
        node, at = todo.pop()
        if hasattr(node, 'lineno'):
            at = node
        yield node, at
        todo.extend((child, at) for child in reversed(list(ast.iter_child_nodes(node))))


_OPERATORS = {ast.Mult: '*', ast.Pow: '**', ast.Div: '/', ast.FloorDiv: '//', ast.Mod: '%',
              ast.MatMult: '@', ast.LShift: '<<', ast.RShift: '>>', ast.BitOr: '|', ast.BitAnd: '&',
              ast.BitXor: '^', ast.Not: 'not', ast.Invert: '~'}


def _describe(node):
    symbol = _OPERATORS.get(type(node))
    return 'the operator %s' % symbol if symbol else type(node).__name__


def _check_key(key):
    try:
        hash(key)
    except TypeError:
        raise AdminError('key %r is not hashable' % (key,)) from None


def _load(raw, what):
    try:
        ns = pickle.loads(raw)
    except Exception as e:
        raise AdminError('%s cannot be unpickled: %s: %s' % (what, type(e).__name__, e)) from None
    if not isinstance(ns, dict):
        raise AdminError('%s is a %s, not a dict' % (what, type(ns).__name__))
    return dict(ns)
