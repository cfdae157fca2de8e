"""Built-in plugin ``request``: the HTTP request (spec §3).

Members, set for each request: ``form`` (query string fields, then body fields, like
``cgi.FieldStorage``), ``args`` (query string only), ``content`` (raw body, binary file),
``CGI`` (CGI-style environment, built on first use), ``id`` (unique: worker pid, boot time, counter), ``method``, ``path``, ``url``, ``query``,
``headers``.
"""
from __future__ import annotations

import io
import os
import time
from typing import Any, BinaryIO, Dict, List, Tuple
from urllib.parse import parse_qsl

import pse
from pse._fields import FieldDict, PSEstr, Upload, build
from pse._headers import Headers

plugin_name = 'request'

form: FieldDict = FieldDict()
args: FieldDict = FieldDict()
content: BinaryIO = io.BytesIO()
id = ''
method = ''
path = ''
url = ''
query = ''
headers = Headers()


def _query_pairs(query: str) -> List[Tuple[str, PSEstr]]:
    return [(k, PSEstr(v)) for k, v in parse_qsl(query, keep_blank_values=True)]


def _body_pairs(req: Any) -> List[Tuple[str, Any]]:
    pairs: List[Tuple[str, Any]] = []
    for name, value in req.job.get('form') or []:
        if isinstance(value, str):
            pairs.append((name, PSEstr(value)))
        else:
            blob = value.get('blob')
            pairs.append((name, Upload(value.get('filename', ''), value.get('type', 'application/octet-stream'),
                                       int(value.get('size', 0)), path=value.get('file'),
                                       data=req.blob(blob) if blob is not None else None)))
    return pairs


def _content(req: Any) -> BinaryIO:
    body = req.job.get('body')
    if body is None:
        return io.BytesIO()
    if isinstance(body, dict):
        return open(body['file'], 'rb')
    return io.BytesIO(req.blob(body))


def _cgi(req: Any, hdrs: Headers) -> Dict[str, str]:
    job = req.job
    remote = job.get('remote') or ['', 0]
    local = job.get('local') or ['', 0]
    host = hdrs.get('host')
    env = {
        'GATEWAY_INTERFACE': 'CGI/1.1',
        'SERVER_SOFTWARE': 'PSE/%s' % pse.version,
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'REQUEST_METHOD': job.get('method', ''),
        'REQUEST_URI': job.get('url', ''),
        'QUERY_STRING': job.get('query', ''),
        'SCRIPT_NAME': job.get('path', ''),
        'SCRIPT_FILENAME': job.get('servlet', ''),
        'PATH_INFO': '',
        'DOCUMENT_ROOT': req.app_root,
        'SERVER_NAME': host.rsplit(':', 1)[0] if host else str(local[0]),
        'SERVER_ADDR': str(local[0]),
        'SERVER_PORT': str(local[1]),
        'REMOTE_ADDR': str(remote[0]),
        'REMOTE_PORT': str(remote[1]),
        'CONTENT_TYPE': hdrs.get('content-type', '') or '',
        'CONTENT_LENGTH': hdrs.get('content-length', '') or '',
    }
    for name in hdrs.keys():
        key = 'HTTP_' + name.upper().replace('-', '_')
        if key in ('HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH') or key in env:
            continue
        env[key] = ', '.join(hdrs.getlist(name))
    return env


# CGI is built on first use (most pages never read it): see __getattr__
_cgi_source: Any = None
_seq = 0
_prefix = '%x-%x' % (os.getpid(), int(time.time() * 1000))


def __getattr__(name: str) -> Any:
    if name == 'CGI' and _cgi_source is not None:
        env = _cgi(_cgi_source, globals()['headers'])
        globals()['CGI'] = env
        return env
    raise AttributeError("module 'pse.plugins.request' has no attribute %r" % name)


def initialize(mod: Any, req: Any) -> None:
    global _cgi_source, _seq
    job = req.job
    mod.method = job.get('method', 'GET')
    mod.path = job.get('path', '')
    mod.url = job.get('url', '')
    mod.query = job.get('query', '')
    mod.headers = Headers(job.get('headers') or [])
    pairs = _query_pairs(mod.query) if mod.query else []
    mod.args = build(pairs)
    mod.form = build(_body_pairs(req), build(pairs))
    mod.content = _content(req)
    globals().pop('CGI', None)
    _cgi_source = req
    _seq += 1
    mod.id = '%s-%d' % (_prefix, _seq)
    pse.form = mod.form


def finalize(mod: Any, req: Any, success: bool) -> None:
    mod.content.close()
    mod.form.close()
    pse.form = None
    global _cgi_source
    _cgi_source = None
    globals().pop('CGI', None)
