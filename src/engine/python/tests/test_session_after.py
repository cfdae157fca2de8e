"""A request that follows another of its session on the same worker (``after``): the copy the
first leaves, the second continuing from it, and the refusals."""
import os
import pickle
import tempfile
import time
import unittest

from pse import _session_after as after
from pse.plugins import session
from tests._client import Worker, config, write_app
from tests.test_session_plugin import ID, FakeReq, run

APP = {
    'count.pt': '', 'count.pty': "from pse.plugins import session\nd = session.new()\n"
                                 "d['n'] = d.get('n', 0) + 1\n__pse_out__(str(d['n']))\n",
    'fail.pt': '', 'fail.pty': "from pse.plugins import session\nsession.new()['n'] = 100\n"
                               "raise ValueError('boom')\n",
    'savefail.pt': '', 'savefail.pty': "from pse.plugins import session\nsession.new()['n'] = 50\n"
                                       "session.save()\nsession.new()['n'] = 60\nraise ValueError('after save')\n",
    'quiet.pt': '', 'quiet.pty': "__pse_out__('no session used')\n",
}


def pickles(out_left):
    sid, ns = out_left
    return sid, {name: pickle.loads(raw) for name, raw in ns.items()}


class LeftByThePluginTest(unittest.TestCase):
    """``req.session_after``: (on success, on failure), each as Node will hold the session."""

    def test_a_change_is_in_the_success_copy_only(self):
        req = FakeReq({'id': ID, 'ns': {'': {'n': 1}, 'spam': {'x': 1}}})
        run(req, lambda: session.new().__setitem__('n', 2))
        ok, failed = req.session_after
        self.assertEqual(pickles(ok), (ID, {'': {'n': 2}, 'spam': {'x': 1}}))
        self.assertEqual(pickles(failed), (ID, {'': {'n': 1}, 'spam': {'x': 1}}))

    def test_a_deleted_namespace_is_gone_on_success(self):
        req = FakeReq({'id': ID, 'ns': {'': {'n': 1}, 'spam': {'x': 1}}})
        run(req, lambda: session.delete('spam'))
        ok, failed = req.session_after
        self.assertEqual(pickles(ok), (ID, {'': {'n': 1}}))
        self.assertEqual(sorted(failed[1]), ['', 'spam'])

    def test_a_failure_keeps_what_save_committed(self):
        req = FakeReq({'id': ID, 'ns': {'': {'n': 1}}})

        def body():
            session.new()['n'] = 2
            session.save()
            session.new()['n'] = 3
        run(req, body, success=False)
        _, failed = req.session_after
        self.assertEqual(pickles(failed), (ID, {'': {'n': 2}}))

    def test_an_untouched_session_is_left_as_it_came(self):
        req = FakeReq({'id': ID, 'ns': {'': {'n': 7}}})
        run(req, lambda: None)
        ok, failed = req.session_after
        self.assertEqual(pickles(ok), (ID, {'': {'n': 7}}))
        self.assertEqual(ok, failed)

    def test_no_copy_of_a_retired_new_unread_or_dry_session(self):
        cases = {
            'regenerate': (FakeReq({'id': ID, 'ns': {'': {'n': 1}}}), session.regenerate),
            'invalidate': (FakeReq({'id': ID, 'ns': {'': {'n': 1}}}), session.invalidate),
            'new session': (FakeReq(), lambda: session.new().__setitem__('n', 1)),
            'dry run': (FakeReq({'id': ID, 'ns': {'': {'n': 1}}}, dry=True),
                        lambda: session.new().__setitem__('n', 2)),
        }
        for what, (req, body) in cases.items():
            with self.subTest(what):
                run(req, body)
                self.assertIsNone(req.session_after)
        # a big namespace Node did not send: its pickle is only in Node
        req = FakeReq({'id': ID, 'ns': {'': {'n': 1}}})
        req.job['session']['lazy'] = ['big']
        run(req, lambda: session.new().__setitem__('n', 2))
        self.assertIsNone(req.session_after)
        req = FakeReq({'id': ID, 'ns': {'': {'n': 1}}})
        req.job['session']['lazy'] = ['big']
        run(req, lambda: None)
        self.assertIsNone(req.session_after)


class SessionsLeftTest(unittest.TestCase):
    def test_each_copy_is_taken_once_and_few_are_kept(self):
        left = after.SessionsLeft(keep=3)
        for job in range(1, 6):
            left.keep(job, (ID, {'': b'x'}))
        left.keep(6, None)
        self.assertEqual(len(left), 3)
        self.assertIsNone(left.take(1))  # the oldest went first
        self.assertEqual(left.take(5), (ID, {'': b'x'}))
        self.assertIsNone(left.take(5))


class FollowingOnTheWorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix='pse-after-')
        cls.app = write_app(cls.dir, APP)
        cls.w = Worker(cls.app, config(cls.app, plugins={}))
        cls.w.wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.w.close()

    def session(self, n):
        return {'session': {'id': ID, 'ns': {'': 0}}, 'blobs': [pickle.dumps({'n': n}, protocol=5)]}

    def send(self, servlet, **fields):
        job, blobs = self.w.job(servlet, **fields)
        self.w.send(job, blobs)
        return job['id']

    def result(self, job_id):
        head, blobs = self.w.collect(job_id)
        return head, blobs

    def stored(self, head, blobs):
        return pickle.loads(blobs[head['session']['changed']['']])['n']

    def test_the_next_request_continues_from_what_the_first_left(self):
        first = self.send('count.pt', **self.session(1))
        second = self.send('count.pt', after=first, deadline=time.time() * 1000 + 10_000)
        third = self.send('count.pt', after=second, deadline=time.time() * 1000 + 10_000)
        for job_id, n in ((first, 2), (second, 3), (third, 4)):
            head, blobs = self.result(job_id)
            self.assertNotIn('refused', head)
            self.assertEqual(blobs[head['body']], str(n).encode())
            self.assertEqual(self.stored(head, blobs), n)

    def test_a_failure_hands_on_the_session_as_rolled_back(self):
        first = self.send('fail.pt', **self.session(5))
        second = self.send('count.pt', after=first, deadline=time.time() * 1000 + 10_000)
        head, _ = self.result(first)
        self.assertIn('error', head)
        head, blobs = self.result(second)
        self.assertEqual(self.stored(head, blobs), 6)
        # after a save(), a failure rolls back to the save
        first = self.send('savefail.pt', **self.session(5))
        second = self.send('count.pt', after=first, deadline=time.time() * 1000 + 10_000)
        self.assertIn('error', self.result(first)[0])
        head, blobs = self.result(second)
        self.assertEqual(self.stored(head, blobs), 51)

    def test_a_page_that_never_used_its_session_hands_it_on_as_it_came(self):
        first = self.send('quiet.pt', **self.session(8))
        second = self.send('count.pt', after=first, deadline=time.time() * 1000 + 10_000)
        self.result(first)
        head, blobs = self.result(second)
        self.assertEqual(self.stored(head, blobs), 9)

    def test_refused_unstarted_without_a_copy_or_past_the_deadline(self):
        # a job this worker never ran
        head, _ = self.result(self.send('count.pt', after=999_999, deadline=time.time() * 1000 + 10_000))
        self.assertTrue(head['refused'])
        self.assertNotIn('session', head)
        # a copy is taken once: a second request after the same job is refused
        first = self.send('count.pt', **self.session(1))
        second = self.send('count.pt', after=first, deadline=time.time() * 1000 + 10_000)
        again = self.send('count.pt', after=first, deadline=time.time() * 1000 + 10_000)
        self.result(first)
        self.assertNotIn('refused', self.result(second)[0])
        self.assertTrue(self.result(again)[0]['refused'])
        # past its deadline (the session's LockTimeout in Node) it never starts
        first = self.send('count.pt', **self.session(1))
        late = self.send('count.pt', after=first, deadline=time.time() * 1000 - 1)
        self.result(first)
        head, _ = self.result(late)
        self.assertTrue(head['refused'])


if __name__ == '__main__':
    unittest.main()
