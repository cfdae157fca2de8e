"""Runs compiled templates the way the runtime will, with AutoEscape semantics.

stdin: one JSON list of {"name", "py", "vars"}; stdout: one JSON list of {"name", "out"} or
{"name", "error": {"type", "message", "line"}}. Custom tags render as
[Name k='v' …|content] so that a test sees the attributes' names, types and order.
"""
import html
import json
import sys
import traceback


class Markup(str):
    pass


def run(case):
    out = []
    stack = []

    def write(text):
        assert isinstance(text, str), 'output must be str, got %r' % (text,)
        (stack[-1][2] if stack else out).append(text)

    def pse_str(value):
        return str(value) if isinstance(value, Markup) else html.escape(str(value))

    def pse_attr(name, value):
        return ' %s="%s"' % (name, value if isinstance(value, Markup) else html.escape(str(value)))

    def pse_battr(name, cond):
        return ' ' + name if cond else ''

    def render(name, attrs, parts):
        shown = ''.join(' %s=%r' % (k, v) for k, v in attrs.items())
        return '[%s%s%s]' % (name, shown, '' if parts is None else '|' + ''.join(parts))

    def tag_open(name, attrs, empty):
        assert isinstance(attrs, dict) and isinstance(empty, bool)
        if empty:
            write(render(name, attrs, None))
        else:
            stack.append((name, attrs, []))

    def tag_close(name):
        open_name, attrs, parts = stack.pop()
        assert open_name == name, 'closing %s while %s is open' % (name, open_name)
        write(render(name, attrs, parts))

    ns = {
        '__name__': '__pse_template__',
        '__pse_out__': write,
        '__pse_str__': pse_str,
        '__pse_attr__': pse_attr,
        '__pse_battr__': pse_battr,
        '__pse_tag_open__': tag_open,
        '__pse_tag_close__': tag_close,
        'Markup': Markup,
    }
    ns.update(case.get('vars') or {})
    try:
        exec(compile(case['py'], case['name'], 'exec', dont_inherit=True), ns)
        assert not stack, 'custom tags left open: %r' % (stack,)
    except Exception as e:  # the test decides whether an error was expected
        line = 0
        if isinstance(e, SyntaxError):
            line = e.lineno or 0
        else:
            for frame in traceback.extract_tb(e.__traceback__):
                if frame.filename == case['name']:
                    line = frame.lineno
        return {'name': case['name'], 'error': {'type': type(e).__name__, 'message': str(e), 'line': line}}
    return {'name': case['name'], 'out': ''.join(out)}


def main():
    sys.stdin.reconfigure(encoding='utf-8', errors='surrogatepass')
    cases = json.loads(sys.stdin.read())
    results = [run(c) for c in cases]
    sys.stdout.write(json.dumps(results))


if __name__ == '__main__':
    main()
