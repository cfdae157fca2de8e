"""One request: plugins around the servlet, the namespace, include/call, flush, the ``res``."""
from __future__ import annotations

import builtins
import os
import sys
import time
from types import CodeType
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import pse

from . import _context, _preview, _traceback
from ._loader import LoadError
from ._markup import escape_text
from ._protocol import Header, ServletError, wire_session
from ._request import PluginRequest
from ._runtime import Output, Scope
from ._signals import HttpError, Redirect
from ._traceback import Template
from .plugins import client as _client
from .plugins import response as _response
from .plugins import session as _session

if TYPE_CHECKING:  # _worker imports this module
    from ._worker import WorkerState

_REASONS = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
            405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone', 500: 'Internal Server Error',
            501: 'Not Implemented', 503: 'Service Unavailable'}


def error_page(status: int, message: str) -> str:
    title = '%d %s' % (status, _REASONS.get(status, 'Error'))
    return ('<!DOCTYPE html>\n<html><head><title>%s</title></head>\n<body><h1>%s</h1>\n<p>%s</p>\n</body></html>\n'
            % (title, title, escape_text(message)))


_NO_OVERRIDES: Dict[str, Any] = {}

# servlet path -> (its folder, its code module's path): string work done once per servlet
_PATHS: Dict[str, Tuple[str, str]] = {}
_PATHS_MAX = 1024


def _servlet_paths(servlet: str) -> Tuple[str, str]:
    paths = _PATHS.get(servlet)
    if paths is None:
        if len(_PATHS) >= _PATHS_MAX:
            _PATHS.clear()
        paths = _PATHS[servlet] = (os.path.dirname(servlet), os.path.splitext(servlet)[0] + '.py')
    return paths


def _override_maps(job: Header) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """Preview overrides by normalised absolute path: (templates, code modules).

    ``override.templates`` / ``override.modules`` cover any file of the request (includes,
    calls); ``override.pt`` / ``override.py`` are the servlet's own, kept for older callers."""
    ov = job.get('override')
    if not ov:
        return _NO_OVERRIDES, _NO_OVERRIDES
    tpls = {os.path.normpath(k): v for k, v in (ov.get('templates') or {}).items()}
    mods = {os.path.normpath(k): v for k, v in (ov.get('modules') or {}).items()}
    servlet = os.path.normpath(str(job['servlet']))
    if ov.get('pt') is not None:
        tpls[servlet] = ov['pt']
    if ov.get('py') is not None:
        mods[os.path.splitext(servlet)[0] + '.py'] = ov['py']
    return tpls, mods


class RequestRun:
    """Runs one ``req`` job. ``pse.include``/``call``/``flush`` reach it through ``_context``."""

    def __init__(self, state: 'WorkerState', job: Header, blobs: List[bytes]) -> None:
        self.w = state
        self.job = job
        self.id = int(job['id'])
        self.req = PluginRequest(job, blobs, state.channel, state.number, state.config, state.app_root)
        self.root = Output(state.max_buffer, self.flush if state.max_buffer else None)
        self.scopes: List[Scope] = []
        self.streamed = False
        self.tpl_over, self.mod_over = _override_maps(job)
        # Node journals this request (`record`): what the page saw and how long its parts took
        self.record = bool(job.get('record'))
        self.started = time.perf_counter_ns() if self.record else 0
        #: ns of the code module and the template (recorded runs)
        self.timing: Optional[List[int]] = [0, 0] if self.record else None
        self.scope: Optional[Dict[str, Any]] = None

    # ------------------------------------------------------------ servlet files

    def _load(self, pt: Optional[str], py: Optional[str]) -> Tuple[Optional[Template], Optional[CodeType]]:
        # Studio preview's unsaved text counts for every file the request loads (never cached)
        tpl_over, mod_over = self.tpl_over, self.mod_over
        tpl = code = None
        if pt is not None:
            tpl = self.w.loader.template(pt, tpl_over.get(os.path.normpath(pt)) if tpl_over else None)
        if py is not None:
            code = self.w.loader.module(py, mod_over.get(os.path.normpath(py)) if mod_over else None)
        return tpl, code

    def _exec(self, tpl: Optional[Template], code: Optional[CodeType], ns: Dict[str, Any]) -> None:
        if code is not None:
            self.w.modules.add(code.co_filename)
            exec(code, ns)
        if tpl is not None:
            self.w.templates[tpl.file] = tpl
            exec(tpl.code, ns)

    def _exec_timed(self, tpl: Optional[Template], code: Optional[CodeType], ns: Dict[str, Any]) -> None:
        """The servlet's own run, its code module and its template timed apart."""
        timing = self.timing
        assert timing is not None
        t0 = time.perf_counter_ns()
        try:
            if code is not None:
                self.w.modules.add(code.co_filename)
                exec(code, ns)
        finally:
            t1 = time.perf_counter_ns()
            timing[0] = t1 - t0
        if tpl is not None:
            self.w.templates[tpl.file] = tpl
            try:
                exec(tpl.code, ns)
            finally:
                timing[1] = time.perf_counter_ns() - t1

    def _find_include(self, file: str) -> Tuple[Optional[str], Optional[str]]:
        name = os.path.basename(str(file).replace('\\', '/'))
        stem, ext = os.path.splitext(name)
        if ext not in ('.pt', '.py'):
            stem = name
        dirs = self.w.config.get('includePath') or []
        isfile = self.w.loader.files.isfile
        for folder in dirs:
            pt = os.path.join(folder, stem + '.pt')
            py = os.path.join(folder, stem + '.py')
            has_pt = isfile(pt) or os.path.normpath(pt) in self.tpl_over
            has_py = isfile(py) or os.path.normpath(py) in self.mod_over
            if has_pt or has_py:
                return (pt if has_pt else None), (py if has_py else None)
        raise FileNotFoundError('no servlet %r in [Main] IncludePath (%s)'
                                % (stem + '.pt', ', '.join(dirs) or 'empty'))

    # ------------------------------------------------------------ the pse API

    def include(self, file: str, vars: Dict[str, Any]) -> pse.Markup:
        pt, py = self._find_include(file)
        scope = self.scopes[-1]
        tpl, code = self._load(pt, py)
        scope.ns.update(vars)
        self._exec(tpl, code, scope.ns)
        return pse.Markup('')

    def call(self, file: str, vars: Dict[str, Any]) -> pse.Markup:
        pt, py = self._find_include(file)
        tpl, code = self._load(pt, py)
        ns = dict(self.scopes[-1].ns)
        ns.update(vars)
        out = Output()
        scope = Scope(ns, out, self.w.auto_escape, self.w.tags)
        self.scopes.append(scope)
        saved = sys.stdout
        sys.stdout = out  # type: ignore[assignment]
        try:
            self._exec(tpl, code, ns)
            scope.check_closed()
        finally:
            sys.stdout = saved
            self.scopes.pop()
            scope.release()
        return pse.Markup(out.take())

    def flush(self) -> None:
        if self.scopes and self.scopes[-1].out is not self.root:
            return  # inside pse.call(): the output is a value, not the page
        header: Header = {'t': 'chunk', 'job': self.id, 'data': 0}
        if not self.streamed:
            status, headers = self.head()
            if 'session' in self.w.active:
                # Node's cookie comes too late for a streamed page: the worker sends it here
                headers.extend(('Set-Cookie', line) for line in _session.flush_cookies())
            header['head'] = {'status': status, 'headers': headers}
            self.streamed = True
        data = self.root.take().encode('utf-8', 'replace')
        self.w.channel.send(header, [data])

    # ------------------------------------------------------------ response

    def head(self, status: Optional[int] = None, extra: Optional[List[Tuple[str, str]]] = None
             ) -> Tuple[int, List[Tuple[str, str]]]:
        if 'response' in self.w.active:
            code, headers = _response.head(_response)
        else:
            code, headers = 200, [('Content-Type', _response.DEFAULT_CONTENT_TYPE)]
        if status is not None:
            code = status
        if extra:
            names = {k.lower() for k, _ in extra}
            headers = [h for h in headers if h[0].lower() not in names] + extra
        if 'client' in self.w.active:
            cookies = _client.pending_set_cookies()
            if cookies:
                headers.extend(('Set-Cookie', line) for line in cookies)
        return code, headers

    def _fail(self, exc: BaseException) -> ServletError:
        err = _traceback.from_exception(exc, self.w.templates, self.w.modules.__contains__)
        hook = self.w.hook
        if hook is not None:
            info = (type(exc), exc, exc.__traceback__)
            for fn, field in (('text_traceback', 'text'), ('html_traceback', 'html')):
                if hasattr(hook, fn):
                    try:
                        err[field] = str(getattr(hook, fn)(info))  # type: ignore[literal-required]
                    except Exception as hook_exc:
                        self.w.channel.log('ERROR', 'ExceptionHook.%s failed: %s: %s'
                                           % (fn, type(hook_exc).__name__, hook_exc), self.id)
        return err

    # ------------------------------------------------------------ the request

    def _namespace(self, servlet: str) -> Dict[str, Any]:
        return {'__name__': '__pse_servlet__', '__file__': servlet, '__builtins__': builtins, 'pse': pse}

    def run(self) -> Tuple[Header, List[bytes]]:
        w = self.w
        job = self.job
        servlet = str(job['servlet'])
        folder, py = _servlet_paths(servlet)
        sys.path[:] = w.sys_path + [folder]
        pse.cache = None
        status: Optional[int] = None
        extra: List[Tuple[str, str]] = []
        error: Optional[ServletError] = None
        body = ''
        initialized: List[Any] = []
        saved_stdout = sys.stdout
        _context.current = self
        try:
            for plugin in w.plugins:
                if plugin.initialize is not None:
                    plugin.initialize(plugin.module, self.req)
                initialized.append(plugin)
            ns = self._namespace(servlet)
            scope = Scope(ns, self.root, w.auto_escape, w.tags)
            self.scopes.append(scope)
            try:
                tpl, code = self._load(servlet, py)
            except FileNotFoundError as exc:
                if exc.filename != servlet:
                    raise
                tpl = code = None
                status, body = 404, error_page(404, 'No servlet at %s' % job.get('path', servlet))
            if tpl is not None:
                sys.stdout = self.root  # type: ignore[assignment]
                if self.timing is None:
                    self._exec(tpl, code, ns)
                else:
                    self._exec_timed(tpl, code, ns)
                scope.check_closed()
                if 'response' in w.active:
                    _response.head(_response)  # a bad status fails the request before plugins commit
        except Redirect as r:
            status, extra = r.status, [('Location', r.url)]
            self.root.take()
        except HttpError as e:
            status = e.status
            self.root.take()
            body = error_page(e.status, e.message)
        except LoadError as e:
            error = e.error
        except (Exception, SystemExit) as exc:
            error = self._fail(exc)
        finally:
            sys.stdout = saved_stdout
        if self.record and self.scopes:
            self.scope = _preview.preview_scope(self.scopes[0].ns)
        success = error is None
        for plugin in reversed(initialized):
            if plugin.finalize is None:
                continue
            try:
                plugin.finalize(plugin.module, self.req, success)
            except Exception as exc:
                if success:
                    error, success = self._fail(exc), False
                else:
                    w.channel.log('ERROR', 'plugin %s finalize failed: %s: %s'
                                  % (plugin.name, type(exc).__name__, exc), self.id)
        _context.current = None
        for scope in self.scopes:
            scope.release()
        self.scopes.clear()
        self.root.release()
        return self._result(status, extra, error, body)

    def _result(self, status: Optional[int], extra: List[Tuple[str, str]], error: Optional[ServletError],
                body: str) -> Tuple[Header, List[bytes]]:
        res: Header = {'t': 'res', 'id': self.id, 'body': 0}
        if self.streamed:
            res['streamed'] = True
        if self.req.saves:
            res['saves'] = self.req.saves
        blobs: List[bytes] = []
        if error is None:
            try:
                res['status'], res['headers'] = self.head(status, extra)
            except ValueError as exc:
                error = self._fail(exc)
        if error is not None:
            res['status'] = 500
            res['headers'] = [('Content-Type', _response.DEFAULT_CONTENT_TYPE)]
            res['error'] = error
            blobs.append(b'')
        else:
            blobs.append((body or self.root.take()).encode('utf-8', 'replace'))
            until = pse.cache
            if isinstance(until, (int, float)) and not isinstance(until, bool) and until > time.time():
                res['cacheUntil'] = float(until)
        if self.req.session_out is not None:
            # also on failure: Node commits nothing then, but journals what was discarded
            out, pickles = self.req.session_out
            res['session'] = wire = wire_session(out, len(blobs))
            if 'writes' in out:
                wire['writes'] = self._lines(out['writes'])
            blobs.extend(pickles)
        if self.record:
            if self.scope is not None:
                res['scope'] = self.scope
            module, template = self.timing or (0, 0)
            res['timing'] = [module // 1000, template // 1000, (time.perf_counter_ns() - self.started) // 1000]
        return res, blobs

    def _lines(self, writes: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
        """Writers as the user's lines: a compiled template's Python line becomes its .pt line."""
        templates = self.w.templates
        out: Dict[str, Dict[str, Any]] = {}
        for name, keys in writes.items():
            mapped: Dict[str, Any] = {}
            for key, (file, line) in keys.items():
                tpl = templates.get(file)
                if tpl is not None:
                    file, line = tpl.file, tpl.position(line)[0]
                mapped[key] = [file, line]
            out[name] = mapped
        return out
