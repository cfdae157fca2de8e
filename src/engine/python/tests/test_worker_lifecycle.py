"""The worker process: boot, boot failure, pipelining, heartbeat, stop, EOF and parent death."""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from tests._client import BOOT, Worker, config, write_app
from tests.test_worker_servlets import jpage

APP = {}
APP.update(jpage('page', "result = '\"page\"'\n"))
APP.update(jpage('slow', "import time\ntime.sleep(1.3)\nresult = '\"slow\"'\n"))
# the signals a process started by a page ignores (SigIgn of /proc/<pid>/status, hex)
APP.update(jpage('ignored', "import json, subprocess, sys\n"
                 "probe = \"print([l.split()[1] for l in open('/proc/self/status') if l.startswith('SigIgn:')][0])\"\n"
                 "result = json.dumps(subprocess.run([sys.executable, '-c', probe], capture_output=True,\n"
                 "                                   text=True, check=True).stdout.strip())\n"))


class Fixture(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='pse-life-')
        self.app = write_app(self.dir, APP)
        self.workers = []

    def tearDown(self):
        for w in self.workers:
            w.close()
        shutil.rmtree(self.dir)

    def start(self, files=None, **cfg):
        if files:
            write_app(self.app, files)
        w = Worker(self.app, config(self.app, **cfg))
        self.workers.append(w)
        return w


class BootTests(Fixture):
    def test_broken_plugin_sends_fatal_with_its_location_and_exits_3(self):
        w = self.start({'plugins/broken.py': "plugin_name = 'broken'\nx = (\n"})
        head, _ = w.recv()
        self.assertEqual(head['t'], 'fatal')
        self.assertIn('plugins/broken.py failed to load', head['message'])
        (issue,) = head['issues']
        self.assertEqual((issue['file'], issue['line'], issue['stage']),
                         (os.path.join(self.app, 'plugins', 'broken.py'), 2, 'python'))
        self.assertEqual(w.wait(), 3)
        self.assertIn('boot failed', w.err())

    def test_plugin_init_that_raises_is_fatal_at_the_raising_line(self):
        w = self.start({'plugins/p.py': "plugin_name = 'p'\n\n\ndef plugin_init():\n    raise OSError('no db')\n"})
        head, _ = w.recv()
        self.assertEqual(head['t'], 'fatal')
        self.assertEqual((head['issues'][0]['line'], head['issues'][0]['message']), (5, 'OSError: no db'))
        self.assertEqual(w.wait(), 3)

    def test_broken_tag_module_is_fatal(self):
        w = self.start({'badtags.py': 'import no_such_module_here\n'}, tagModules=['badtags'])
        head, _ = w.recv()
        self.assertEqual(head['t'], 'fatal')
        self.assertIn("tag module 'badtags' failed to load", head['message'])
        self.assertEqual(w.wait(), 3)

    def test_first_frame_must_be_init(self):
        w = Worker(self.app, send_init=False)
        self.workers.append(w)
        w.send({'t': 'req', 'id': 1})
        head, _ = w.recv()
        self.assertEqual(head, {'t': 'fatal', 'message': "the first frame must be init, got 'req'", 'issues': []})
        self.assertEqual(w.wait(), 3)

    def test_without_the_pipes_the_worker_refuses_to_start(self):
        r = subprocess.run([sys.executable, BOOT], stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                           pass_fds=(), close_fds=True)
        self.assertEqual(r.returncode, 3)
        self.assertIn(b'fd 3 / fd 4 are not open', r.stderr)


class RunTests(Fixture):
    def test_pipelined_jobs_wait_while_the_running_one_asks_for_its_source(self):
        w = self.start()
        w.wait_ready()
        jobs = [w.job('page.pt') for _ in range(3)]
        for job, blobs in jobs:
            w.send(job, blobs)
        w.send({'t': 'check', 'id': 99, 'sources': [{'name': 'n', 'code': 'x = 1\n'}]})
        call, _ = w.recv()
        self.assertEqual((call['t'], call['op'], call['job']), ('call', 'source', jobs[0][0]['id']))
        w.handle_call((call, []))  # the other jobs are already in the pipe: the worker buffers them
        got = [w.recv()[0] for _ in range(4)]
        self.assertEqual([(h['t'], h['id']) for h in got],
                         [('res', jobs[0][0]['id']), ('res', jobs[1][0]['id']), ('res', jobs[2][0]['id']),
                          ('done', 99)])
        self.assertEqual(w.sources, [os.path.join(self.app, 'page.pt')])

    def test_heartbeat_continues_while_a_servlet_runs(self):
        w = self.start()
        w.wait_ready()
        job, _ = w.job('slow.pt')
        w.send(job)
        while True:
            frame = w.recv_any()
            if frame[0]['t'] == 'call':
                w.handle_call(frame)
            elif frame[0]['t'] == 'beat':
                break
            else:
                self.fail('a beat must come before the slow page ends, got %r' % frame[0])
        head, blobs = w.collect(job['id'])
        self.assertEqual(blobs[0], b'"slow"\n')

    @unittest.skipUnless(sys.platform.startswith('linux'), 'SCHED_BATCH is a Linux scheduling policy')
    def test_the_worker_and_its_heartbeat_run_as_batch_processes(self):
        w = self.start()
        w.wait_ready()
        # the heartbeat thread starts right after `ready` is sent: give it a moment to appear
        deadline = time.monotonic() + 10
        tasks = os.listdir('/proc/%d/task' % w.proc.pid)
        while len(tasks) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
            tasks = os.listdir('/proc/%d/task' % w.proc.pid)
        self.assertGreaterEqual(len(tasks), 2)  # the main thread and the heartbeat thread
        for tid in tasks:
            self.assertEqual(os.sched_getscheduler(int(tid)), os.SCHED_BATCH)

    def test_sigint_and_sigterm_from_outside_leave_the_running_page_alone(self):
        # Ctrl+C or a service manager's stop signal the whole process group: Node stops workers
        w = self.start()
        w.wait_ready()
        job, _ = w.job('slow.pt')
        w.send(job)
        time.sleep(0.3)
        os.kill(w.proc.pid, signal.SIGINT)
        os.kill(w.proc.pid, signal.SIGTERM)
        self.assertEqual(w.collect(job['id'])[1][0], b'"slow"\n')
        self.assertIsNone(w.proc.poll())
        job, _ = w.job('page.pt')
        w.send(job)
        self.assertEqual(w.collect(job['id'])[1][0], b'"page"\n')

    @unittest.skipUnless(sys.platform.startswith('linux'), 'reads /proc/<pid>/status')
    def test_processes_a_page_starts_do_not_inherit_ignored_signals(self):
        w = self.start()
        w.wait_ready()
        job, _ = w.job('ignored.pt')
        w.send(job)
        ignored = int(json.loads(w.collect(job['id'])[1][0]), 16)
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.assertFalse(ignored & (1 << (sig - 1)), '%s is ignored by the page\'s process' % sig.name)

    def test_stop_finishes_the_queue_then_exits_0(self):
        w = self.start()
        w.wait_ready()
        jobs = [w.job('page.pt') for _ in range(2)]
        for job, _ in jobs:
            w.send(job)
        w.send({'t': 'stop'})
        for job, _ in jobs:
            self.assertEqual(w.collect(job['id'])[1][0], b'"page"\n')
        self.assertEqual(w.wait(), 0)

    def test_a_garbled_frame_ends_the_worker_with_a_reason(self):
        w = self.start()
        w.wait_ready()
        os.write(w._w, b'\x05\x00\x00\x00\x01\x00\x00\x00{')
        self.assertEqual(w.wait(), 1)
        self.assertIn('protocol error from Node: frame header is not UTF-8 JSON', w.err())

    def test_nobody_reading_fd_4_exits_4(self):
        w = self.start()
        w.wait_ready()
        os.close(w._r)
        w._r = os.open(os.devnull, os.O_RDONLY)  # so that close() has something to close
        job, _ = w.job('page.pt')
        w.send(job)
        self.assertEqual(w.wait(), 4)

    def test_end_of_fd_3_exits_0(self):
        w = self.start()
        w.wait_ready()
        w.close_input()
        self.assertEqual(w.wait(), 0)
        self.assertIsNone(w.recv())


def _become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), 'prctl(PR_SET_CHILD_SUBREAPER)')


@unittest.skipUnless(sys.platform.startswith('linux'), 'needs prctl(PR_SET_CHILD_SUBREAPER) to reap the orphan')
class ParentDeathTests(Fixture):
    def test_worker_exits_4_when_its_parent_dies(self):
        # A shell starts the worker in the background and waits; once the worker is ready the
        # shell is killed. As a subreaper this test process adopts the orphan and reaps it.
        _become_subreaper()
        script = 'exec 5>&1; "$0" -u "$1" 1>&2 & echo $! >&5; wait'
        w = Worker(self.app, argv=['/bin/sh', '-c', script, sys.executable, BOOT])
        self.workers.append(w)
        w.wait_ready()
        w.proc.kill()
        w.proc.wait(10)
        w.stderr.seek(0)
        pid = int(w.stderr.read().split()[0])
        deadline = time.monotonic() + 10
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            self.assertLess(time.monotonic(), deadline, 'the orphaned worker did not exit')
            time.sleep(0.05)
        self.assertEqual(os.waitstatus_to_exitcode(status), 4)


if __name__ == '__main__':
    unittest.main()
