"""Sessions (spec section 4): dictionaries that persist between requests, tracked by a cookie.

    from pse.plugins import session
    data = session.new()          # the standard dictionary (a reference; creates nothing)
    spam = session.new('spam')    # a named dictionary of the same session
    session.delete('spam')        # delete a named one; session.new().clear() empties the standard one
    session.save()                # commit now; a later failure rolls back only to this point
    session.id, session.is_new, session.regenerate(), session.invalidate()

Node owns the store and the per-session lock and sends the session's namespaces as pickles with
the request (`req.job['session'] = {'id', 'ns': {name: blob index}, 'lazy': [name]}`); a big
namespace is only named (`lazy`) and fetched from Node (`req.call('ns')`) when the servlet asks
for it, so it costs nothing to the pages that do not use it. They are unpickled only when the
servlet asks for them; at the end what was loaded is pickled again and only namespaces
whose bytes changed are returned, with a preview of each, plus deletions. Node commits them in
one transaction, or nothing if the request failed.

Values must be picklable. Form values (`pse.form`'s PSEstr) are stored as plain str.
A new session is created only when something is stored in it. After `invalidate()` the rest of
the request's session changes are dropped.

Streaming (`pse.flush()`): the headers leave with the first chunk, so the session cookie must be
in them. At the first flush a session the page has used (`new()`, `id`) but that is not stored
yet gets its id now and its Set-Cookie goes out with that head; Node creates the session under
that id at commit and sends no second cookie. A session first used after the first flush cannot
send a cookie: it is still committed (nothing is lost, Studio shows it) but the browser will not
come back to it, and the worker logs a WARNING naming the page. `regenerate()` after the cookie
went out raises SessionError (the browser would keep the retired id).
"""

import pickle
import sys
from urllib.parse import quote

from pse._preview import preview_namespace
from pse._session_ids import new_session_id
from pse._protocol import wire_session
from pse._session_memo import KNOWN, PROTOCOL, SCALARS, remember

plugin_name = 'session'

STANDARD = ''


class SessionError(Exception):
    """A misuse of the session API, or a session that cannot be saved."""


class SessionDict(dict):
    """A session dictionary: a dict that keeps PSE-era `has_key`."""

    __slots__ = ()

    def has_key(self, key):
        return key in self


#: frames of the pse package itself: a write made through them is the caller's
_PSE_DIR = __file__.rsplit('/plugins/', 1)[0] + '/'


def _writer():
    """(code file, Python line) of the servlet line that called the dictionary method."""
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_PSE_DIR):
        f = f.f_back
    return (f.f_code.co_filename, f.f_lineno) if f is not None else ('?', 0)


class _TracedDict(SessionDict):
    """A session dictionary while the journal is on (development server, Studio): it notes the
    frame of each key's last write, so that Studio can say which line put a key in the session.
    Only the writing methods are wrapped; a page that only reads pays nothing more. Values
    changed in place (``d['cart'].append(x)``) are not writes to the key: the journal still
    names the request that changed them, without a line."""

    __slots__ = ('_w',)

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        self._w[key] = _writer()

    def setdefault(self, key, default=None):
        if key in self:
            return dict.__getitem__(self, key)
        dict.__setitem__(self, key, default)
        self._w[key] = _writer()
        return default

    def update(self, *args, **kw):
        if args:
            other = args[0]
            if not hasattr(other, 'keys'):
                other = list(other)
                keys = [k for k, _ in other]
            else:
                keys = list(other.keys())
            dict.update(self, other)
        else:
            keys = []
        if kw:
            dict.update(self, kw)
            keys.extend(kw)
        if keys:
            where = _writer()
            w = self._w
            for k in keys:
                w[k] = where

    def __ior__(self, other):
        self.update(other)
        return self

    def _pse_writes(self):
        """{key text: (code file, Python line)} of the keys written and still held."""
        return {(k if type(k) is str else str.__str__(k) if isinstance(k, str) else repr(k)): where
                for k, where in self._w.items() if k in self}


def _new_dict():
    if _trace:
        d = _TracedDict()
        d._w = {}
        return d
    return SessionDict()


# The request being served and its session view. A worker runs one request at a time, so one
# slot each is enough. The view is made on first use: a page that never touches the session
# costs nothing here (its finalize reports nothing, exactly as an unused view would).
_req = None
_current = None
#: the request is journaled (Node's `record`): session dictionaries note their writers
_trace = False


def _state():
    global _current
    if _current is None:
        if _req is None:
            raise SessionError('the session is only available while a servlet runs')
        _current = _Session(_req)
    return _current


def _check_name(name):
    if name is None:
        return STANDARD
    if not isinstance(name, str):
        raise SessionError('session namespace names are str, not %s' % type(name).__name__)
    if name.startswith('_'):
        raise SessionError("session namespace name %r: names starting with '_' are reserved" % name)
    return str.__str__(name)


#: a baseline entry whose pickle is still in Node (see _Session._base)
_LAZY = object()


class _Session:
    """One request's view of its session."""

    def __init__(self, req):
        self.req = req
        s = req.job.get('session')
        self.exists = s is not None
        self._id = s['id'] if s else None
        # name -> pickled bytes as last committed (as loaded, then as of the last save()); a big
        # namespace Node did not send is _LAZY until the page uses it (_base fetches it then)
        self.baseline = {name: bytes(req.blob(i)) for name, i in s['ns'].items()} if s else {}
        if s and s.get('lazy'):
            for name in s['lazy']:
                self.baseline[name] = _LAZY
        self.loaded = {}
        #: name -> the _Known of its baseline, when new() copied it from the memo (see _known)
        self.known = {}
        self.deleted = set()
        self.regenerated = None
        self.invalidated = False
        #: the page's head went out (pse.flush()); cookie_sent: with this session's cookie in it
        self.flushed = False
        self.cookie_sent = False
        self.warned = False

    # ------------------------------------------------------------------ servlet API

    @property
    def id(self):
        if self._id is None:
            self._id = new_session_id()
        return self.regenerated or self._id

    def new(self, name=None):
        name = _check_name(name)
        d = self.loaded.get(name)
        if d is not None:
            return d
        raw = self._base(name) if name not in self.deleted else None
        self.known.pop(name, None)
        d = _new_dict()
        if raw is not None:
            known = KNOWN.get(raw)
            if known is None:
                value = _unpickle(name, raw)
                known = remember(raw, value)
                if known is None:
                    dict.update(d, value)
            if known is not None:
                dict.update(d, known.items)  # a copy: the remembered dict stays as loaded
                self.known[name] = known
        self.loaded[name] = d
        return d

    def _base(self, name):
        """The namespace's committed pickle (None: there is none), fetched from Node if lazy."""
        raw = self.baseline.get(name)
        if raw is _LAZY:
            reply, blobs = self.req.call('ns', {'name': name})
            if not reply.get('ok') or reply.get('pickle') is None:
                err = reply.get('error') or {}
                raise SessionError('session namespace %r could not be read: %s'
                                   % (name, err.get('message', 'no reason given')))
            raw = self.baseline[name] = bytes(blobs[reply['pickle']])
        return raw

    def delete(self, name=None):
        name = _check_name(name)
        if name == STANDARD:
            raise SessionError('the standard session dictionary cannot be deleted; '
                               'empty it with session.new().clear()')
        self.loaded.pop(name, None)
        self.known.pop(name, None)
        if name in self.baseline:
            self.deleted.add(name)

    def regenerate(self):
        """A new id for the same data (e.g. after a login); the old id stops working."""
        if self.flushed:
            raise SessionError('session.regenerate() after pse.flush(): the headers are already '
                               'sent, so the new id\'s cookie cannot reach the browser; '
                               'regenerate before the first flush')
        if not self.exists:
            # Nothing was committed under the old id yet: just use a fresh one.
            self._id = new_session_id()
            return self._id
        self.regenerated = new_session_id()
        return self.regenerated

    def invalidate(self):
        """Delete the session and its cookie at the end of the request."""
        self.invalidated = True
        self.loaded.clear()
        self.known.clear()

    def save(self):
        out = self.collect()
        if out is None:
            return
        header, blobs = out
        reply, _ = self.req.call('save', {'session': wire_session(header, 0)}, blobs)
        if not reply.get('ok', False):
            err = reply.get('error') or {}
            raise SessionError('session.save() failed: %s' % err.get('message', 'no reason given'))
        self.committed(header, blobs)

    # ------------------------------------------------------------------ streaming

    def head_cookies(self):
        """Set-Cookie values for the head of the first flushed chunk (see the module docstring)."""
        if self.flushed:
            return []
        self.flushed = True
        conf = (getattr(self.req, 'config', None) or {}).get('session') or {}
        if self.exists:
            # the browser has the cookie; one with a lifetime slides with each access (as Node's)
            wanted = (conf.get('cookieExpires') or 0) > 0
        else:
            wanted = bool(self.loaded) or self._id is not None
        if self.invalidated or not wanted:
            return []
        self.cookie_sent = True  # (in a dry run: would have been)
        if getattr(self.req, 'dry', False):
            return []  # a dry run (Studio preview) creates nothing, so it names nothing
        return [set_cookie(self.id, conf)]

    def _warn_unreachable(self):
        if self.warned or not self.flushed or self.cookie_sent:
            return
        self.warned = True
        log = getattr(self.req, 'log', None)
        page = self.req.job.get('path') or self.req.job.get('servlet') or '?'
        if log is not None:
            log('WARNING', 'page %s stored a new session after pse.flush(): its cookie could not be '
                'sent, so the browser will not come back to session %s; use the session '
                '(session.new()) before the first flush' % (page, self.id))

    # ------------------------------------------------------------------ end of request

    def collect(self):
        """(SessionOut header with blob indices, [pickles]) for what changed, or None."""
        if self.invalidated:
            if not self.exists:
                return None
            return ({'id': self._id, 'created': False, 'changed': {}, 'previews': {},
                     'deleted': sorted(self.baseline), 'invalidated': True}, [])
        # Previews of the namespaces that changed only: Node stores them beside the new pickles
        # and diffs them for the journal; an unchanged one's is what the store already holds.
        changed, previews, blobs = {}, {}, []
        for name, d in self.loaded.items():
            known = self.known.get(name)
            if known is not None and known.unchanged(d):
                continue
            plain = _plain(d, set())
            try:
                raw = pickle.dumps(dict(plain), protocol=PROTOCOL)
            except Exception as e:
                raise SessionError('session namespace %r cannot be saved: %s'
                                   % (name, _unpicklable(plain, e))) from e
            old = self._base(name) if name not in self.deleted else None
            if raw == old or (old is None and not plain):
                continue  # unchanged, or a namespace that never held anything (not stored)
            previews[name] = preview_namespace(plain)
            changed[name] = len(blobs)
            blobs.append(raw)
        deleted = sorted(n for n in self.deleted if n not in changed) if self.deleted else []
        if not changed and not deleted and not self.regenerated:
            if not self.loaded or not self.exists:
                return None  # nothing stored: a new session is not created
        header = {'id': self._id if self.exists else self.id, 'created': not self.exists and bool(changed),
                  'changed': changed, 'previews': previews, 'deleted': deleted}
        if header['created']:
            self._warn_unreachable()
        if self.regenerated:
            header['regenerated'] = self.regenerated
        if _trace:
            writes = self.writes()
            if writes:
                header['writes'] = writes
        return header, blobs

    def writes(self):
        """namespace → {key: (code file, Python line)} of the keys this request wrote."""
        out = {}
        for name, d in self.loaded.items():
            if type(d) is _TracedDict and d._w:
                w = d._pse_writes()
                if w:
                    out[name] = w
        return out

    def committed(self, header, blobs):
        """After a save: what was sent is the new baseline."""
        for name, i in header['changed'].items():
            self.baseline[name] = blobs[i]
            self.deleted.discard(name)
            self.known.pop(name, None)  # it describes the old baseline
        for name in header['deleted']:
            self.baseline.pop(name, None)
            self.deleted.discard(name)
            self.known.pop(name, None)
        if header['changed']:
            self.exists = True
        if self.regenerated:
            self._id, self.regenerated = self.regenerated, None

    def left(self, out):
        """(on success, on failure): the session as Node holds it once this request is settled,
        each ``(id, {name: pickle})``, for the request that continues from this worker's copy
        (``pse._session_after``); None when there can be no copy: a new or retired id, a big
        namespace left unread (only Node has it), a dry run. ``out`` is what collect() made."""
        job = self.req.job.get('session')
        if (job is None or self.invalidated or self.regenerated or self._id != job['id']
                or getattr(self.req, 'dry', False)):
            return None
        base = self.baseline
        for raw in base.values():
            if raw is _LAZY:
                return None
        failed = (self._id, dict(base))
        if out is None:
            return failed, failed
        header, blobs = out
        ns = dict(base)
        for name, i in header['changed'].items():
            ns[name] = blobs[i]
        for name in header['deleted']:
            ns.pop(name, None)
        return (self._id, ns), failed

    def failure_report(self):
        """On failure nothing is committed; previews let the journal show what was discarded."""
        if not self.loaded and not self.deleted:
            return None
        previews = {name: preview_namespace(_plain(d, set())) for name, d in self.loaded.items()}
        header = {'id': self.id, 'created': False, 'changed': {}, 'previews': previews,
                  'deleted': sorted(self.deleted)}
        if _trace:
            # what save() committed before the failure stays: its keys keep their lines
            writes = self.writes()
            if writes:
                header['writes'] = writes
        return header, []


def set_cookie(sid, conf):
    """The session's Set-Cookie value, as Node writes it (session/cookie.ts)."""
    parts = ['%s=%s' % (conf.get('cookieName') or 'PSESESSID', quote(sid, safe=''))]
    minutes = conf.get('cookieExpires') or 0
    if minutes > 0:
        parts.append('Max-Age=%d' % round(minutes * 60))
    parts += ['Path=/', 'HttpOnly']
    if conf.get('cookieSecure'):
        parts.append('Secure')
    parts.append('SameSite=Lax')
    return '; '.join(parts)


def flush_cookies():
    """For the worker's first pse.flush(): the session cookie to put in the streamed head."""
    return _state().head_cookies() if _req is not None else []


def _unpickle(name, raw):
    try:
        value = pickle.loads(raw)
    except Exception as e:
        raise SessionError('session namespace %r cannot be unpickled: %s: %s'
                           % (name, type(e).__name__, e)) from e
    if not isinstance(value, dict):
        raise SessionError('session namespace %r holds a %s, not a dict' % (name, type(value).__name__))
    return value


def _from_pse(t):
    """A type of pse's own (PSEstr, PSElist, FieldDict), stored as its plain builtin base."""
    return t.__module__.startswith('pse.') and t is not SessionDict and t is not _TracedDict




def _plain(x, seen):
    """Replace pse's form types by plain str/list/dict, in place where the container allows.

    PSEstr → str, PSElist → list, FieldDict → dict, through dicts, lists, tuples and sets.
    Returns the value to store (the same object when nothing had to change)."""
    t = type(x)
    if t is str or t is int or t is float or t is bool or x is None:
        return x
    if isinstance(x, str):
        return str.__str__(x) if _from_pse(t) else x
    if not isinstance(x, (dict, list, tuple, set, frozenset)):
        return x
    if id(x) in seen:
        return x
    seen.add(id(x))
    if isinstance(x, dict):
        if _from_pse(t):
            x = dict(x)
        else:
            for k, v in x.items():
                if type(k) not in SCALARS or type(v) not in SCALARS:
                    break
            else:
                return x  # the common session: plain str/int/float/bool/None keys and values
        # a session dictionary's own writes: not the page's (its writers stay as they were)
        setitem = dict.__setitem__ if type(x) is _TracedDict else type(x).__setitem__
        delitem = dict.__delitem__ if type(x) is _TracedDict else type(x).__delitem__
        for k, v in list(x.items()):
            nv = _plain(v, seen)
            nk = _plain(k, seen)
            if nk is not k:
                delitem(x, k)
                setitem(x, nk, nv)
            elif nv is not v:
                setitem(x, k, nv)
        return x
    if isinstance(x, list):
        if _from_pse(t):
            x = list(x)
        for i, v in enumerate(x):
            nv = _plain(v, seen)
            if nv is not v:
                x[i] = nv
        return x
    if t in (tuple, set, frozenset):
        items = [_plain(v, seen) for v in x]
        if any(a is not b for a, b in zip(items, x)):
            return t(items)
    return x


def _unpicklable(ns, err):
    """Name the key whose value cannot be pickled."""
    for k, v in ns.items():
        try:
            pickle.dumps(v, protocol=PROTOCOL)
        except Exception as e:
            return 'key %r: %s: %s' % (k, type(e).__name__, e)
    return '%s: %s' % (type(err).__name__, err)


# ---------------------------------------------------------------- module API (delegates)

def new(name=None):
    """The session dictionary `name` (None: the standard one). A reference: creates nothing."""
    return _state().new(name)


def delete(name=None):
    """Delete the named dictionary `name`; the standard one cannot be deleted."""
    _state().delete(name)


def save():
    """Commit every change made so far; a later failure rolls back only to this point."""
    _state().save()


def regenerate():
    return _state().regenerate()


def invalidate():
    _state().invalidate()


def __getattr__(name):
    # PEP 562: `session.id` and `session.is_new` are computed per request.
    if name == 'id':
        return _state().id
    if name == 'is_new':
        return not _state().exists
    raise AttributeError("module 'pse.plugins.session' has no attribute %r" % name)


_API = ('new', 'delete', 'save', 'regenerate', 'invalidate', 'SessionError', '__getattr__')


# ---------------------------------------------------------------- plugin interface

def initialize(mod, req):
    global _current, _req, _trace
    _req, _current = req, None
    _trace = bool(req.job.get('record'))
    if mod is not None and getattr(mod, '__dict__', None) is not globals():
        # The worker built a per-request module object: give it the same API.
        for name in _API:
            mod.__dict__[name] = globals()[name]


def finalize(mod, req, success):
    global _current, _req
    s, r = _current, _req
    _current = _req = None
    if r is not req:
        return  # another request's: nothing to report
    if s is None:
        # a page that never used its session reports nothing; it leaves the session as it came
        req.session_after = _untouched(req)
        return
    if success:
        req.session_out = s.collect()
        req.session_after = s.left(req.session_out)
    else:
        req.session_out = s.failure_report()
        req.session_after = s.left(None)


def _untouched(req):
    """``_Session.left`` of a request that never used its session: both as it came."""
    s = req.job.get('session')
    if s is None or s.get('lazy') or getattr(req, 'dry', False):
        return None
    left = (s['id'], {name: bytes(req.blob(i)) for name, i in s['ns'].items()})
    return left, left
