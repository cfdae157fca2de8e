"""The session read path's shortcut: a namespace read but not changed reuses its preview."""
import unittest

from pse._preview import preview_namespace
from pse.plugins import session
from tests.test_session_plugin import ID, FakeReq, run


class UnchangedPreviewTest(unittest.TestCase):
    def setUp(self):
        session._PREVIEW_MEMO.clear()

    def read(self, data):
        out = run(FakeReq({'id': ID, 'ns': {'': data}}), lambda: session.new().get('name'))
        self.assertIsNotNone(out)
        header, blobs = out
        self.assertEqual(header['changed'], {})
        self.assertEqual(blobs, [])
        return header['previews']['']

    def test_a_read_previews_what_is_stored(self):
        data = {'name': 'Nick', 'visits': [1, 2, 3]}
        self.assertEqual(self.read(data), preview_namespace(data))
        # the second read of the same bytes is answered from the memo, and says the same
        self.assertEqual(len(session._PREVIEW_MEMO), 1)
        self.assertEqual(self.read(data), preview_namespace(data))

    def test_other_contents_get_their_own_preview(self):
        self.read({'name': 'Nick'})
        self.assertEqual(self.read({'name': 'Ann'}), preview_namespace({'name': 'Ann'}))

    def test_a_change_is_previewed_afresh(self):
        self.read({'name': 'Nick'})
        req = FakeReq({'id': ID, 'ns': {'': {'name': 'Nick'}}})
        header, _ = run(req, lambda: session.new().__setitem__('name', 'Ann'))
        self.assertEqual(header['previews'][''], preview_namespace({'name': 'Ann'}))
        self.assertIn('', header['changed'])

    def test_big_namespaces_are_not_kept(self):
        big = {'blob': 'x' * (session._PREVIEW_MEMO_BYTES + 1)}
        self.assertEqual(self.read(big), preview_namespace(big))
        self.assertEqual(len(session._PREVIEW_MEMO), 0)

    def test_the_memo_stays_bounded(self):
        for i in range(session._PREVIEW_MEMO_SIZE + 5):
            self.read({'n': i})
        self.assertLessEqual(len(session._PREVIEW_MEMO), session._PREVIEW_MEMO_SIZE)
        self.assertEqual(self.read({'n': 3}), preview_namespace({'n': 3}))


if __name__ == '__main__':
    unittest.main()
