"""Built-in plugin ``response``: status, headers and early endings (docs/language.md).

``status`` (200), ``content_type`` (``text/html; charset=utf-8``; a ``Content-Type`` in
``headers`` wins), ``headers`` (a ``Headers``), ``redirect(url, status=302)`` and
``error(status, message)``. Both end the servlet at once and count as success: the output
written so far is dropped and the session is committed.
"""
from __future__ import annotations

import sys
import types
from typing import Any, List, Tuple
from urllib.parse import quote

from pse._headers import Headers, check_value
from pse._signals import HttpError, Redirect

plugin_name = 'response'

DEFAULT_CONTENT_TYPE = 'text/html; charset=utf-8'

status = 200
_content_type = DEFAULT_CONTENT_TYPE
#: made on first use in each request (see __getattr__)
headers: Headers


def redirect(url: str, status: int = 302) -> None:
    status = int(status)
    if not 300 <= status <= 399:
        raise ValueError('redirect status must be 3xx, got %d' % status)
    url = str(url)
    if '\r' in url or '\n' in url:
        raise ValueError('redirect URL must not contain CR or LF: %r' % (url,))
    raise Redirect(_percent_encode(url), status)


def _percent_encode(url: str) -> str:
    """``url`` with what a Location header cannot carry (non-ASCII, spaces, control characters)
    percent-encoded as UTF-8; what is already encoded stays as it is."""
    if all('!' <= c <= '~' for c in url):
        return url
    return ''.join(c if '!' <= c <= '~' else quote(c, safe='') for c in url)


def error(status: int, message: str = '') -> None:
    status = int(status)
    if not 400 <= status <= 599:
        raise ValueError('error status must be 4xx or 5xx, got %d' % status)
    raise HttpError(status, str(message))


_UNMADE = object()


class _ResponseModule(types.ModuleType):
    """The module's class: ``content_type`` is checked when it is assigned, so a value that
    cannot be sent fails at the servlet line that set it."""

    @property
    def content_type(self) -> str:
        return vars(self)['_content_type']

    @content_type.setter
    def content_type(self, value: Any) -> None:
        text = value if isinstance(value, str) else str(value)
        vars(self)['_content_type'] = check_value('pse.plugins.response.content_type', text)


sys.modules[__name__].__class__ = _ResponseModule


def head(mod: Any) -> Tuple[int, List[Tuple[str, str]]]:
    """Status and headers as the servlet left them."""
    code = mod.status
    if type(code) is not int:
        try:
            code = int(code)
        except (TypeError, ValueError):
            raise ValueError('pse.plugins.response.status must be an int, got %r' % (mod.status,)) from None
    if not 100 <= code <= 999:
        raise ValueError('pse.plugins.response.status %d is not an HTTP status' % code)
    hdrs = vars(mod).get('headers', _UNMADE)
    if hdrs is _UNMADE:  # never read: no headers of the servlet's own
        return code, [('Content-Type', mod.content_type)]
    out: List[Tuple[str, str]] = []
    if 'content-type' not in hdrs:
        out.append(('Content-Type', mod.content_type))
    out.extend(hdrs.items())
    return code, out


def __getattr__(name: str) -> Any:
    # PEP 562: `headers` is made on first use in each request (most pages set none)
    if name == 'headers':
        value = globals()['headers'] = Headers()
        return value
    raise AttributeError("module 'pse.plugins.response' has no attribute %r" % name)


def initialize(mod: Any, req: Any) -> None:
    own = vars(mod)
    own['status'] = 200
    own['_content_type'] = DEFAULT_CONTENT_TYPE  # known good: not checked again per request
    own.pop('headers', None)


def finalize(mod: Any, req: Any, success: bool) -> None:
    pass
