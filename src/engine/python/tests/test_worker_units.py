"""Unit tests of the worker's small parts: framing, option conversion, headers, cookies, markup."""
import io
import os
import shutil
import struct
import tempfile
import unittest
from unittest import mock

from pse import Markup, escape
from pse._fields import FieldDict, PSElist, PSEstr, build
from pse._headers import Headers
from pse._loader import LRU, FileStates
from pse._plugins import convert, parse_bool
from pse._protocol import ProtocolError, decode, encode, read_frame, wire_session
from pse._runtime import Output, Scope
from pse.tags import CustomTag
from pse._traceback import Template
from pse.plugins import client


class FramingTests(unittest.TestCase):
    def test_round_trip_with_blobs(self):
        data = encode({'t': 'res', 'id': 3, 'body': 0, 'msg': 'é'}, [b'\x00\x01', b'', b'xyz'])
        frame = read_frame(io.BytesIO(data + data))
        self.assertEqual(frame, ({'t': 'res', 'id': 3, 'body': 0, 'msg': 'é', 'b': [2, 0, 3]},
                                 [b'\x00\x01', b'', b'xyz']))

    def test_clean_end_and_truncated_frames(self):
        self.assertIsNone(read_frame(io.BytesIO(b'')))
        data = encode({'t': 'beat'})
        with self.assertRaisesRegex(ProtocolError, 'pipe closed after'):
            read_frame(io.BytesIO(data[:-1]))
        with self.assertRaisesRegex(ProtocolError, 'inside a frame length'):
            read_frame(io.BytesIO(data[:2]))

    def test_garbage_is_rejected_with_a_reason(self):
        with self.assertRaisesRegex(ProtocolError, 'exceeds the'):
            read_frame(io.BytesIO(struct.pack('<I', 0xFFFFFFFF)))
        with self.assertRaisesRegex(ProtocolError, 'not UTF-8 JSON'):
            decode(struct.pack('<I', 3) + b'{x]')
        with self.assertRaisesRegex(ProtocolError, 'not an object'):
            decode(struct.pack('<I', 2) + b'[]')
        with self.assertRaisesRegex(ProtocolError, 'do not fit'):
            decode(struct.pack('<I', 9) + b'{"b":[5]}' + b'ab')
        with self.assertRaisesRegex(ProtocolError, 'stray bytes'):
            decode(struct.pack('<I', 2) + b'{}' + b'extra')

    def test_wire_session_shifts_only_changed(self):
        out = {'id': 'x', 'created': False, 'changed': {'': 0, 'a': 1}, 'previews': {}, 'deleted': ['b']}
        self.assertEqual(wire_session(out, 1)['changed'], {'': 1, 'a': 2})
        self.assertEqual(out['changed'], {'': 0, 'a': 1})

    def test_wire_session_leaves_out_the_defaults(self):
        read = {'id': 'x', 'created': False, 'changed': {}, 'previews': {}, 'deleted': []}
        self.assertEqual(wire_session(read, 1), {'id': 'x'})
        full = {'id': 'x', 'created': True, 'changed': {'': 0}, 'previews': {'': {'t': 'dict', 'v': []}},
                'deleted': ['b'], 'regenerated': 'y', 'invalidated': True, 'writes': {'': {}}}
        self.assertEqual(wire_session(full, 2), {**full, 'changed': {'': 2}})


class ConvertTests(unittest.TestCase):
    def test_types_follow_the_default(self):
        self.assertIs(convert('Yes', False), True)
        self.assertIs(convert('off', True), False)
        self.assertEqual(convert(' 42 ', 1), 42)
        self.assertEqual(convert('1e3', 0.5), 1000.0)
        self.assertEqual(convert('a, b,,c ', ['x']), ['a', 'b', 'c'])
        self.assertEqual(convert('a,b', ('x',)), ('a', 'b'))
        self.assertEqual(convert(' raw ', 's'), ' raw ')

    def test_bad_values_say_what_was_expected(self):
        with self.assertRaisesRegex(ValueError, "expected an integer, got '4.5'"):
            convert('4.5', 1)
        with self.assertRaisesRegex(ValueError, "expected yes or no, got 'maybe'"):
            parse_bool('maybe')
        with self.assertRaisesRegex(ValueError, 'expected a number'):
            convert('x', 1.0)


class HeadersTests(unittest.TestCase):
    def test_case_insensitive_multi_map(self):
        h = Headers([('Accept', 'a'), ('X-Y', '1'), ('x-y', '2')])
        self.assertEqual((h['x-Y'], h.getlist('X-y'), 'ACCEPT' in h, h.has_key('nope')), ('1', ['1', '2'], True, False))
        h['X-Y'] = '3'
        self.assertEqual(h.items(), [('Accept', 'a'), ('X-Y', '3')])
        h.add('Vary', 'a')
        del h['accept']
        self.assertEqual(h.keys(), ['X-Y', 'Vary'])

    def test_header_injection_is_refused(self):
        h = Headers()
        with self.assertRaisesRegex(ValueError, 'without CR or LF'):
            h['X'] = 'a\nSet-Cookie: evil=1'
        with self.assertRaisesRegex(ValueError, 'bad header name'):
            h.add('Bad Name', 'v')


class FieldTests(unittest.TestCase):
    def test_repeated_fields_become_lists(self):
        f = build([('a', PSEstr('1')), ('b', PSEstr('x')), ('b', PSEstr('y')), ('b', PSEstr('z'))])
        self.assertIsInstance(f, FieldDict)
        self.assertEqual((f['a'], f['a'].str, f['a'].list), ('1', '1', ['1']))
        self.assertIsInstance(f['b'], PSElist)
        self.assertEqual((f['b'].str, f['b'].list, f.getlist('a'), f.getfirst('b'), f.getfirst('zz', 0)),
                         ('x', ['x', 'y', 'z'], ['1'], 'x', 0))
        self.assertIs(type(f['a'].str), str)


class MarkupTests(unittest.TestCase):
    def test_escape(self):
        self.assertEqual(escape('<a href="x">\'&'), '&lt;a href=&quot;x&quot;&gt;&#x27;&amp;')
        self.assertIsInstance(escape(3), Markup)
        self.assertEqual(escape(Markup('<b>')), '<b>')
        self.assertEqual(Markup.escape('<'), '&lt;')
        self.assertEqual(repr(Markup('x')), "Markup('x')")


class Pse3Panel(CustomTag):
    """A tag class as written for PSE 3: its own arguments, the base class called positionally."""

    def __init__(self, id=None, color='grey', *args, **kw):
        CustomTag.__init__(self, id, *args, **kw)
        self.color = color

    def __str__(self):
        return '<div id="%s" class="%s" title="%s">%s</div>' % (
            self.id, self.color, self.attrs.get('title'), ''.join(str(c) for c in self._contents))


class CustomTagTests(unittest.TestCase):
    def render(self, ops):
        out = Output()
        ns = {}
        scope = Scope(ns, out, True, {'Panel': Pse3Panel, 'Tag': CustomTag})
        for op in ops:
            if isinstance(op, tuple):
                scope.tag_open(*op)
            elif op.startswith('/'):
                scope.tag_close(op[1:])
            else:
                ns['__pse_out__'](op)
        return out.take()

    def test_pse3_tag_classes_run_unchanged(self):
        page = self.render([('Panel', {'id': 'p1', 'color': 'red', 'title': 'T'}), 'a',
                            ('Tag', {}, True), ('Panel', {}), 'b', '/Panel', '/Panel'])
        self.assertEqual(page, '<div id="p1" class="red" title="T">a<div id="None" class="grey" title="None">'
                               'b</div></div>')

    def test_base_class_keeps_pse3_and_current_names(self):
        tag = CustomTag('x', 'extra', title='T')
        self.assertEqual((tag.id, tag.args, tag.attrs), ('x', ('extra',), {'id': 'x', 'title': 'T'}))
        tag.addString('a')
        tag.add(CustomTag())
        self.assertIs(tag.content, tag._contents)
        self.assertEqual(len(tag._contents), 2)
        self.assertEqual(str(tag), 'a')
        self.assertEqual(CustomTag(title='T').attrs, {'title': 'T'})


class CookieTests(unittest.TestCase):
    def test_parse_and_serialize(self):
        jar = client.parse(['a=1; b="q v"; bad name=3; a=dup', 'c=%E2%82%AC'])
        self.assertEqual({k: v.value for k, v in jar.items()}, {'a': '1', 'b': 'q v', 'c': '€'})
        self.assertEqual(client.set_cookie_headers(jar), [])
        jar['a'].value = 'two'
        jar['n'] = 'plain'
        self.assertEqual(client.set_cookie_headers(jar), ['a=two; Path=/', 'n=plain; Path=/'])

    def test_cookie_options_and_bad_names(self):
        c = client.CookieClass('s', '€ ;', path=None, expires=0, domain='ex.org', secure=True, httponly=True,
                               samesite='Lax')
        self.assertEqual(c.header(), 's=%E2%82%AC%20%3B; Domain=ex.org; Max-Age=0; '
                                     'Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax')
        with self.assertRaisesRegex(ValueError, 'bad cookie name'):
            client.CookieClass('a;b', 'v')
        with self.assertRaisesRegex(KeyError, 'the names must match'):
            client.CookieJar()['x'] = client.CookieClass('y', 'v')


class LineMapTests(unittest.TestCase):
    def test_last_entry_at_or_before_the_line(self):
        tpl = Template(compile('pass', 'f', 'exec'), 'f.pt', [[4, 9, 2], [1, 1, 1], [2, 3, 5]])
        self.assertEqual([tpl.position(n) for n in (1, 2, 3, 4, 99)], [(1, 1), (3, 5), (3, 5), (9, 2), (9, 2)])

    def test_lru_evicts_the_least_recently_used(self):
        lru = LRU(2)
        lru.put('a', 1, 'A')
        lru.put('b', 1, 'B')
        self.assertEqual(lru.get('a', 1), 'A')
        lru.put('c', 1, 'C')
        self.assertEqual((lru.get('a', 1), lru.get('b', 1), lru.get('c', 1), lru.get('c', 2)), ('A', None, 'C', None))


class FileStatesTests(unittest.TestCase):
    """Servlet files are stat'ed once per batch of jobs (one read of fd 3), not once per request."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='pse-files-')
        self.addCleanup(shutil.rmtree, self.dir)
        self.file = os.path.join(self.dir, 'page.pt')
        with open(self.file, 'w') as f:
            f.write('one')
        self.batch = 1
        self.files = FileStates(lambda: self.batch)

    def test_one_stat_per_file_and_batch(self):
        with mock.patch('pse._loader.os.stat', wraps=os.stat) as stat:
            first = self.files.key(self.file)
            self.assertEqual(self.files.key(self.file), first)
            self.assertTrue(self.files.isfile(self.file))
            self.assertEqual(stat.call_count, 1)
            self.batch += 1
            self.files.key(self.file)
            self.assertEqual(stat.call_count, 2)

    def test_a_change_is_seen_by_the_next_batch(self):
        before = self.files.key(self.file)
        with open(self.file, 'w') as f:
            f.write('changed')
        self.assertEqual(self.files.key(self.file), before)  # same batch: read before the change
        self.batch += 1
        self.assertEqual(self.files.key(self.file)[1], len('changed'))

    def test_a_batch_is_what_one_read_of_the_pipe_brought(self):
        from pse._channel import Channel
        r, w = os.pipe()
        self.addCleanup(os.close, w)
        channel = Channel(r, w)
        self.addCleanup(channel.close)
        os.write(w, encode({'t': 'req', 'id': 1}) + encode({'t': 'req', 'id': 2}))
        self.assertEqual([channel.read()[0]['id'], channel.read()[0]['id'], channel.reads], [1, 2, 1])
        os.write(w, encode({'t': 'req', 'id': 3}))
        self.assertEqual([channel.read()[0]['id'], channel.reads], [3, 2])

    def test_missing_files_and_folders(self):
        missing = os.path.join(self.dir, 'gone.pt')
        with self.assertRaises(FileNotFoundError) as ctx:
            self.files.key(missing)
        self.assertEqual(ctx.exception.filename, missing)
        self.assertFalse(self.files.isfile(missing))
        self.assertFalse(self.files.isfile(self.dir))
        self.assertFalse(self.files.isfile(os.path.join(self.file, 'below-a-file.pt')))
        with open(missing, 'w') as f:
            f.write('now here')
        self.batch += 1
        self.assertTrue(self.files.isfile(missing))


if __name__ == '__main__':
    unittest.main()
