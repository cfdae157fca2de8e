import pickle
import unittest

from pse import _admin
from pse.plugins.session import PROTOCOL


def ns(d):
    return pickle.dumps(d, protocol=PROTOCOL)


class AdminTest(unittest.TestCase):
    def ok(self, header, blobs):
        fields, out = _admin.run(header, blobs)
        self.assertTrue(fields['ok'], fields)
        self.assertEqual(fields['pickle'], 0)
        return pickle.loads(out[0]), fields['preview']

    def error(self, header, blobs=()):
        fields, out = _admin.run(header, list(blobs))
        self.assertFalse(fields['ok'])
        self.assertEqual(out, [])
        return fields['error']

    def test_set_from_literals(self):
        value, preview = self.ok({'op': 'set', 'pickle': 0, 'key': "'name'", 'literal': "{'a': [1, 2.5, None], 'b': (True, b'x')}"}, [ns({'n': 1})])
        self.assertEqual(value, {'n': 1, 'name': {'a': [1, 2.5, None], 'b': (True, b'x')}})
        self.assertEqual(preview['t'], 'dict')
        value, _ = self.ok({'op': 'set', 'key': '3', 'literal': '-1'}, [])
        self.assertEqual(value, {3: -1})
        value, _ = self.ok({'op': 'set', 'key': "'s'", 'literal': 'set()'}, [])
        self.assertEqual(value, {'s': set()})

    def test_the_result_is_a_plain_pickle_of_the_session_protocol(self):
        _, out = _admin.run({'op': 'set', 'key': "'a'", 'literal': '1'}, [])
        self.assertEqual(out[0], ns({'a': 1}))

    def test_code_is_refused_with_its_position(self):
        err = self.error({'op': 'set', 'key': "'a'", 'literal': "[1, __import__('os').system('true')]"})
        self.assertIn('only literals', err['message'])
        self.assertIn('value', err['message'])
        self.assertEqual((err['line'], err['col']), (1, 5))
        err = self.error({'op': 'set', 'key': "'a'", 'literal': '(1,\n 2 +* 3)'})
        self.assertIn('invalid Python literal', err['message'])
        self.assertEqual(err['line'], 2)
        self.assertGreater(err['col'], 1)
        err = self.error({'op': 'set', 'key': 'name', 'literal': '1'})
        self.assertIn('key: only literals', err['message'])

    def test_operators_without_a_position_of_their_own_are_refused_at_their_expression(self):
        err = self.error({'op': 'set', 'key': "'a'", 'literal': '[1, 2 ** 3]'})
        self.assertIn('only literals', err['message'])
        self.assertIn('**', err['message'])
        self.assertEqual((err['line'], err['col']), (1, 5))
        err = self.error({'op': 'set', 'key': "'a'", 'literal': '(1,\n 2 * 3)'})
        self.assertIn('the operator *', err['message'])
        self.assertEqual((err['line'], err['col']), (2, 2))
        err = self.error({'op': 'set', 'key': '9 ** 99', 'literal': '1'})
        self.assertIn('key: only literals', err['message'])

    def test_unhashable_key(self):
        self.assertIn('not hashable', self.error({'op': 'set', 'key': '[1]', 'literal': '1'})['message'])

    def test_delete_and_clear(self):
        value, _ = self.ok({'op': 'delete', 'pickle': 0, 'key': "'a'"}, [ns({'a': 1, 'b': 2})])
        self.assertEqual(value, {'b': 2})
        err = self.error({'op': 'delete', 'pickle': 0, 'key': "'zz'"}, [ns({'a': 1})])
        self.assertIn("'zz' is not in the namespace", err['message'])
        value, _ = self.ok({'op': 'clear', 'pickle': 0}, [ns({'a': 1})])
        self.assertEqual(value, {})

    def test_restore(self):
        recorded = ns({'old': 'state'})
        fields, out = _admin.run({'op': 'restore', 'pickle': 0, 'from': 1}, [ns({'new': 1}), recorded])
        self.assertTrue(fields['ok'])
        self.assertEqual(out[0], recorded)
        self.assertIn('not a dict', self.error({'op': 'restore', 'from': 0}, [ns([1])])['message'])
        self.assertIn('cannot be unpickled', self.error({'op': 'restore', 'from': 0}, [b'junk'])['message'])

    def test_unknown_op(self):
        self.assertIn('unknown admin operation', self.error({'op': 'eval'})['message'])


if __name__ == '__main__':
    unittest.main()
