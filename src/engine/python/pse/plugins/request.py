"""Built-in plugin ``request``: the HTTP request (docs/language.md).

Members of the running request, each built on first use: ``form`` (query string fields, then
body fields, like ``cgi.FieldStorage``), ``args`` (query string only), ``content`` (raw body,
binary file), ``CGI`` (CGI-style environment), ``id`` (unique: worker pid, boot time, counter),
``method``, ``path``, ``url``, ``query``, ``headers``.
"""
from __future__ import annotations

import io
import os
import sys
import time
from typing import Any, BinaryIO, Callable, Dict, List, Tuple
from urllib.parse import parse_qsl

import pse
from pse._fields import FieldDict, PSEstr, Upload, build
from pse._headers import Headers
from pse._lazy import module_getattr

plugin_name = 'request'

# Members of the running request, built on first use (see __getattr__); empty between requests.
form: FieldDict
args: FieldDict
content: BinaryIO
id: str
method: str
path: str
url: str
query: str
headers: Headers
CGI: Dict[str, str]


def _query_pairs(query: str) -> List[Tuple[str, PSEstr]]:
    if '%' in query or '+' in query:
        return [(k, PSEstr(v)) for k, v in parse_qsl(query, keep_blank_values=True)]
    # nothing to decode: parse_qsl's own splitting (on '&', empty fields skipped, a field
    # without '=' has the value ''), without its per-field unquote calls
    pairs = []
    for field in query.split('&'):
        if field:
            name, _, value = field.partition('=')
            pairs.append((name, PSEstr(value)))
    return pairs


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


# The request being served (None between requests). Its members are built on first use from
# it (see __getattr__): most pages read few of them, and parsing what no page reads is waste.
_req: Any = None
_seq = 0
_prefix = '%x-%x' % (os.getpid(), int(time.time() * 1000))


def _args(req: Any) -> FieldDict:
    query = req.job.get('query', '')
    return build(_query_pairs(query) if query else ())


def _form(req: Any) -> FieldDict:
    query = req.job.get('query', '')
    form = build(_query_pairs(query)) if query else FieldDict()
    return build(_body_pairs(req), form) if req.job.get('form') else form


def _headers(req: Any) -> Headers:
    return Headers(req.job.get('headers') or [])


def _cgi_env(req: Any) -> Dict[str, str]:
    return _cgi(req, _module.headers)


_LAZY: Dict[str, Callable[[Any], Any]] = {
    'form': _form,
    'args': _args,
    'content': _content,
    'headers': _headers,
    'CGI': _cgi_env,
    'id': lambda req: '%s-%d' % (_prefix, _seq),
    'method': lambda req: req.job.get('method', 'GET'),
    'path': lambda req: req.job.get('path', ''),
    'url': lambda req: req.job.get('url', ''),
    'query': lambda req: req.job.get('query', ''),
}
# Outside a request (a plugin's plugin_init, say) the members are empty, as before any request.
_IDLE: Dict[str, Callable[[], Any]] = {
    'form': FieldDict, 'args': FieldDict, 'content': io.BytesIO, 'headers': Headers,
    'id': str, 'method': str, 'path': str, 'url': str, 'query': str,
}
_module = sys.modules[__name__]


__getattr__ = module_getattr(__name__, globals(), _LAZY, _IDLE)


def _pse_form() -> FieldDict:
    """``pse.form`` of the running request: the same object as ``request.form``."""
    form = globals().get('form')
    return __getattr__('form') if form is None else form  # (not via the module: no AttributeError)


def initialize(mod: Any, req: Any) -> None:
    global _req, _seq
    _req = req
    _seq += 1
    pse._form_source = _pse_form
    vars(pse).pop('form', None)  # pse.form is built with request.form, on first use


def finalize(mod: Any, req: Any, success: bool) -> None:
    global _req
    g = globals()
    if 'content' in g:
        g['content'].close()
    if 'form' in g:
        g['form'].close()
    for name in _LAZY.keys() & g.keys():  # built, or set by the page: the next request has its own
        del g[name]
    _req = None
    pse.form = None
