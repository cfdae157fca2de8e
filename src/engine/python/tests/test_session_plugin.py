"""The session plugin against a hand-built `req` (the worker's PluginRequest interface)."""
import pickle
import re
import threading
import unittest

from pse._fields import PSElist, PSEstr
from pse.plugins import session


class FakeReq:
    """Just the names the plugin uses: job, blob(), dry, call(), session_out."""

    def __init__(self, sess=None, dry=False, save_ok=True):
        self.blobs = []
        ns = {}
        if sess is not None:
            for name, value in sess['ns'].items():
                raw = value if isinstance(value, bytes) else pickle.dumps(value, protocol=session.PROTOCOL)
                ns[name] = len(self.blobs)
                self.blobs.append(raw)
        self.job = {'id': 1, 'session': {'id': sess['id'], 'ns': ns} if sess is not None else None}
        self.dry = dry
        self.calls = []
        self.save_ok = save_ok
        self.session_out = None

    def blob(self, i):
        return self.blobs[i]

    def call(self, op, fields, blobs=()):
        self.calls.append((op, fields, list(blobs)))
        if self.save_ok:
            return {'ok': True}, []
        return {'ok': False, 'error': {'message': 'store is read-only'}}, []


ID = 'A' * 43


def run(req, body, success=True):
    session.initialize(session, req)
    try:
        body()
    finally:
        session.finalize(session, req, success)
    return req.session_out


def unpickled(out, name=''):
    header, blobs = out
    return pickle.loads(blobs[header['changed'][name]])


class NewSessionTest(unittest.TestCase):
    def test_nothing_stored_creates_nothing(self):
        req = FakeReq()
        out = run(req, lambda: session.new().get('name'))
        self.assertIsNone(out)

    def test_first_store_creates_with_a_fresh_id(self):
        req = FakeReq()
        seen = {}

        def body():
            self.assertTrue(session.is_new)
            session.new()['name'] = 'Nick'
            seen['id'] = session.id
        out = run(req, body)
        header, _ = out
        self.assertTrue(header['created'])
        self.assertEqual(header['id'], seen['id'])
        self.assertRegex(header['id'], r'^[A-Za-z0-9_-]{43}$')
        self.assertEqual(unpickled(out), {'name': 'Nick'})
        self.assertEqual(header['previews'][''], {'t': 'dict', 'v': [['name', {'t': 'str', 'v': 'Nick'}]]})

    def test_ids_differ_between_sessions(self):
        ids = set()
        for _ in range(20):
            out = run(FakeReq(), lambda: session.new().update(a=1))
            ids.add(out[0]['id'])
        self.assertEqual(len(ids), 20)


class ExistingSessionTest(unittest.TestCase):
    def test_read_only_sends_no_change_and_no_preview(self):
        req = FakeReq({'id': ID, 'ns': {'': {'name': 'Nick'}}})
        out = run(req, lambda: self.assertEqual(session.new()['name'], 'Nick'))
        header, blobs = out
        self.assertEqual(header['changed'], {})
        self.assertEqual(blobs, [])
        self.assertFalse(header['created'])
        # Node keeps the stored preview of a namespace that did not change
        self.assertEqual(header['previews'], {})

    def test_only_changed_namespaces_are_previewed(self):
        req = FakeReq({'id': ID, 'ns': {'': {'name': 'Nick'}, 'cart': {'n': 1}}})

        def body():
            session.new().get('name')
            session.new('cart')['n'] = 2
            session.new('empty')  # new and left empty: not stored, so not previewed
        header, _ = run(req, body)
        self.assertEqual(list(header['changed']), ['cart'])
        self.assertEqual(header['previews'], {'cart': {'t': 'dict', 'v': [['n', {'t': 'int', 'v': '2'}]]}})

    def test_untouched_session_sends_nothing(self):
        out = run(FakeReq({'id': ID, 'ns': {'': {'a': 1}}}), lambda: None)
        self.assertIsNone(out)

    def test_unpickles_lazily(self):
        # A broken namespace that the servlet never asks for costs nothing and breaks nothing.
        req = FakeReq({'id': ID, 'ns': {'': {'a': 1}, 'broken': b'not a pickle'}})
        out = run(req, lambda: session.new().__setitem__('a', 2))
        self.assertEqual(unpickled(out), {'a': 2})
        self.assertNotIn('broken', out[0]['changed'])

        def body():
            with self.assertRaisesRegex(session.SessionError, "'broken' cannot be unpickled"):
                session.new('broken')
        run(FakeReq({'id': ID, 'ns': {'broken': b'xx'}}), body)

    def test_named_namespaces_and_has_key(self):
        req = FakeReq({'id': ID, 'ns': {'': {'a': 1}}})

        def body():
            spam = session.new('spam')
            self.assertFalse(spam.has_key('x'))
            spam['x'] = [1, 2]
            self.assertTrue(session.new('spam').has_key('x'))
            self.assertIs(session.new('spam'), spam)
        out = run(req, body)
        self.assertEqual(list(out[0]['changed']), ['spam'])
        self.assertEqual(unpickled(out, 'spam'), {'x': [1, 2]})

    def test_delete_named_and_standard(self):
        req = FakeReq({'id': ID, 'ns': {'': {'a': 1}, 'spam': {'x': 1}}})

        def body():
            session.delete('spam')
            with self.assertRaisesRegex(session.SessionError, 'standard session dictionary cannot be deleted'):
                session.delete()
            with self.assertRaisesRegex(session.SessionError, 'cannot be deleted'):
                session.delete(None)
            self.assertEqual(session.new('spam'), {})  # a fresh one after the delete
        out = run(req, body)
        self.assertEqual(out[0]['deleted'], ['spam'])

    def test_bad_names(self):
        def body():
            with self.assertRaisesRegex(session.SessionError, "starting with '_'"):
                session.new('_private')
            with self.assertRaisesRegex(session.SessionError, 'names are str'):
                session.new(3)
        run(FakeReq(), body)

    def test_clear(self):
        out = run(FakeReq({'id': ID, 'ns': {'': {'a': 1}}}), lambda: session.new().clear())
        self.assertEqual(unpickled(out), {})

    def test_form_values_are_stored_as_plain_str(self):
        def body():
            d = session.new()
            d['name'] = PSEstr('Nick')
            d['many'] = PSElist([PSEstr('a'), PSEstr('b')])
            d['nested'] = {'t': (PSEstr('x'),), PSEstr('k'): {PSEstr('s')}}
        out = run(FakeReq(), body)
        raw = out[1][0]
        self.assertNotIn(b'pse', raw)
        value = pickle.loads(raw)
        self.assertIs(type(value['name']), str)
        self.assertIs(type(value['many']), list)
        self.assertEqual(value['nested'], {'t': ('x',), 'k': {'s'}})
        self.assertIs(type(next(iter(value['nested']))), str)

    def test_flat_namespace_of_plain_scalars_is_stored_as_is_and_form_str_still_converted(self):
        # _plain skips the walk when every key and value is an exact str/int/float/bool/None:
        # a PSEstr key or value (a str subclass) must still be stored as a plain str.
        req = FakeReq({'id': ID, 'ns': {'': {'n': 1, 'f': 1.5, 'b': True, 'z': None, 's': 'x'}}})

        def body():
            d = session.new()
            d[PSEstr('k')] = 'v'
            d['name'] = PSEstr('Nick')
        raw = run(req, body)[1][0]
        self.assertNotIn(b'pse', raw)
        value = pickle.loads(raw)
        self.assertEqual(value, {'n': 1, 'f': 1.5, 'b': True, 'z': None, 's': 'x', 'k': 'v', 'name': 'Nick'})
        self.assertEqual({type(k) for k in value} | {type(v) for v in value.values()},
                         {str, int, float, bool, type(None)})

    def test_unpicklable_value_names_the_key(self):
        def body():
            session.new()['lock'] = threading.Lock()
        with self.assertRaisesRegex(session.SessionError, r"namespace '' cannot be saved: key 'lock'"):
            run(FakeReq(), body)


class SaveAndFailureTest(unittest.TestCase):
    def test_save_commits_so_far_and_end_sends_only_later_changes(self):
        req = FakeReq({'id': ID, 'ns': {'': {'n': 0}}})

        def body():
            d = session.new()
            d['n'] = 1
            session.save()
            d['m'] = 2
        out = run(req, body)
        self.assertEqual(len(req.calls), 1)
        op, fields, blobs = req.calls[0]
        self.assertEqual(op, 'save')
        self.assertEqual(pickle.loads(blobs[fields['session']['changed']['']]), {'n': 1})
        self.assertEqual(unpickled(out), {'n': 1, 'm': 2})

    def test_save_then_nothing_more_sends_no_change(self):
        req = FakeReq({'id': ID, 'ns': {'': {'n': 0}}})

        def body():
            session.new()['n'] = 1
            session.save()
        out = run(req, body)
        self.assertEqual(out[0]['changed'], {})

    def test_save_of_a_new_session_then_more(self):
        req = FakeReq()

        def body():
            session.new()['a'] = 1
            session.save()
            self.assertFalse(session.is_new)
            session.new()['b'] = 2
        out = run(req, body)
        self.assertTrue(req.calls[0][1]['session']['created'])
        self.assertFalse(out[0]['created'])
        self.assertEqual(out[0]['id'], req.calls[0][1]['session']['id'])

    def test_failed_save_raises(self):
        def body():
            session.new()['a'] = 1
            session.save()
        with self.assertRaisesRegex(session.SessionError, 'store is read-only'):
            run(FakeReq(save_ok=False), body)

    def test_failure_commits_nothing_but_reports_previews(self):
        req = FakeReq({'id': ID, 'ns': {'': {'a': 1}}})
        out = run(req, lambda: session.new().__setitem__('a', 2), success=False)
        header, blobs = out
        self.assertEqual(header['changed'], {})
        self.assertEqual(blobs, [])
        self.assertEqual(header['previews'][''], {'t': 'dict', 'v': [['a', {'t': 'int', 'v': '2'}]]})

    def test_outside_a_request(self):
        with self.assertRaisesRegex(session.SessionError, 'only available while a servlet runs'):
            session.new()


class IdTest(unittest.TestCase):
    def test_regenerate_keeps_data(self):
        req = FakeReq({'id': ID, 'ns': {'': {'a': 1}}})
        seen = {}

        def body():
            session.new()
            seen['new'] = session.regenerate()
            seen['id'] = session.id
        header, _ = run(req, body)
        self.assertEqual(header['id'], ID)
        self.assertEqual(header['regenerated'], seen['new'])
        self.assertEqual(seen['id'], seen['new'])
        self.assertTrue(re.fullmatch(r'[A-Za-z0-9_-]{43}', seen['new']))

    def test_invalidate(self):
        req = FakeReq({'id': ID, 'ns': {'': {'a': 1}, 'spam': {}}})
        header, blobs = run(req, session.invalidate)
        self.assertTrue(header['invalidated'])
        self.assertEqual(header['deleted'], ['', 'spam'])
        self.assertEqual(blobs, [])


if __name__ == '__main__':
    unittest.main()
