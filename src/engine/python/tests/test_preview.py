import datetime
import json
import unittest

from pse import _preview
from pse._preview import preview, preview_namespace


class PreviewTest(unittest.TestCase):
    def test_scalars(self):
        self.assertEqual(preview(None), {'t': 'none'})
        self.assertEqual(preview(True), {'t': 'bool', 'v': True})
        self.assertEqual(preview(10 ** 30), {'t': 'int', 'v': str(10 ** 30)})
        self.assertEqual(preview(1.5), {'t': 'float', 'v': 1.5})
        self.assertEqual(preview(float('nan')), {'t': 'float', 'v': 'nan'})
        self.assertEqual(preview(b'ab'), {'t': 'bytes', 'v': "b'ab'", 'len': 2})
        self.assertEqual(preview(datetime.date(2024, 1, 2)), {'t': 'date', 'v': '2024-01-02'})
        self.assertEqual(preview(datetime.datetime(2024, 1, 2, 3, 4)), {'t': 'datetime', 'v': '2024-01-02T03:04:00'})

    def test_containers_keep_type_and_order(self):
        p = preview({'a': [1, (2,)], 3: {'x'}})
        self.assertEqual(p, {'t': 'dict', 'v': [
            ['a', {'t': 'list', 'v': [{'t': 'int', 'v': '1'}, {'t': 'tuple', 'v': [{'t': 'int', 'v': '2'}]}]}],
            ['3', {'t': 'set', 'v': [{'t': 'str', 'v': 'x'}]}],
        ]})

    def test_caps(self):
        s = 'x' * (_preview.MAX_STR + 7)
        self.assertEqual(preview(s)['more'], 7)
        p = preview(list(range(_preview.MAX_ITEMS + 3)))
        self.assertEqual(len(p['v']), _preview.MAX_ITEMS)
        self.assertEqual(p['more'], 3)
        deep = []
        cur = deep
        for _ in range(20):
            nxt = []
            cur.append(nxt)
            cur = nxt
        text = json.dumps(preview(deep))
        self.assertIn('"cut"', text)
        self.assertEqual(preview(bytes(1000))['len'], 1000)
        ns = {str(i): i for i in range(_preview.MAX_ITEMS + 10)}
        self.assertNotIn('more', preview_namespace(ns))
        big = [[i] * 50 for i in range(200)]
        self.assertIn('"cut"', json.dumps(preview(big, 200)))

    def test_objects_and_broken_repr(self):
        class Broken:
            def __repr__(self):
                raise RuntimeError('no')
        p = preview(Broken())
        self.assertEqual(p['t'], 'object')
        self.assertIn('repr() failed', p['repr'])
        self.assertTrue(p['type'].endswith('Broken'))

    def test_sets_preview_in_a_stable_order(self):
        self.assertEqual(preview({'b', 'a', 'c'}), preview({'c', 'a', 'b'}))

    def test_subclasses_preview_as_their_base_type(self):
        class S(str):
            pass

        class I(int):
            pass

        class D(dict):
            pass

        class L(list):
            pass

        self.assertEqual(preview(S('a')), {'t': 'str', 'v': 'a'})
        self.assertEqual(preview(I(3)), {'t': 'int', 'v': '3'})
        self.assertEqual(preview(D(a=1)), {'t': 'dict', 'v': [['a', {'t': 'int', 'v': '1'}]]})
        self.assertEqual(preview(L([True])), {'t': 'list', 'v': [{'t': 'bool', 'v': True}]})
        self.assertEqual(preview(bytearray(b'x')), {'t': 'bytes', 'v': "b'x'", 'len': 1})
        # a second time from the kind remembered for the type: the same
        self.assertIn(S, _preview._KINDS)
        self.assertEqual(preview(S('b')), {'t': 'str', 'v': 'b'})
        self.assertEqual(preview(D(a=2)), {'t': 'dict', 'v': [['a', {'t': 'int', 'v': '2'}]]})

    def test_subclasses_of_date_and_datetime_keep_their_kind(self):
        class Day(datetime.date):
            pass

        for _ in range(2):
            self.assertEqual(preview(Day(2024, 1, 2)), {'t': 'date', 'v': '2024-01-02'})
            self.assertEqual(preview(datetime.datetime(2024, 1, 2)), {'t': 'datetime', 'v': '2024-01-02T00:00:00'})

    def test_a_class_that_claims_another_is_not_remembered_by_its_type(self):
        class Proxy:
            def __init__(self, target):
                self.target = target

            @property
            def __class__(self):
                return type(self.target)

            def items(self):
                return self.target.items()

            def __len__(self):
                return len(self.target)

            def __repr__(self):
                return 'Proxy(%r)' % (self.target,)

        # isinstance believes its __class__: a proxy of a dict previews as a dict, one of an
        # object as that object, each time
        for _ in range(2):
            self.assertEqual(preview(Proxy({'a': 1}))['t'], 'dict')
            self.assertEqual(preview(Proxy(object()))['t'], 'object')
        self.assertNotIn(Proxy, _preview._KINDS)

    def test_the_kinds_remembered_stay_bounded(self):
        for i in range(_preview._KINDS_MAX + 10):
            preview(type('T%d' % i, (dict,), {})())
        self.assertLessEqual(len(_preview._KINDS), _preview._KINDS_MAX)
        self.assertEqual(preview({'a': None}), {'t': 'dict', 'v': [['a', {'t': 'none'}]]})

    def test_scope_says_whether_anything_was_left_out(self):
        def capped(ns):
            return _preview.preview_scope(ns)['capped']

        self.assertFalse(capped({'a': 1, 'b': 'x', 'c': [1, 2], 'd': {'k': (None, 2.5)}}))
        self.assertFalse(capped({}))
        self.assertTrue(capped({'s': 'x' * (_preview.MAX_STR + 1)}))
        self.assertTrue(capped({'l': list(range(_preview.SCOPE_ITEMS + 1))}))
        self.assertTrue(capped({'d': {i: i for i in range(_preview.SCOPE_ITEMS + 1)}}))
        self.assertTrue(capped({'deep': [[[1]]]}))  # containers two levels below a name are cut
        self.assertTrue(capped({str(i): i for i in range(_preview.SCOPE_NAMES + 1)}))
        self.assertTrue(capped({str(i): [0, 1, 2, 3] for i in range(60)}))  # the node budget
        # within every cap: shown whole
        self.assertFalse(capped({'l': list(range(_preview.SCOPE_ITEMS)), 'n': [[1]]}))

    def test_scope_shows_the_pages_own_names(self):
        ns = {'__builtins__': {}, 'json': json, 'a': 1, '__pse_out__': print, 2: 'not a name', 'b': 'x'}
        self.assertEqual(_preview.preview_scope(ns), {'value': {'t': 'dict', 'v': [
            ['a', {'t': 'int', 'v': '1'}], ['b', {'t': 'str', 'v': 'x'}]]}, 'capped': False})
        # past SCOPE_NAMES, `more` counts the page's names left out, not the hidden ones
        many = {'__doc__': None, 'os': json}
        many.update(('n%d' % i, i) for i in range(_preview.SCOPE_NAMES + 3))
        many['__file__'] = 'x'
        value = _preview.preview_scope(many)['value']
        self.assertEqual(len(value['v']), _preview.SCOPE_NAMES)
        self.assertEqual(value['more'], 3)

    def test_json_safe(self):
        json.dumps(preview({'k': [1, 2.5, None, b'x', {1, 2}, frozenset(), object()]}), allow_nan=False)


if __name__ == '__main__':
    unittest.main()
