"""The cheap request path: the pipe loop's buffered reads, lazy plugin members, no reference cycles."""
import gc
import os
import tempfile
import threading
import unittest
from urllib.parse import parse_qsl

import pse
from pse import _channel, _loader, _worker
from pse._channel import Channel, ChannelClosed
from pse._protocol import ProtocolError, decode, encode
from pse._servlet import RequestRun
from pse.plugins import client, request, response, server
from tests._client import Worker, compiled, config, write_app
from tests.test_worker_servlets import APP


def frames_in(data):
    """The headers of the frames in ``data`` (bytes written to fd 4)."""
    out = []
    while data:
        size = int.from_bytes(data[:4], 'little')
        out.append(decode(data[4:4 + size])[0])
        data = data[4 + size:]
    return out


class ChannelTest(unittest.TestCase):
    def setUp(self):
        self.r_in, self.w_in = os.pipe()
        self.r_out, self.w_out = os.pipe()
        os.set_blocking(self.r_out, False)
        self.ch = Channel(self.r_in, self.w_out)

    def tearDown(self):
        for fd in (self.r_in, self.w_in, self.r_out, self.w_out):
            try:
                os.close(fd)
            except OSError:
                pass

    def written(self):
        try:
            return os.read(self.r_out, 1 << 20)
        except BlockingIOError:
            return b''

    def test_a_burst_is_parsed_from_one_read(self):
        burst = b''.join(encode({'t': 'req', 'id': i}, [b'x' * i]) for i in (1, 2, 3))
        os.write(self.w_in, burst)
        head, blobs = self.ch.read()
        self.assertEqual((head['id'], blobs), (1, [b'x']))
        # the other two frames came with the first read: reading them will not touch the pipe
        os.close(self.w_in)
        for i in (2, 3):
            head, blobs = self.ch.read()
            self.assertEqual((head['id'], blobs), (i, [b'x' * i]))
        with self.assertRaises(ChannelClosed):
            self.ch.read()

    def test_replies_leave_at_once_in_order(self):
        self.ch.send_frame(encode({'t': 'res', 'id': 1}))
        self.ch.log('NOTICE', 'x', 2)
        self.assertEqual([h['t'] for h in frames_in(self.written())], ['res', 'log'])

    def test_a_frame_bigger_than_one_read(self):
        big = os.urandom(_channel.READ_SIZE * 3 + 7)
        data = encode({'t': 'req', 'id': 1}, [big]) + encode({'t': 'stop'})
        writer = threading.Thread(target=lambda: os.write(self.w_in, data))
        writer.start()
        self.assertEqual(self.ch.read(), ({'t': 'req', 'id': 1, 'b': [len(big)]}, [big]))
        self.assertEqual(self.ch.read()[0], {'t': 'stop'})
        writer.join()

    def test_a_truncated_frame_is_a_protocol_error(self):
        frame = encode({'t': 'req', 'id': 1})
        os.write(self.w_in, frame[:-1])
        os.close(self.w_in)
        with self.assertRaisesRegex(ProtocolError, 'pipe closed after'):
            self.ch.read()

    def test_a_clean_end_and_a_cut_length(self):
        os.write(self.w_in, b'\x01\x00')
        os.close(self.w_in)
        with self.assertRaisesRegex(ProtocolError, 'inside a frame length'):
            self.ch.read()


class PipelinedWorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.app = write_app(tempfile.mkdtemp(prefix='pse-pipe-'), APP)
        cls.w = Worker(cls.app)
        cls.w.wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.w.close()

    def burst(self, names):
        jobs = [self.w.job(name) for name in names]
        self.w.send_burst(jobs)
        return [job['id'] for job, _ in jobs]

    def test_a_burst_of_requests_is_answered_in_order(self):
        self.w.page('hello.pt')
        ids = self.burst(['hello.pt'] * 4)
        for i in ids:
            head, blobs = self.w.collect(i)
            self.assertIn(b'Hi', blobs[head['body']])

    def test_frames_of_a_later_job_come_after_the_earlier_reply(self):
        self.w.page('hello.pt')
        self.w.page('srv.pt')  # both compiled: no source calls in between
        first, second = self.burst(['hello.pt', 'srv.pt'])
        head, _ = self.w.recv_any()
        self.assertEqual((head['t'], head['id']), ('res', first))
        head, _ = self.w.recv_any()
        self.assertEqual((head['t'], head['job'], head['msg']), ('log', second, 'hello log'))
        self.w.collect(second)

    def test_a_call_of_a_later_job_comes_after_the_earlier_reply(self):
        self.w.page('hello.pt')
        first, second = self.burst(['hello.pt', 'incl.pt'])  # incl.pt asks Node for its source
        head, _ = self.w.recv()
        self.assertEqual((head['t'], head['id']), ('res', first))
        head, _ = self.w.recv()
        self.assertEqual((head['t'], head['job'], head['op']), ('call', second, 'source'))
        self.w.handle_call((head, []))
        head, blobs = self.w.collect(second)
        self.assertIn(b'from-part', blobs[head['body']])


class QueryPairsTest(unittest.TestCase):
    def test_the_shortcut_splits_as_parse_qsl(self):
        for query in ('a=1', 'a=1&b=2&a=3', 'a', 'a=', '=x', '&&a=1&', 'a=1=2', 'x=%41&y=+', 'k=é&ü',
                      'a=b%3Dc&d', ';a=1', 'a=1;b=2'):
            self.assertEqual(request._query_pairs(query), parse_qsl(query, keep_blank_values=True), query)
            self.assertTrue(all(type(v).__name__ == 'PSEstr' for _, v in request._query_pairs(query)))


class FakeJobReq:
    def __init__(self, **job):
        self.job = dict({'id': 1, 'headers': [], 'form': [], 'query': ''}, **job)
        self.blobs = []
        self.worker = 7
        self.app_root = '/app'

    def blob(self, i):
        return self.blobs[i]

    def log(self, level, msg):
        pass


class LazyMembersTest(unittest.TestCase):
    def run_plugin(self, plugin, req, body):
        plugin.initialize(plugin, req)
        try:
            return body()
        finally:
            plugin.finalize(plugin, req, True)

    def test_request_members_are_built_on_first_use_for_each_request(self):
        req = FakeJobReq(query='a=1&a=2', method='POST', path='/p', url='/p?a=1&a=2',
                         headers=[['Host', 'h:1'], ['X-A', 'b']], form=[['f', 'v']], body=0)
        req.blobs = [b'raw']

        def body():
            self.assertNotIn('form', vars(request))  # nothing is parsed until asked for
            form = pse.form
            self.assertIs(form, request.form)
            self.assertEqual((form['a'].list, form['f']), (['1', '2'], 'v'))
            self.assertEqual(request.args['a'].list, ['1', '2'])
            self.assertNotIn('f', request.args)
            self.assertEqual((request.method, request.path, request.url, request.query), ('POST', '/p', '/p?a=1&a=2',
                                                                                       'a=1&a=2'))
            self.assertEqual(request.headers['x-a'], 'b')
            self.assertEqual(request.CGI['SERVER_NAME'], 'h')
            self.assertEqual(request.content.read(), b'raw')
            return request.content, request.id
        content, first_id = self.run_plugin(request, req, body)
        self.assertTrue(content.closed)
        self.assertIsNone(pse.form)
        second = self.run_plugin(request, FakeJobReq(), lambda: (pse.form, request.method, request.id))
        self.assertEqual(second[:2], ({}, 'GET'))
        self.assertNotEqual(second[2], first_id)

    def test_outside_a_request_the_members_are_empty(self):
        self.assertEqual((request.form, request.args, request.method, request.headers.items()), ({}, {}, '', []))
        with self.assertRaises(AttributeError):
            request.CGI
        with self.assertRaises(AttributeError):
            request.nothing

    def test_members_a_page_set_are_reset_for_the_next_request(self):
        def body():
            pse.form = {'set': 'by the page'}
            request.method = 'PAGE'
        self.run_plugin(request, FakeJobReq(), body)
        got = self.run_plugin(request, FakeJobReq(query='q=1'), lambda: (pse.form, request.method))
        self.assertEqual(got, ({'q': '1'}, 'GET'))

    def test_client_and_server_members(self):
        req = FakeJobReq(remote=['10.0.0.1', 5], local=['10.0.0.2', 80], headers=[['Cookie', 'a=1']])
        got = self.run_plugin(client, req, lambda: (client.address, client.cookies['a'].value))
        self.assertEqual(got, (('10.0.0.1', 5), '1'))
        self.assertEqual(self.run_plugin(client, FakeJobReq(), lambda: dict(client.cookies)), {})
        got = self.run_plugin(server, req, lambda: (server.address, server.ip, server.child_num))
        self.assertEqual(got, (('10.0.0.2', 80), '10.0.0.2', 7))

    def test_response_head_with_and_without_headers(self):
        response.initialize(response, None)
        self.assertEqual(response.head(response), (200, [('Content-Type', response.DEFAULT_CONTENT_TYPE)]))
        response.headers['X-A'] = '1'
        response.status = '201'
        self.assertEqual(response.head(response), (201, [('Content-Type', response.DEFAULT_CONTENT_TYPE),
                                                         ('X-A', '1')]))
        response.initialize(response, None)
        self.assertEqual(len(response.headers), 0)  # a fresh one for each request
        response.status = 'x'
        with self.assertRaisesRegex(ValueError, 'must be an int'):
            response.head(response)
        response.initialize(response, None)


class NoCyclesTest(unittest.TestCase):
    def test_a_request_leaves_nothing_for_the_garbage_collector(self):
        app = write_app(tempfile.mkdtemp(prefix='pse-gc-'), APP)
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        try:
            state = _worker.boot(Channel(r1, w2), {'t': 'init', 'worker': 1, 'appRoot': app, 'config': config(app)})
            pt = os.path.join(app, 'hello.pt')
            st = os.stat(pt)
            state.loader._cache.put(pt, (st.st_mtime_ns, st.st_size), _loader.compile_template(compiled(pt)))
            job = {'t': 'req', 'id': 1, 'servlet': pt, 'method': 'GET', 'url': '/hello.pt', 'path': '/hello.pt',
                   'query': 'a=1', 'headers': [['Cookie', 'a=1']], 'remote': ['127.0.0.1', 1],
                   'local': ['127.0.0.1', 2], 'form': [], 'session': None, 'dry': False}
            state.job = 1
            RequestRun(state, job, []).run()
            gc.disable()
            try:
                gc.collect()
                for _ in range(5):
                    header, _ = RequestRun(state, job, []).run()
                self.assertNotIn('error', header)
                self.assertEqual(gc.collect(), 0)
            finally:
                gc.enable()
                gc.unfreeze()
        finally:
            for fd in (r1, w1, r2, w2):
                os.close(fd)


if __name__ == '__main__':
    unittest.main()
