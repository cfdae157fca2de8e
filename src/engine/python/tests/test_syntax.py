"""pse._syntax: the syntax check of generated template code."""
import unittest

from pse import _syntax


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


if __name__ == '__main__':
    unittest.main()
