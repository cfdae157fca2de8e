"""Preview overrides for included/called files, and the session cookie of a streamed page."""
import os
import pickle
import shutil
import tempfile
import unittest

from pse.plugins import session
from tests._client import Worker, config, write_app

APP = {
    'page.pt': 'x',
    'page.pty': "pse.include('part')\n__pse_out__('|')\n__pse_out__(pse.call('part'))\n",
    'include/part.pt': 'disk',
    'include/part.pty': "__pse_out__('disk ' + part_value())\n",
    'include/part.py': "def part_value():\n    return 'module'\n",
    'newinc.pt': 'x',
    'newinc.pty': "pse.include('unsaved_only')\n",
    'flush_first.pt': 'x',
    'flush_first.pty': "from pse.plugins import session\nd = session.new()\npse.flush()\nd['n'] = 1\n"
                       "__pse_out__('done')\n",
    'flush_late.pt': 'x',
    'flush_late.pty': "from pse.plugins import session\npse.flush()\nsession.new()['n'] = 1\n__pse_out__('late')\n",
    'flush_none.pt': 'x',
    'flush_none.pty': "pse.flush()\n__pse_out__('plain')\n",
    'flush_regen.pt': 'x',
    'flush_regen.pty': "from pse.plugins import session\nsession.new()['k'] = 1\npse.flush()\n"
                       "session.regenerate()\n",
}


def src(path, py):
    return {'py': py, 'map': [[1, 1, 1]], 'file': path}


class OverrideTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix='pse-overrides-')
        cls.app = write_app(cls.dir, APP)
        cls.w = Worker(cls.app)
        cls.w.wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.w.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_included_and_called_files_use_the_override_map_uncached(self):
        part = os.path.join(self.app, 'include', 'part.pt')
        part_py = os.path.join(self.app, 'include', 'part.py')
        self.assertEqual(self.w.page('page.pt'), 'disk module|disk module')
        override = {'templates': {part: src(part, "__pse_out__('draft ' + part_value())\n")},
                    'modules': {part_py: "def part_value():\n    return 'unsaved'\n"}}
        self.assertEqual(self.w.page('page.pt', override=override), 'draft unsaved|draft unsaved')
        # never cached: the files on disk again
        self.assertEqual(self.w.page('page.pt'), 'disk module|disk module')

    def test_an_include_that_exists_only_as_unsaved_text_is_found(self):
        path = os.path.join(self.app, 'include', 'unsaved_only.pt')
        override = {'templates': {path: src(path, "__pse_out__('only in the editor')\n")}}
        self.assertEqual(self.w.page('newinc.pt', override=override), 'only in the editor')
        head, _ = self.w.request('newinc.pt')
        self.assertIn('unsaved_only', head['error']['message'])

    def test_a_broken_override_of_an_include_names_that_file(self):
        part_py = os.path.join(self.app, 'include', 'part.py')
        head, _ = self.w.request('page.pt', override={'modules': {part_py: 'def part_value(:\n'}})
        self.assertEqual(head['error']['type'], 'SyntaxError')
        self.assertEqual(head['error']['frames'][0]['file'], part_py)


def set_cookies(chunks):
    return [v for k, v in chunks[0][0]['head']['headers'] if k == 'Set-Cookie']


class StreamedSessionCookieTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix='pse-stream-session-')
        cls.app = write_app(cls.dir, APP)
        cfg = config(cls.app, plugins={}, session={'cookieName': 'sid', 'cookieSecure': True,
                                                   'cookieExpires': 30})
        cls.w = Worker(cls.app, cfg)
        cls.w.wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.w.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_a_session_used_before_the_flush_sends_its_cookie_with_the_head(self):
        chunks = []
        head, _ = self.w.request('flush_first.pt', chunks)
        cookies = set_cookies(chunks)
        self.assertEqual(len(cookies), 1)
        sid = head['session']['id']
        self.assertTrue(head['session']['created'])
        self.assertEqual(cookies[0], 'sid=%s; Max-Age=1800; Path=/; HttpOnly; Secure; SameSite=Lax' % sid)

    def test_an_existing_session_with_a_lifetime_slides_in_the_head(self):
        chunks = []
        sess = {'id': 'S' * 43, 'ns': {'': 0}}
        self.w.request('flush_first.pt', chunks, session=sess, blobs=[pickle.dumps({'n': 0}, protocol=5)])
        self.assertEqual(set_cookies(chunks), ['sid=%s; Max-Age=1800; Path=/; HttpOnly; Secure; SameSite=Lax'
                                               % ('S' * 43)])

    def test_a_dry_run_sends_no_cookie(self):
        chunks = []
        self.w.logs.clear()
        head, _ = self.w.request('flush_first.pt', chunks, dry=True)
        self.assertEqual(set_cookies(chunks), [])
        self.assertIn('session', head)
        self.assertEqual([m for m in self.w.logs if m['level'] == 'WARNING'], [])

    def test_a_page_that_never_touches_the_session_sends_no_cookie(self):
        chunks = []
        head, _ = self.w.request('flush_none.pt', chunks)
        self.assertEqual(set_cookies(chunks), [])
        self.assertNotIn('session', head)

    def test_a_session_first_used_after_the_flush_is_kept_and_logged(self):
        chunks = []
        self.w.logs.clear()
        head, _ = self.w.request('flush_late.pt', chunks)
        self.assertEqual(set_cookies(chunks), [])
        self.assertTrue(head['session']['created'])
        warnings = [m for m in self.w.logs if m['level'] == 'WARNING']
        self.assertEqual(len(warnings), 1, self.w.logs)
        self.assertIn('/flush_late.pt stored a new session after pse.flush()', warnings[0]['msg'])

    def test_regenerate_after_the_cookie_went_out_fails(self):
        head, _ = self.w.request('flush_regen.pt', [])
        self.assertTrue(head['error']['type'].endswith('SessionError'), head['error']['type'])
        self.assertIn('regenerate() after pse.flush()', head['error']['message'])


class SetCookieFormatTest(unittest.TestCase):
    def test_matches_node_without_a_lifetime_or_secure(self):
        self.assertEqual(session.set_cookie('abc', {'cookieName': 'pse_session', 'cookieSecure': False}),
                         'pse_session=abc; Path=/; HttpOnly; SameSite=Lax')


if __name__ == '__main__':
    unittest.main()
