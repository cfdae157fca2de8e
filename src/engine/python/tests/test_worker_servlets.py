"""End to end: servlets run by a real worker through fd 3 / fd 4, templates compiled by hand."""
import json
import os
import shutil
import tempfile
import time
import unittest

from tests._client import Worker, config, write_app


def jpage(name, code):
    """A servlet whose code module sets ``result`` (JSON) and whose template writes it."""
    return {
        name + '.py': code,
        name + '.pt': '<?= pse.Markup(result) ?>\n',
        name + '.pty': "__pse_out__(__pse_str__(pse.Markup(result)))\n__pse_out__('\\n')\n"
                       "__pse_linemap__ = ((1, 1, 1), (2, 1, 27))\n",
    }


APP = {
    'hello.pt': '<p><?= greeting ?><?= safe ?></p>\n<a href="=link">x</a><input checked="?flag"><input checked="?no">\n',
    'hello.py': "greeting = '<b>Hi</b>'\nsafe = pse.Markup('<i>ok</i>')\nlink = 'a?b=1&c=\"2\"'\n"
                "flag = True\nno = 0\nprint('printed')\n",
    'hello.pty': "__pse_out__('<p>')\n__pse_out__(__pse_str__(greeting))\n__pse_out__(__pse_str__(safe))\n"
                 "__pse_out__('</p>\\n<a')\n__pse_out__(__pse_attr__('href', link))\n__pse_out__('>x</a><input')\n"
                 "__pse_out__(__pse_battr__('checked', flag))\n__pse_out__('><input')\n"
                 "__pse_out__(__pse_battr__('checked', no))\n__pse_out__('>\\n')\n"
                 "__pse_linemap__ = ((1, 1, 1), (2, 1, 4), (3, 1, 19), (4, 1, 30), (5, 2, 3), (6, 2, 19),"
                 " (7, 2, 29), (8, 2, 46), (9, 2, 52), (10, 2, 67))\n",
    'error.pt': '<p>\nbefore\n<?= 1 // zero ?>\n</p>\n',
    'error.py': 'zero = 0\n',
    'error.pty': "__pse_out__('<p>\\nbefore\\n')\n__pse_out__(__pse_str__(1 // zero))\n__pse_out__('\\n</p>\\n')\n"
                 "__pse_linemap__ = ((1, 1, 1), (2, 3, 1), (3, 3, 17))\n",
    'moderr.py': 'import helper_mod\n\n\ndef inner():\n    return helper_mod.boom()\n\n\nvalue = inner()\n',
    'helper_mod.py': "def boom():\n    raise ValueError('bad value')\n",
    'moderr.pt': 'never\n',
    'moderr.pty': "__pse_out__('never\\n')\n__pse_linemap__ = ((1, 1, 1),)\n",
    'synerr.py': 'x = 1\nif x\n    y = 2\n',
    'synerr.pt': 'never\n',
    'synerr.pty': "__pse_out__('never\\n')\n__pse_linemap__ = ((1, 1, 1),)\n",
    'nopty.pt': '<? if x ?>\n',
    'incl.pt': "A<? pse.include('some/dir/part.pt', x='I') ?>|<?= inc_var ?>|<?= counter ?>|"
               "<?= pse.call('part', x='<C>') ?>|<?= counter ?>|<?= x ?>\n",
    'incl.py': "x = 'X'\n",
    'incl.pty': "__pse_out__('A')\npse.include('some/dir/part.pt', x='I')\n__pse_out__('|')\n"
                "__pse_out__(__pse_str__(inc_var))\n__pse_out__('|')\n__pse_out__(__pse_str__(counter))\n"
                "__pse_out__('|')\n__pse_out__(__pse_str__(pse.call('part', x='<C>')))\n__pse_out__('|')\n"
                "__pse_out__(__pse_str__(counter))\n__pse_out__('|')\n__pse_out__(__pse_str__(x))\n"
                "__pse_out__('\\n')\n__pse_linemap__ = ((1, 1, 1), (2, 1, 2), (3, 1, 46))\n",
    'include/part.pt': '[part x=<?= x ?>]',
    'include/part.py': "inc_var = 'from-part'\ncounter = globals().get('counter', 0) + 1\n",
    'include/part.pty': "__pse_out__('[part x=')\n__pse_out__(__pse_str__(x))\n__pse_out__(']')\n"
                        "__pse_linemap__ = ((1, 1, 1), (2, 1, 9), (3, 1, 17))\n",
    'include/raiser.pt': 'r<?= 1/0 ?>',
    'include/raiser.pty': "__pse_out__('r')\n__pse_out__(__pse_str__(1/0))\n"
                          "__pse_linemap__ = ((1, 1, 1), (2, 1, 2))\n",
    'stream.pt': 'one<? pse.flush() ?>two<? pse.flush() ?>three',
    'stream.py': "from pse.plugins import response, client\nresponse.headers['X-S'] = 's'\n"
                 "client.cookies['c'] = client.CookieClass('c', 'v')\n",
    'stream.pty': "__pse_out__('one')\npse.flush()\n__pse_out__('two')\npse.flush()\n__pse_out__('three')\n"
                  "__pse_linemap__ = ((1, 1, 1), (2, 1, 4), (3, 1, 22), (4, 1, 25), (5, 1, 43))\n",
    'tags.pt': '<Box title="=title"><Items><Item>a</Item> <Item>b</Item></Items> tail</Box>'
               '<Box id="preset">inner</Box><Box title="e"/>\n',
    'tags.py': "from mytags import Box\ntitle = 'T<'\npreset = Box(title='P')\n",
    'tags.pty': "__pse_tag_open__('Box', {'title': title}, False)\n__pse_tag_open__('Items', {}, False)\n"
                "__pse_tag_open__('Item', {}, False)\n__pse_out__('a')\n__pse_tag_close__('Item')\n"
                "__pse_out__(' ')\n__pse_tag_open__('Item', {}, False)\n__pse_out__('b')\n"
                "__pse_tag_close__('Item')\n__pse_tag_close__('Items')\n__pse_out__(' tail')\n"
                "__pse_tag_close__('Box')\n__pse_tag_open__('Box', {'id': 'preset'}, False)\n"
                "__pse_out__('inner')\n__pse_tag_close__('Box')\n__pse_tag_open__('Box', {'title': 'e'}, True)\n"
                "__pse_out__('\\n')\n__pse_linemap__ = ((1, 1, 1), (2, 1, 21), (3, 1, 28), (4, 1, 34), (5, 1, 35),"
                " (6, 1, 42), (7, 1, 43), (8, 1, 49), (9, 1, 50), (10, 1, 57), (11, 1, 65), (12, 1, 70),"
                " (13, 1, 76), (14, 1, 93), (15, 1, 98), (16, 1, 104), (17, 1, 121))\n",
    'badtags.pt': '<Box>\n<Item>x</Box></Item>\n',
    'badtags.pty': "__pse_tag_open__('Box', {}, False)\n__pse_out__('\\n')\n__pse_tag_open__('Item', {}, False)\n"
                   "__pse_out__('x')\n__pse_tag_close__('Box')\n__pse_tag_close__('Item')\n"
                   "__pse_linemap__ = ((1, 1, 1), (2, 1, 6), (3, 2, 1), (4, 2, 7), (5, 2, 8), (6, 2, 14))\n",
    'mytags.py': "from pse.tags import CustomTag\n\n\nclass Box(CustomTag):\n    def __str__(self):\n"
                 "        return '<div class=\"box\" title=\"%s\">%s</div>' % (self.attrs.get('title', ''),"
                 " CustomTag.__str__(self))\n\n\nclass Items(CustomTag):\n    def __init__(self, **attrs):\n"
                 "        super().__init__(**attrs)\n        self.items = []\n\n    def add(self, child):\n"
                 "        self.items.append(child)\n\n    def addString(self, text):\n        pass\n\n"
                 "    def __str__(self):\n        return '<ul>' + ''.join('<li>%s</li>' % c for c in self.items)"
                 " + '</ul>'\n\n\nclass Item(CustomTag):\n    pass\n\n\nclass NotATag:\n    pass\n",
    'lib/extra_lib.py': "VALUE = 'from [Main] Path'\n",
    'myhook.py': "def text_traceback(info):\n    return 'HOOK TEXT ' + info[0].__name__\n\n\n"
                 "def html_traceback(info):\n    return '<p>hook %s</p>' % info[1]\n",
}
APP.update(jpage('req', '''import json
from pse.plugins import request
f = request.form
up = f['up']
result = json.dumps({
    'method': request.method, 'path': request.path, 'query': request.query,
    'a': f['a'], 'a_str': f['a'].str, 'a_list': f['a'].list, 'a_type': type(f['a']).__name__,
    'm': f['m'], 'm_type': type(f['m']).__name__, 'm_str': f['m'].str, 'm_list': f['m'].list,
    'has': [f.has_key('a'), f.has_key('zz'), request.args.has_key('m')],
    'args': {k: request.args[k] for k in request.args},
    'up': [up.filename, up.type, up.value.decode(), up.file.read().decode()],
    'big': [f['big'].filename, f['big'].value.decode(), f['big'].file.read().decode()],
    'content': request.content.read().decode(),
    'cgi': {k: request.CGI.get(k) for k in ('REQUEST_METHOD', 'QUERY_STRING', 'SCRIPT_NAME', 'SERVER_NAME',
                                        'SERVER_PORT', 'REMOTE_ADDR', 'REMOTE_PORT', 'CONTENT_TYPE',
                                        'CONTENT_LENGTH', 'HTTP_X_TEST', 'REQUEST_URI')},
    'hdr': [request.headers.get('X-TEST'), request.headers.get('nope')],
    'id': request.id,
    'same_form': pse.form is request.form,
})
'''))
APP.update(jpage('cookies', '''import json
from pse.plugins import client
c = client.cookies
seen = {k: v.value for k, v in c.items()}
c['change'].value = 'new'
c['fresh'] = client.CookieClass('fresh', 'a b;c', expires=60)
c['sess'] = client.CookieClass('sess', 'x', path='/app')
del c['gone']
result = json.dumps({'seen': seen, 'address': list(client.address), 'has': [c.has_key('keep'), c.has_key('gone')]})
'''))
APP.update(jpage('srv', '''import json
from pse.plugins import server
server.log('hello log')
server.log('debug hidden', server.DEBUG)
server.log('careful', 'WARNING')
result = json.dumps({'address': list(server.address), 'ip': server.ip, 'child': server.child_num,
                     'level': server.log_level})
'''))
APP.update(jpage('resp', '''from pse.plugins import response, client
mode = pse.form.getfirst('mode')
response.status = 201
response.headers['X-A'] = '1'
response.content_type = 'text/plain; charset=utf-8'
print('before')
if mode == 'redirect':
    client.cookies['r'] = client.CookieClass('r', '1')
    response.redirect('/elsewhere')
if mode == 'error':
    response.error(404, 'nothing <here>')
if mode == 'badheader':
    response.headers['X-B'] = 'a\\r\\nb'
if mode == 'badstatus':
    response.status = 'abc'
if mode == 'badtype':
    response.content_type = 'text/html\\r\\nX-Evil: 1'
if mode == 'wide':
    response.headers['X-W'] = '\\u65e5'
if mode == 'badcookie':
    client.cookies['c'] = client.CookieClass('c', '1', path='/\\nX-Evil: 1')
if mode == 'unicode':
    response.redirect('/f\\u00fcr ein/\\u65e5?q=%41&x=\\u00e9\\x7f')
if mode == 'catch':
    try:
        response.redirect('/caught', 301)
    except Exception:
        print('swallowed')
result = '{}'
'''))
APP.update(jpage('appdict', '''import json
from pse.plugins import application
d = application.new()
d['n'] = d.get('n', 0) + 1
other = application.new('other')
result = json.dumps({'n': d['n'], 'has': d.has_key('n'), 'other': len(other)})
if pse.form.getfirst('del'):
    application.delete()
'''))
APP.update(jpage('cached', 'import time\npse.cache = time.time() + 60\nresult = "{}"\n'))
APP.update(jpage('api', '''import json, sys
import extra_lib
from pse.plugins import request as req_plugin
import pse.plugins
result = json.dumps({
    'version': pse.version, 'copyright': 'PSE' in pse.copyright,
    'escape': pse.escape('<a & "b">'), 'escape_type': type(pse.escape('x')).__name__,
    'markup_kept': pse.escape(pse.Markup('<b>')),
    'form_alias': pse.form is req_plugin.form and pse.form is pse.plugins.request.form,
    'path_lib': extra_lib.VALUE,
    'servlet_dir': sys.path[-1], 'file': __file__, 'name': __name__,
    'plugins': sorted(n for n in ('request', 'client', 'server', 'response', 'application')
                      if hasattr(pse.plugins, n)),
})
'''))
APP.update(jpage('exiter', 'import sys\nsys.exit(2)\nresult = "{}"\n'))
APP.update(jpage('incmissing', "pse.include('nothere')\nresult = '{}'\n"))
APP.update(jpage('incfile', "out = pse.call('part', file='f', x=1)\nresult = '\"%s\"' % out\n"))
APP.update(jpage('incraise', "pse.include('raiser')\nresult = '{}'\n"))
APP.update(jpage('chained', "try:\n    {}['k']\nexcept KeyError as e:\n    raise ValueError('wrapped') from e\n"))
APP.update(jpage('later', "result = '{\"v\": 1}'\n"))
APP.update(jpage('changing', "result = '{\"v\": 1}'\n"))


class ServletTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix='pse-worker-')
        cls.app = write_app(cls.dir, APP)
        cfg = config(cls.app, tagModules=['mytags'], path=[os.path.join(cls.app, 'lib')])
        cls.w = Worker(cls.app, cfg, number=7)
        cls.ready = cls.w.wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.w.close()
        shutil.rmtree(cls.dir)

    def json(self, servlet, **fields):
        return json.loads(self.w.page(servlet, **fields))

    def error(self, servlet, **fields):
        head, blobs = self.w.request(servlet, **fields)
        self.assertEqual(head['status'], 500)
        self.assertIn('error', head, blobs)
        return head['error']

    # ---------------------------------------------------------------- ready

    def test_ready_reports_plugins_tags_and_python(self):
        self.assertEqual(self.ready['plugins'], ['request', 'client', 'server', 'response', 'application'])
        self.assertEqual(self.ready['tags'], ['Box', 'Item', 'Items'])
        self.assertEqual(self.ready['issues'], [])
        self.assertRegex(self.ready['python'], r'^3\.\d+\.\d+')
        self.assertEqual(self.ready['pid'], self.w.proc.pid)

    # ---------------------------------------------------------------- templates

    def test_template_and_code_module_share_a_namespace(self):
        head, blobs = self.w.request('hello.pt')
        self.assertEqual(head['status'], 200)
        self.assertEqual(head['headers'], [['Content-Type', 'text/html; charset=utf-8']])
        self.assertNotIn('streamed', head)  # sent only when true
        self.assertNotIn('saves', head)  # sent only when some save() committed
        self.assertEqual(blobs[head['body']].decode(),
                         'printed\n<p>&lt;b&gt;Hi&lt;/b&gt;<i>ok</i></p>\n'
                         '<a href="a?b=1&amp;c=&quot;2&quot;">x</a><input checked><input>\n')

    def test_a_recorded_run_sends_its_times_and_namespace(self):
        head, _ = self.w.request('hello.pt')
        self.assertNotIn('timing', head)
        self.assertNotIn('scope', head)
        head, _ = self.w.request('hello.pt', record=True)
        module, template, run = head['timing']  # whole microseconds
        for us in (module, template, run):
            self.assertIs(type(us), int)
            self.assertGreaterEqual(us, 0)
        self.assertGreaterEqual(run, module + template)
        self.assertLess(run, 10_000_000)
        names = [name for name, _ in head['scope']['value']['v']]
        self.assertEqual(names, ['greeting', 'safe', 'link', 'flag', 'no'])

    def test_custom_tags_nest_use_id_and_empty_form(self):
        self.assertEqual(self.w.page('tags.pt'),
                         '<div class="box" title="T<"><ul><li>a</li><li>b</li></ul> tail</div>'
                         '<div class="box" title="P">inner</div><div class="box" title="e"></div>\n')

    def test_misnested_custom_tags_fail_at_the_template_line(self):
        err = self.error('badtags.pt')
        self.assertEqual(err['type'], 'pse._runtime.TagNestingError')
        self.assertEqual(err['message'], '</Box> closes <Item>, which is still open')
        self.assertEqual(err['frames'][-1], {'file': os.path.join(self.app, 'badtags.pt'), 'line': 2, 'col': 8,
                                             'name': '<template>', 'kind': 'template',
                                             'source': '<Item>x</Box></Item>'})

    # ---------------------------------------------------------------- errors

    def test_template_error_is_mapped_to_template_line_and_column(self):
        err = self.error('error.pt')
        self.assertEqual(err['type'], 'ZeroDivisionError')
        self.assertEqual(err['message'], 'integer division or modulo by zero')
        pt = os.path.join(self.app, 'error.pt')
        self.assertEqual(err['frames'], [{'file': pt, 'line': 3, 'col': 1, 'name': '<template>',
                                          'kind': 'template', 'source': '<?= 1 // zero ?>'}])
        self.assertEqual(err['text'], 'Traceback (most recent call last):\n'
                                      '  File "%s", line 3, col 1, in <template>\n'
                                      '    <?= 1 // zero ?>\n'
                                      'ZeroDivisionError: integer division or modulo by zero\n' % pt)
        self.assertNotIn('html', err)

    def test_code_module_error_keeps_module_lines_and_skips_pse_frames(self):
        err = self.error('moderr.pt')
        self.assertEqual((err['type'], err['message']), ('ValueError', 'bad value'))
        got = [(os.path.basename(f['file']), f['line'], f['name'], f['kind']) for f in err['frames']]
        self.assertEqual(got, [('moderr.py', 8, '<module>', 'module'), ('moderr.py', 5, 'inner', 'module'),
                               ('helper_mod.py', 2, 'boom', 'other')])
        self.assertEqual(err['frames'][-1]['source'], "raise ValueError('bad value')")
        self.assertFalse(any('/pse/' in f['file'] for f in err['frames']))

    def test_chained_exceptions_show_in_the_text(self):
        err = self.error('chained.pt')
        self.assertEqual((err['type'], err['message'], err['frames'][-1]['line']), ('ValueError', 'wrapped', 4))
        first, second = err['text'].split('The above exception was the direct cause of the following exception:')
        self.assertIn("KeyError: 'k'", first)
        self.assertIn('chained.py", line 2', first)
        self.assertIn('ValueError: wrapped', second)

    def test_syntax_error_in_code_module_is_located(self):
        err = self.error('synerr.pt')
        self.assertEqual(err['type'], 'SyntaxError')
        self.assertIn(err['message'], ("expected ':'", 'invalid syntax'))  # 3.10+ / 3.9
        self.assertEqual(err['frames'][0]['source'], 'if x')
        f = err['frames'][0]
        self.assertEqual((f['file'], f['line'], f['col'], f['kind']), (os.path.join(self.app, 'synerr.py'), 2, 5,
                                                                        'module'))

    def test_compile_error_from_node_is_rendered_as_a_servlet_error(self):
        err = self.error('nopty.pt')
        self.assertEqual(err['type'], 'TemplateError')
        self.assertEqual(err['message'], 'no compiled form')
        self.assertEqual(err['frames'][0]['file'], os.path.join(self.app, 'nopty.pt'))

    def test_sys_exit_in_a_servlet_is_an_error_not_a_dead_worker(self):
        err = self.error('exiter.pt')
        self.assertEqual((err['type'], err['message']), ('SystemExit', '2'))
        self.assertEqual(self.w.page('later.pt'), '{"v": 1}\n')

    def test_missing_servlet_is_404(self):
        head, blobs = self.w.request('nowhere.pt')
        self.assertEqual(head['status'], 404)
        self.assertIn('404', blobs[0].decode())

    # ---------------------------------------------------------------- pse API

    def test_pse_module_members(self):
        r = self.json('api.pt')
        self.assertEqual(r['version'], '9.9.9-test')
        self.assertTrue(r['copyright'])
        self.assertEqual(r['escape'], '&lt;a &amp; &quot;b&quot;&gt;')
        self.assertEqual(r['escape_type'], 'Markup')
        self.assertEqual(r['markup_kept'], '<b>')
        self.assertTrue(r['form_alias'])
        self.assertEqual(r['path_lib'], 'from [Main] Path')
        self.assertEqual(r['servlet_dir'], self.app)
        self.assertEqual(r['file'], os.path.join(self.app, 'api.pt'))
        self.assertEqual(r['plugins'], ['application', 'client', 'request', 'response', 'server'])

    def test_include_writes_in_place_and_call_returns_markup_from_a_copy(self):
        self.assertEqual(self.w.page('incl.pt'), 'A[part x=I]|from-part|1|[part x=&lt;C&gt;]|1|I\n')

    def test_include_and_call_accept_any_variable_name(self):
        self.assertEqual(self.w.page('incfile.pt'), '"[part x=1]"\n')

    def test_include_outside_include_path_fails_clearly(self):
        err = self.error('incmissing.pt')
        self.assertEqual(err['type'], 'FileNotFoundError')
        self.assertIn("no servlet 'nothere.pt' in [Main] IncludePath", err['message'])
        self.assertEqual((os.path.basename(err['frames'][-1]['file']), err['frames'][-1]['line']),
                         ('incmissing.py', 1))

    def test_error_inside_an_included_template_names_that_template(self):
        err = self.error('incraise.pt')
        files = [(os.path.basename(f['file']), f['line'], f['kind']) for f in err['frames']]
        self.assertEqual(files, [('incraise.py', 1, 'module'), ('raiser.pt', 1, 'template')])

    def test_flush_streams_head_then_chunks(self):
        chunks = []
        head, blobs = self.w.request('stream.pt', chunks=chunks)
        self.assertEqual([c[1][c[0]['data']] for c in chunks], [b'one', b'two'])
        first = chunks[0][0]['head']
        self.assertEqual(first['status'], 200)
        self.assertEqual(first['headers'], [['Content-Type', 'text/html; charset=utf-8'], ['X-S', 's'],
                                            ['Set-Cookie', 'c=v; Path=/']])
        self.assertNotIn('head', chunks[1][0])
        self.assertTrue(head['streamed'])
        self.assertEqual(blobs[head['body']], b'three')

    def test_cache_returns_cache_until(self):
        before = time.time()
        head, _ = self.w.request('cached.pt')
        self.assertGreater(head['cacheUntil'], before + 50)
        head, _ = self.w.request('later.pt')
        self.assertNotIn('cacheUntil', head)

    # ---------------------------------------------------------------- plugins

    def test_request_plugin(self):
        spooled = os.path.join(self.dir, 'spooled.bin')
        with open(spooled, 'wb') as f:
            f.write(b'big')
        headers = [['Host', 'example.org:8080'], ['X-Test', 'yes'], ['Content-Type', 'multipart/form-data'],
                   ['Content-Length', '8']]
        form = [['m', 'y'], ['up', {'filename': 'u.txt', 'type': 'text/plain', 'blob': 1, 'size': 5}],
                ['big', {'filename': 'b.bin', 'type': 'application/octet-stream', 'file': spooled, 'size': 3}]]
        r = self.json('req.pt', method='POST', query='a=1&m=x', headers=headers, form=form, body=0,
                      blobs=[b'raw-body', b'hello'])
        self.assertEqual((r['method'], r['path'], r['query']), ('POST', '/req.pt', 'a=1&m=x'))
        self.assertEqual((r['a'], r['a_str'], r['a_list'], r['a_type']), ('1', '1', ['1'], 'PSEstr'))
        self.assertEqual((r['m'], r['m_type'], r['m_str'], r['m_list']), (['x', 'y'], 'PSElist', 'x', ['x', 'y']))
        self.assertEqual(r['has'], [True, False, True])
        self.assertEqual(r['args'], {'a': '1', 'm': 'x'})
        self.assertEqual(r['up'], ['u.txt', 'text/plain', 'hello', 'hello'])
        self.assertEqual(r['big'], ['b.bin', 'big', 'big'])
        self.assertEqual(r['content'], 'raw-body')
        self.assertEqual(r['cgi'], {'REQUEST_METHOD': 'POST', 'QUERY_STRING': 'a=1&m=x', 'SCRIPT_NAME': '/req.pt',
                                    'SERVER_NAME': 'example.org', 'SERVER_PORT': '8080', 'REMOTE_ADDR': '127.0.0.1',
                                    'REMOTE_PORT': '50000', 'CONTENT_TYPE': 'multipart/form-data',
                                    'CONTENT_LENGTH': '8', 'HTTP_X_TEST': 'yes', 'REQUEST_URI': '/req.pt?a=1&m=x'})
        self.assertEqual(r['hdr'], ['yes', None])
        self.assertTrue(r['same_form'])
        other = self.json('req.pt', query='a=2', form=[['m', 'z'], ['up', {'filename': 'v', 'type': 't', 'blob': 0,
                                                                          'size': 1}],
                                                       ['big', {'filename': 'b', 'type': 't', 'file': spooled,
                                                                'size': 3}]], blobs=[b'v'])
        self.assertNotEqual(other['id'], r['id'])
        self.assertIsNone(other['cgi']['HTTP_X_TEST'])
        third = self.json('req.pt', query='a=3&m=1', method='PUT', body={'file': spooled},
                          form=[['up', {'filename': 'v', 'type': 't', 'blob': 0, 'size': 1}],
                                ['big', {'filename': 'b', 'type': 't', 'file': spooled, 'size': 3}]], blobs=[b'v'])
        self.assertEqual((third['content'], third['m'], third['method']), ('big', '1', 'PUT'))
        self.assertEqual(other['content'], '')

    def test_client_plugin_sends_back_only_changed_cookies(self):
        head, blobs = self.w.request('cookies.pt', headers=[['Cookie', 'keep=1; change=old; gone=x; enc=%41%20b']],
                                     remote=['10.0.0.9', 4242])
        r = json.loads(blobs[0])
        self.assertEqual(r['seen'], {'keep': '1', 'change': 'old', 'gone': 'x', 'enc': 'A b'})
        self.assertEqual(r['address'], ['10.0.0.9', 4242])
        self.assertEqual(r['has'], [True, False])
        cookies = [v for k, v in head['headers'] if k == 'Set-Cookie']
        self.assertEqual(len(cookies), 4, cookies)
        self.assertEqual(cookies[0], 'gone=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT')
        self.assertEqual(cookies[1], 'change=new; Path=/')
        self.assertRegex(cookies[2], r'^fresh=a%20b%3Bc; Path=/; Max-Age=60; Expires=\w{3}, \d\d \w{3} \d{4} ')
        self.assertEqual(cookies[3], 'sess=x; Path=/app')

    def test_server_plugin_and_log(self):
        self.w.logs.clear()
        job, _ = self.w.job('srv.pt', local=['192.168.1.5', 8443])
        self.w.send(job)
        head, blobs = self.w.collect(job['id'])
        r = json.loads(blobs[0])
        self.assertEqual(r, {'address': ['192.168.1.5', 8443], 'ip': '192.168.1.5', 'child': 7, 'level': 'NOTICE'})
        self.assertEqual([(m['level'], m['msg'], m['job']) for m in self.w.logs],
                         [('NOTICE', 'hello log', job['id']), ('WARNING', 'careful', job['id'])])

    def test_response_plugin_status_headers_type(self):
        head, blobs = self.w.request('resp.pt')
        self.assertEqual(head['status'], 201)
        self.assertEqual(head['headers'], [['Content-Type', 'text/plain; charset=utf-8'], ['X-A', '1']])
        self.assertEqual(blobs[0], b'before\n{}\n')

    def test_redirect_ends_the_servlet_successfully_even_inside_except(self):
        head, blobs = self.w.request('resp.pt', query='mode=redirect')
        self.assertEqual(head['status'], 302)
        self.assertNotIn('error', head)
        self.assertIn(['Location', '/elsewhere'], head['headers'])
        self.assertIn(['Set-Cookie', 'r=1; Path=/'], head['headers'])
        self.assertEqual(blobs[0], b'')
        head, _ = self.w.request('resp.pt', query='mode=catch')
        self.assertEqual(head['status'], 301)

    def test_response_error_page(self):
        head, blobs = self.w.request('resp.pt', query='mode=error')
        self.assertEqual(head['status'], 404)
        self.assertNotIn('error', head)
        self.assertIn('nothing &lt;here&gt;', blobs[0].decode())
        self.assertNotIn('before', blobs[0].decode())

    def test_redirect_percent_encodes_what_a_header_cannot_carry(self):
        head, _ = self.w.request('resp.pt', query='mode=unicode')
        self.assertEqual(head['status'], 302)
        self.assertIn(['Location', '/f%C3%BCr%20ein/%E6%97%A5?q=%41&x=%C3%A9%7F'], head['headers'])

    def test_a_header_value_that_cannot_be_sent_fails_at_its_line(self):
        for mode, line, needle in (('badtype', 17, 'content_type cannot be sent: it contains CR or LF'),
                                   ('wide', 19, "header X-W cannot be sent: it contains the character '\u65e5'")):
            err = self.error('resp.pt', query='mode=' + mode)
            self.assertEqual(err['type'], 'ValueError')
            self.assertIn(needle, err['message'])
            self.assertEqual(os.path.basename(err['frames'][-1]['file']), 'resp.py')
            self.assertEqual(err['frames'][-1]['line'], line)
        err = self.error('resp.pt', query='mode=badcookie')
        self.assertIn('cookie c: its Set-Cookie header cannot be sent: it contains CR or LF', err['message'])

    def test_bad_header_or_status_is_a_servlet_error(self):
        err = self.error('resp.pt', query='mode=badheader')
        self.assertEqual(err['type'], 'ValueError')
        self.assertIn('without CR or LF', err['message'])
        self.assertEqual(os.path.basename(err['frames'][-1]['file']), 'resp.py')
        err = self.error('resp.pt', query='mode=badstatus')
        self.assertIn("status must be an int, got 'abc'", err['message'])

    def test_application_dicts_live_as_long_as_the_worker(self):
        first = self.json('appdict.pt')['n']
        self.assertEqual(self.json('appdict.pt'), {'n': first + 1, 'has': True, 'other': 0})
        self.json('appdict.pt', query='del=1')
        self.assertEqual(self.json('appdict.pt')['n'], 1)

    # ---------------------------------------------------------------- cache of compiled code

    def test_compiled_code_is_cached_until_the_file_changes(self):
        self.w.page('changing.pt')
        self.w.sources.clear()
        self.assertEqual(self.w.page('changing.pt'), '{"v": 1}\n')
        self.assertEqual(self.w.sources, [])
        py = os.path.join(self.app, 'changing.py')
        with open(py, 'w') as f:
            f.write("result = '{\"v\": 22}'\n")
        self.assertEqual(self.w.page('changing.pt'), '{"v": 22}\n')
        pt = os.path.join(self.app, 'changing.pt')
        st = os.stat(pt)
        os.utime(pt, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
        self.w.page('changing.pt')
        self.assertEqual(self.w.sources, [pt])

    def test_override_is_used_and_never_cached(self):
        pt = os.path.join(self.app, 'hello.pt')
        override = {'pt': {'py': "__pse_out__('draft ')\n__pse_out__(__pse_str__(greeting))\n",
                           'map': [[1, 1, 1], [2, 1, 7]], 'file': pt},
                    'py': "greeting = 'unsaved'\n"}
        self.assertEqual(self.w.page('hello.pt', override=override), 'draft unsaved')
        self.assertIn('printed', self.w.page('hello.pt'))
        override['py'] = 'greeting = (\n'
        err = self.error('hello.pt', override=override)
        self.assertEqual(err['frames'][0]['file'], os.path.join(self.app, 'hello.py'))


class ConfigVariantTests(unittest.TestCase):
    """AutoEscape off, MaxBuffer auto-flush, ExceptionHook, MemoryCacheSize eviction."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix='pse-worker-')
        cls.app = write_app(cls.dir, APP)
        cfg = config(cls.app, autoEscape=False, maxBuffer=8, exceptionHook='myhook', memoryCacheSize=1)
        cls.w = Worker(cls.app, cfg)
        cls.w.wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.w.close()
        shutil.rmtree(cls.dir)

    def test_autoescape_off_writes_raw_text_and_raw_attribute_values(self):
        page = self.w.page('hello.pt')
        self.assertIn('<p><b>Hi</b><i>ok</i></p>', page)
        self.assertIn('href="a?b=1&c="2""', page)

    def test_max_buffer_streams_once_exceeded(self):
        chunks = []
        head, blobs = self.w.request('hello.pt', chunks=chunks)
        self.assertTrue(head['streamed'])
        self.assertTrue(chunks and 'head' in chunks[0][0])
        self.assertTrue(all(len(c[1][0]) > 8 for c in chunks))

    def test_exception_hook_supplies_text_and_html(self):
        head, _ = self.w.request('error.pt')
        self.assertEqual(head['error']['text'], 'HOOK TEXT ZeroDivisionError')
        self.assertEqual(head['error']['html'], '<p>hook integer division or modulo by zero</p>')
        self.assertEqual(head['error']['frames'][0]['line'], 3)

    def test_memory_cache_size_evicts_least_recently_used(self):
        self.w.page('later.pt')
        self.w.page('hello.pt')  # a servlet is two entries: later's drop out of a size-1 cache
        self.w.sources.clear()
        self.w.page('later.pt')
        self.assertEqual(self.w.sources, [os.path.join(self.app, 'later.pt')])


if __name__ == '__main__':
    unittest.main()
