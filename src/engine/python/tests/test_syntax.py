"""pse._syntax: the syntax check of generated template code, as a function and as a process."""
import io
import json
import os
import subprocess
import sys
import unittest

from pse import _syntax

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'pse', '_syntax.py')


class CheckTest(unittest.TestCase):
    def test_valid_code_has_no_error(self):
        self.assertEqual(_syntax.check([{'name': 'a', 'code': "x = 1\nif x:\n    __pse_out__('y')\n"}]), [])

    def test_syntax_error_has_line_column_and_message(self):
        errors = _syntax.check([{'name': 'ok', 'code': 'x = 1\n'}, {'name': 'bad', 'code': 'x = 1\ny = (1 +\n'}])
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0]['name'], 'bad')
        self.assertEqual((errors[0]['line'], errors[0]['col']), (2, 5))
        self.assertIn('never closed', errors[0]['message'])

    def test_indentation_error_is_a_syntax_error(self):
        [err] = _syntax.check([{'name': 'i', 'code': 'if x:\npass\n'}])
        self.assertEqual(err['line'], 2)
        self.assertIn('indented block', err['message'])

    def test_null_bytes_and_surrogates_are_reported_not_raised(self):
        errors = _syntax.check([{'name': 'n', 'code': 'x = 1\x00\n'}, {'name': 's', 'code': 'x = "\ud800"\n'}])
        self.assertEqual([e['name'] for e in errors], ['n', 's'])
        for e in errors:
            self.assertGreaterEqual(e['line'], 1)
            self.assertGreaterEqual(e['col'], 1)

    def test_errors_found_only_at_compile_time(self):
        [err] = _syntax.check([{'name': 'r', 'code': 'return 1\n'}])
        self.assertIn("'return' outside function", err['message'])


class ProtocolTest(unittest.TestCase):
    def test_main_answers_each_line_in_order(self):
        requests = [
            {'id': 1, 'sources': [{'name': 'a', 'code': 'x ='}]},
            {'id': 2, 'sources': []},
            'not json',
            {'id': 3, 'sources': 'wrong'},
        ]
        stdin = io.StringIO(''.join((r if isinstance(r, str) else json.dumps(r)) + '\n' for r in requests))
        stdout = io.StringIO()
        _syntax.main(stdin, stdout)
        answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
        self.assertEqual(answers[0]['id'], 1)
        self.assertEqual(answers[0]['errors'][0]['line'], 1)
        self.assertEqual(answers[1], {'id': 2, 'errors': []})
        self.assertIsNone(answers[2]['id'])
        self.assertIn('not JSON', answers[2]['error'])
        self.assertEqual(answers[3]['id'], 3)
        self.assertIn('sources', answers[3]['error'])

    def test_runs_as_a_script(self):
        request = json.dumps({'id': 7, 'sources': [{'name': 'p.pt', 'code': 'if x:\n'}]}) + '\n'
        done = subprocess.run([sys.executable, '-u', SCRIPT], input=request, capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        answer = json.loads(done.stdout)
        self.assertEqual(answer['id'], 7)
        self.assertEqual(answer['errors'][0]['name'], 'p.pt')


if __name__ == '__main__':
    unittest.main()
