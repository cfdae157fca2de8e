"""Built-in plugin ``client``: the remote end and its cookies (docs/language.md).

``address`` is ``(ip, port)``; ``cookies`` maps names to ``CookieClass``. Only cookies created,
changed or deleted (``del cookies[name]``) during the request are sent back as Set-Cookie.
"""
from __future__ import annotations

import re
import time
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote, unquote

from pse._headers import check_value
from pse._lazy import module_getattr

plugin_name = 'client'

# set for each request, on first use (see __getattr__)
address: Tuple[str, int] = ('', 0)

_DAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')


def http_date(epoch: float) -> str:
    """RFC 7231 date, independent of the locale."""
    t = time.gmtime(epoch)
    return '%s, %02d %s %04d %02d:%02d:%02d GMT' % (_DAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year,
                                                     t.tm_hour, t.tm_min, t.tm_sec)


_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# cookie-octets of RFC 6265 that need no encoding; everything else is percent-encoded
_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~"


class CookieClass:
    """A cookie. ``expires`` is in seconds from now; None = until the browser closes; 0 deletes."""

    def __init__(self, name: str, value: str, path: Optional[str] = '/', expires: Optional[float] = None,
                 domain: Optional[str] = None, secure: bool = False, httponly: bool = False,
                 samesite: Optional[str] = None) -> None:
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ValueError('bad cookie name %r: use letters, digits and !#$%%&\'*+-.^_`|~' % (name,))
        d = self.__dict__
        d['name'] = name
        d['value'] = str(value)
        d['path'] = path
        d['expires'] = expires
        d['domain'] = domain
        d['secure'] = secure
        d['httponly'] = httponly
        d['samesite'] = samesite
        d['modified'] = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name == 'name':
            raise AttributeError('a cookie cannot be renamed; create a new CookieClass')
        self.__dict__[name] = str(value) if name == 'value' else value
        if name != 'modified':
            self.__dict__['modified'] = True

    def header(self) -> str:
        """The Set-Cookie value."""
        parts = ['%s=%s' % (self.name, quote(self.value, safe=_SAFE))]
        if self.path:
            parts.append('Path=%s' % self.path)
        if self.domain:
            parts.append('Domain=%s' % self.domain)
        if self.expires is not None:
            seconds = max(int(self.expires), 0)
            parts.append('Max-Age=%d' % seconds)
            parts.append('Expires=%s' % http_date(time.time() + seconds if seconds else 0))
        if self.secure:
            parts.append('Secure')
        if self.httponly:
            parts.append('HttpOnly')
        if self.samesite:
            parts.append('SameSite=%s' % self.samesite)
        return check_value('cookie %s: its Set-Cookie header' % self.name, '; '.join(parts))

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return 'CookieClass(%r, %r, path=%r, expires=%r)' % (self.name, self.value, self.path, self.expires)


class CookieJar(Dict[str, CookieClass]):
    """The request's cookies; remembers deletions so that they reach the browser."""

    def __init__(self) -> None:
        super().__init__()
        self.deleted: Dict[str, Optional[str]] = {}

    def __setitem__(self, name: str, cookie: Any) -> None:
        if not isinstance(cookie, CookieClass):
            cookie = CookieClass(name, cookie)
        elif cookie.name != name:
            raise KeyError('cookies[%r] = a cookie named %r: the names must match' % (name, cookie.name))
        self.deleted.pop(name, None)
        super().__setitem__(name, cookie)

    def __delitem__(self, name: str) -> None:
        cookie = self[name]
        super().__delitem__(name)
        self.deleted[name] = cookie.path

    def has_key(self, name: str) -> bool:
        return name in self


# The request being served (None between requests): `address` and `cookies` are built from it
# on first use (see __getattr__); until then no cookie can have been modified.
_req: Any = None


def parse(header_values: List[str]) -> CookieJar:
    jar = CookieJar()
    for header in header_values:
        for part in header.split(';'):
            name, sep, value = part.strip().partition('=')
            name = name.strip()
            if not sep or not _TOKEN.match(name) or name in jar:
                continue  # the first of duplicate names wins, as browsers send the most specific first
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookie = CookieClass(name, unquote(value) if '%' in value else value)
            cookie.modified = False
            dict.__setitem__(jar, name, cookie)
    return jar


def _address(req: Any) -> Tuple[str, int]:
    remote = req.job.get('remote') or ['', 0]
    return (str(remote[0]), int(remote[1]))


def _cookies(req: Any) -> CookieJar:
    return parse([v for k, v in req.job.get('headers') or [] if k.lower() == 'cookie'])


_LAZY = {'address': _address, 'cookies': _cookies}


__getattr__ = module_getattr(__name__, globals(), _LAZY)


def pending_set_cookies() -> List[str]:
    """Set-Cookie values for this request's changes (none if the cookies were never read)."""
    jar = globals().get('cookies')
    return set_cookie_headers(jar) if jar is not None else []


def set_cookie_headers(jar: CookieJar) -> List[str]:
    lines = [CookieClass(name, '', path=path, expires=0).header() for name, path in jar.deleted.items()]
    lines.extend(c.header() for c in jar.values() if c.modified)
    return lines


def initialize(mod: Any, req: Any) -> None:
    global _req
    g = globals()
    for name in _LAZY.keys() & g.keys():  # the previous request's (the worker reads them after finalize)
        del g[name]
    _req = req


def finalize(mod: Any, req: Any, success: bool) -> None:
    pass  # the worker reads the changed cookies after every finalize; initialize resets them
