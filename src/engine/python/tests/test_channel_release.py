"""``release``: jobs queued behind a long one go back to Node, never one that started."""
import os
import unittest

from pse._channel import Channel
from pse._protocol import encode, read_frame


class ReleaseTest(unittest.TestCase):
    def setUp(self):
        r_in, self.w_in = os.pipe()
        self.r_out, w_out = os.pipe()
        self.channel = Channel(r_in, w_out)
        self.out = os.fdopen(self.r_out, 'rb', buffering=0)
        for fd in (self.w_in, w_out):
            self.addCleanup(os.close, fd)
        self.addCleanup(self.out.close)
        self.addCleanup(self.channel.close)

    def send(self, *headers):
        os.write(self.w_in, b''.join(encode(h) for h in headers))

    def answer(self):
        return read_frame(self.out)[0]

    def test_a_long_job_gives_back_the_jobs_behind_it(self):
        self.send({'t': 'req', 'id': 1})
        self.assertEqual(self.channel.next_job()[0]['id'], 1)
        self.channel.running = 1  # job 1 runs; Node queues more, then asks them back
        self.send({'t': 'req', 'id': 2}, {'t': 'check', 'id': 3}, {'t': 'req', 'id': 4},
                  {'t': 'release', 'ids': [2, 3]})
        self.channel.poll()  # what the watch thread does while job 1 runs
        self.assertEqual(self.answer(), {'t': 'released', 'ids': [2, 3]})
        self.channel.running = None
        self.assertEqual(self.channel.next_job()[0]['id'], 4)

    def test_a_job_that_started_is_not_given_back(self):
        self.send({'t': 'req', 'id': 1}, {'t': 'req', 'id': 2}, {'t': 'release', 'ids': [2]},
                  {'t': 'req', 'id': 3})
        self.assertEqual(self.channel.next_job()[0]['id'], 1)
        self.assertEqual(self.channel.next_job()[0]['id'], 2)  # read, so started, before the release
        self.assertEqual(self.channel.next_job()[0]['id'], 3)
        self.assertEqual(self.answer(), {'t': 'released', 'ids': []})

    def test_a_release_read_during_a_call_is_answered(self):
        self.send({'t': 'req', 'id': 5}, {'t': 'release', 'ids': [5]},
                  {'t': 'reply', 'to': 1, 'ok': True})
        reply, _ = self.channel.call(9, 'source', {'path': 'x.pt'})
        self.assertEqual(reply['to'], 1)
        self.assertEqual(self.answer()['op'], 'source')
        self.assertEqual(self.answer(), {'t': 'released', 'ids': [5]})
        self.send({'t': 'req', 'id': 6})
        self.assertEqual(self.channel.next_job()[0]['id'], 6)


if __name__ == '__main__':
    unittest.main()
