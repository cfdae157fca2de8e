"""Syntax check of generated template code and code modules (the worker's ``check`` job).

``check(sources)`` compiles each source and reports the first syntax error of each, with the
generated line and column; Node maps them back to template lines. Standard library only.
"""


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
