"""The session read path's shortcut: a plain baseline seen before is copied, not unpickled."""
import pickle
import unittest

from pse._fields import PSEstr
from pse._preview import preview_namespace
from pse import _session_memo as memo
from pse.plugins import session
from tests.test_session_plugin import ID, FakeReq, run


class Loaded:
    """A stored value that counts how often it is unpickled."""

    count = 0

    def __init__(self):
        self.x = 1

    def __setstate__(self, state):
        Loaded.count += 1
        self.__dict__.update(state)


class KnownBaselineTest(unittest.TestCase):
    """A baseline of plain scalars seen before is copied, not unpickled, and a read that leaves
    the very same objects in place is known unchanged without pickling: the committed bytes
    must be exactly what the full path (pickle, compare bytes) would commit."""

    def setUp(self):
        memo.KNOWN.clear()
        memo._SEEN.clear()

    def change(self, stored, body):
        """Run ``body(d)`` three times on a session holding ``stored``: the first time (loaded once)
        and the second (loaded again) take the full path, the third copies the known baseline."""
        outs = []
        for _ in range(3):
            outs.append(run(FakeReq({'id': ID, 'ns': {'': stored}}), lambda: body(session.new())))
        self.assertEqual(outs[0], outs[2])
        return outs[2]

    def test_a_read_is_known_unchanged(self):
        data = {'name': 'Nick', 'n': 3, 'f': 1.5, 'ok': True, 'none': None}
        header, blobs = self.change(data, lambda d: d.get('name'))
        self.assertEqual((header['changed'], header['previews'], blobs), ({}, {}, []))
        self.assertEqual(len(memo.KNOWN), 1)

    def test_a_change_is_previewed_afresh(self):
        header, _ = self.change({'name': 'Nick'}, lambda d: d.__setitem__('name', 'Ann'))
        self.assertEqual(header['previews'][''], preview_namespace({'name': 'Ann'}))
        self.assertIn('', header['changed'])

    def test_the_copy_is_a_session_dict_of_its_own(self):
        def body(d):
            self.assertIsInstance(d, session.SessionDict)
            self.assertTrue(d.has_key('name'))
            d['name'] = 'Ann'
        header, blobs = self.change({'name': 'Nick'}, body)
        self.assertEqual(pickle.loads(blobs[header['changed']['']]), {'name': 'Ann'})
        # the memo's dict was not touched by the page
        self.assertEqual(next(iter(memo.KNOWN.values())).items, {'name': 'Nick'})

    def test_an_equal_value_of_another_type_is_a_change(self):
        for new in (True, 1.0):
            header, blobs = self.change({'a': 1}, lambda d: d.__setitem__('a', new))
            self.assertEqual(pickle.loads(blobs[header['changed']['']]), {'a': new})

    def test_form_values_are_compared_and_stored_as_str(self):
        header, blobs = self.change({'name': 'Nick'}, lambda d: d.__setitem__('name', PSEstr('Nick')))
        self.assertEqual((header['changed'], blobs), ({}, []))  # the same bytes: no change
        header, blobs = self.change({'name': 'Nick'}, lambda d: d.__setitem__('name', PSEstr('Ann')))
        stored = pickle.loads(blobs[header['changed']['']])
        self.assertIs(type(stored['name']), str)

    def test_the_same_items_in_another_order_are_a_change(self):
        def body(d):
            d['a'] = d.pop('a')
        header, blobs = self.change({'a': 1, 'b': 2}, body)
        self.assertEqual(list(pickle.loads(blobs[header['changed']['']])), ['b', 'a'])

    def test_a_shared_string_is_a_change_as_its_bytes_differ(self):
        def body(d):
            d['b'] = d['a']  # equal before, but now the same object: pickled with a memo reference
        stored = {'a': ''.join(['x'] * 20), 'b': ''.join(['x'] * 20)}  # two equal objects
        header, blobs = self.change(stored, body)
        self.assertIn('', header['changed'])
        self.assertEqual(pickle.loads(blobs[0]), stored)

    def test_a_pickle_of_another_protocol_is_rewritten_as_before(self):
        raw = pickle.dumps({'a': 1}, protocol=2)
        header, blobs = self.change(raw, lambda d: d.get('a'))
        self.assertEqual(pickle.loads(blobs[header['changed']['']]), {'a': 1})
        self.assertEqual(blobs[0], pickle.dumps({'a': 1}, protocol=session.PROTOCOL))

    def test_containers_are_not_memoised(self):
        header, blobs = self.change({'l': [1]}, lambda d: d['l'].append(2))
        self.assertEqual(pickle.loads(blobs[header['changed']['']]), {'l': [1, 2]})
        self.assertEqual(len(memo.KNOWN), 0)

    def test_other_namespaces_are_unpickled_once_per_use(self):
        Loaded.count = 0
        stored = {'o': Loaded(), 'n': 1}
        for i in range(3):
            run(FakeReq({'id': ID, 'ns': {'': stored}}), lambda: session.new())
            self.assertEqual(Loaded.count, i + 1)
        self.assertEqual(len(memo.KNOWN), 0)

    def test_a_pickle_loaded_once_is_not_remembered(self):
        run(FakeReq({'id': ID, 'ns': {'': {'a': 1}}}), lambda: session.new())
        self.assertEqual(len(memo.KNOWN), 0)
        run(FakeReq({'id': ID, 'ns': {'': {'a': 1}}}), lambda: session.new())
        self.assertEqual(len(memo.KNOWN), 1)

    def test_after_save_the_saved_bytes_are_the_baseline(self):
        req = FakeReq({'id': ID, 'ns': {'': {'a': 'x'}}})
        for _ in range(2):  # now known
            run(FakeReq({'id': ID, 'ns': {'': {'a': 'x'}}}), lambda: session.new())

        def body():
            d = session.new()
            old = d['a']
            d['a'] = 'y'
            session.save()
            d['a'] = old  # the object of the old baseline: a change against the saved one
        header, blobs = run(req, body)
        self.assertEqual(pickle.loads(blobs[header['changed']['']]), {'a': 'x'})

    def test_delete_then_new_starts_empty(self):
        req = FakeReq({'id': ID, 'ns': {'': {}, 'spam': {'a': 1}}})
        for _ in range(2):  # now known
            run(FakeReq({'id': ID, 'ns': {'spam': {'a': 1}}}), lambda: session.new('spam'))

        def body():
            session.new('spam')
            session.delete('spam')
            self.assertEqual(session.new('spam'), {})
        header, _ = run(req, body)
        self.assertEqual(header['deleted'], ['spam'])

    def test_the_memo_stays_bounded(self):
        for i in range(memo._KNOWN_SIZE + 5):
            for _ in range(2):
                run(FakeReq({'id': ID, 'ns': {'': {'n': i}}}), lambda: session.new())
        self.assertLessEqual(len(memo.KNOWN), memo._KNOWN_SIZE)
        self.assertLessEqual(len(memo._SEEN), memo._KNOWN_SIZE)


if __name__ == '__main__':
    unittest.main()
