"""Syntax check of generated template code and code modules.

``check(sources)`` compiles each source and reports the first syntax error of each, with the
generated line and column; Node maps them back to template lines. Run as a script, it answers
JSON requests, one per line on stdin ({"id": n, "sources": [{"name", "code"}]}), with one JSON
line each on stdout ({"id": n, "errors": [...]}, or {"id": n, "error": "..."} for a bad request).
The worker pool imports ``check`` as well. Standard library only.
"""

import json
import sys


def _error(name, line, col, message):
    return {'name': name, 'line': int(line or 1), 'col': max(1, int(col or 1)), 'message': message}


def check_one(name, code):
    """The first syntax error of ``code`` as a dict, or None when it compiles."""
    try:
        compile(code, name, 'exec', dont_inherit=True)
    except SyntaxError as e:  # IndentationError and TabError included
        return _error(name, e.lineno, e.offset, e.msg or type(e).__name__)
    except (ValueError, UnicodeError) as e:
        # NUL characters, lone surrogates: no line is known, the message says what
        return _error(name, 1, 1, str(e))
    return None


def check(sources):
    """Syntax errors of ``sources`` (dicts with ``name`` and ``code``), at most one each."""
    errors = []
    for source in sources:
        err = check_one(source['name'], source['code'])
        if err is not None:
            errors.append(err)
    return errors


def _answer(line):
    try:
        request = json.loads(line)
    except ValueError as e:
        return {'id': None, 'error': 'request is not JSON: %s' % e}
    rid = request.get('id') if isinstance(request, dict) else None
    sources = request.get('sources') if isinstance(request, dict) else None
    if not isinstance(sources, list) or not all(
        isinstance(s, dict) and isinstance(s.get('name'), str) and isinstance(s.get('code'), str) for s in sources
    ):
        return {'id': rid, 'error': 'request needs "sources": a list of {"name": str, "code": str}'}
    return {'id': rid, 'errors': check(sources)}


def main(stdin=sys.stdin, stdout=sys.stdout):
    for line in stdin:
        if not line.strip():
            continue
        stdout.write(json.dumps(_answer(line)) + '\n')
        stdout.flush()


if __name__ == '__main__':
    # JSON escapes every non-ASCII character, but a lone surrogate must survive decoding.
    sys.stdin.reconfigure(encoding='utf-8', errors='surrogatepass')
    main()
