"""The worker process: boot on ``init``, then run jobs one at a time, FIFO, until told to stop.

Exit codes: 0 after ``stop`` or when Node closes fd 3; 3 when boot fails (after ``fatal``);
4 when the parent process is gone (its pid changed, or fd 4 is closed); 1 when a frame from
Node breaks the framing. The worker's stdin is not part of the protocol (Node passes
``ignore``), so "end of input" means end of fd 3. SIGINT is ignored: Node stops workers.
"""
from __future__ import annotations

import gc
import importlib
import importlib.util
import os
import signal
import sys
import threading
import time
import traceback
from types import ModuleType
from typing import Any, Dict, List, Optional, Set, Tuple

import pse

from . import _plugins
from ._channel import Channel, ChannelClosed, OutputClosed
from ._loader import FileStates, Loader
from ._protocol import EXIT_BOOT_FAILED, EXIT_PARENT_GONE, CompiledSource, Header, ProtocolError, encode
from ._servlet import RequestRun
from ._session_after import SessionsLeft, continue_from, refusal
from ._traceback import Template
from .plugins import server as _server
from .tags import CustomTag

BEAT_SECONDS = 1.0


class WorkerState:
    """Everything a worker keeps between requests."""

    def __init__(self, channel: Channel, init: Header) -> None:
        self.channel = channel
        self.number = int(init.get('worker', 0))
        self.app_root = str(init.get('appRoot') or os.getcwd())
        self.config: Dict[str, Any] = dict(init.get('config') or {})
        c = self.config
        self.auto_escape = bool(c.get('autoEscape', True))
        self.max_buffer = int(c.get('maxBuffer') or 0)
        self.sys_path: List[str] = list(sys.path) + [str(p) for p in c.get('path') or []]
        self.loader = Loader(int(c.get('memoryCacheSize', 100)), self._fetch_source,
                             FileStates(lambda: channel.reads))
        self.templates: Dict[str, Template] = {}
        self.modules: Set[str] = set()
        self.tags: Dict[str, type] = {}
        self.plugins: List[_plugins.Plugin] = []
        self.active: Set[str] = set()
        self.hook: Optional[ModuleType] = None
        self.issues: List[Dict[str, Any]] = []
        self.job: Optional[int] = None
        #: the sessions as the last requests left them, for the requests Node sends behind them
        self.left = SessionsLeft()

    def _fetch_source(self, path: str) -> Tuple[Optional[CompiledSource], Optional[Dict[str, Any]]]:
        assert self.job is not None, 'templates are fetched only while a job runs'
        reply, _ = self.channel.call(self.job, 'source', {'path': path})
        if reply.get('ok') and reply.get('source'):
            return reply['source'], None
        err = reply.get('error') or {'message': 'Node sent no compiled source for %s' % path}
        err.setdefault('file', path)
        return None, err


# ---------------------------------------------------------------- boot

def _import_named(name: str, app_root: str) -> ModuleType:
    """A module by dotted name, or by file path (relative to the app) when it ends in .py."""
    if name.endswith('.py') or os.sep in name or '/' in name:
        path = name if os.path.isabs(name) else os.path.join(app_root, name)
        stem = os.path.splitext(os.path.basename(path))[0]
        # under its own name when free, so that a servlet's `from mytags import Box` gets these classes
        mod_name = stem if stem.isidentifier() and stem not in sys.modules else '_pse_tags_' + stem
        spec = importlib.util.spec_from_file_location(mod_name, path)
        if spec is None or spec.loader is None:
            raise ImportError('cannot load %s as a Python module' % path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(name)


def _module_file(name: str, app_root: str) -> str:
    if name.endswith('.py'):
        return name if os.path.isabs(name) else os.path.join(app_root, name)
    return name


def _load_tags(state: WorkerState) -> None:
    for name in state.config.get('tagModules') or []:
        try:
            module = _import_named(str(name), state.app_root)
        except Exception as exc:
            issue = _plugins.python_issue(exc, _module_file(str(name), state.app_root))
            raise _plugins.BootError('tag module %r failed to load: %s' % (name, issue['message']), [issue]) from None
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, CustomTag) and value is not CustomTag:
                state.tags[value.__name__] = value


def boot(channel: Channel, init: Header) -> WorkerState:
    state = WorkerState(channel, init)
    c = state.config
    if c.get('version'):
        pse.version = str(c['version'])
    # boot-time imports (plugins, tag modules, the hook) see [Main] Path, the app root and the
    # plugin folder, whose _-prefixed files are helpers that plugins import
    sys.path[:] = state.sys_path + [state.app_root] + ([str(c['pluginPath'])] if c.get('pluginPath') else [])
    _server._sink = _server._default_sink = lambda level, msg: channel.log(level, msg)
    state.plugins, state.issues = _plugins.load(c)
    state.active = {p.name for p in state.plugins}
    _load_tags(state)
    hook = c.get('exceptionHook')
    if hook:
        try:
            state.hook = _import_named(str(hook), state.app_root)
        except Exception as exc:
            issue = _plugins.python_issue(exc, _module_file(str(hook), state.app_root))
            raise _plugins.BootError('ExceptionHook %r failed to load: %s' % (hook, issue['message']), [issue]) from None
    sys.path[:] = state.sys_path
    # What boot made lives as long as the worker: keep it out of every later collection's walk.
    gc.collect()
    gc.freeze()
    return state


# ---------------------------------------------------------------- jobs

def _crash_result(job: Header, exc: BaseException) -> Tuple[Header, List[bytes]]:
    """A ``res`` for an error in the worker itself, so that Node is never left waiting."""
    text = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    error = {'type': type(exc).__name__, 'message': 'PSE worker error: %s' % exc, 'frames': [], 'text': text}
    return ({'t': 'res', 'id': job.get('id'), 'status': 500, 'headers': [('Content-Type', 'text/plain; charset=utf-8')],
             'body': 0, 'streamed': False, 'saves': 0, 'error': error}, [b''])


def run_req(state: WorkerState, job: Header, blobs: List[bytes]) -> None:
    job_id = int(job['id'])
    after = job.get('after')
    if after is not None:
        # the next request of a session this worker ran: it continues from the copy left here
        left = state.left.take(int(after))
        deadline = job.get('deadline')
        if left is None or (deadline is not None and time.time() * 1000 > deadline):
            state.channel.send(*refusal(job_id))
            return
        blobs = continue_from(job, blobs, left)
    state.job = job_id
    kept = None
    try:
        run = RequestRun(state, job, blobs)
        header, out = run.run()
        frame = encode(header, out)  # here, so that a value JSON cannot carry fails only this request
        after_run = run.req.session_after
        if after_run is not None:
            # as Node settles it: committed on success, rolled back to the last save on failure
            kept = after_run[1] if 'error' in header else after_run[0]
    except ChannelClosed:
        raise
    except Exception as exc:
        frame = encode(*_crash_result(job, exc))
    finally:
        state.job = None
    state.left.keep(job_id, kept)
    state.channel.send_frame(frame)


def run_check(state: WorkerState, job: Header) -> None:
    try:
        from . import _syntax
        errors = _syntax.check(job.get('sources') or [])
        state.channel.send({'t': 'done', 'id': job.get('id'), 'ok': True, 'errors': list(errors)})
    except Exception as exc:
        state.channel.send({'t': 'done', 'id': job.get('id'), 'ok': False,
                            'error': {'message': 'syntax check failed: %s: %s' % (type(exc).__name__, exc)}})


def run_admin(state: WorkerState, job: Header, blobs: List[bytes]) -> None:
    try:
        from . import _admin
        fields, out = _admin.run(job, blobs)
        header: Header = {'t': 'done', 'id': job.get('id'), 'ok': True}
        header.update(fields)
        state.channel.send(header, out)
    except Exception as exc:
        state.channel.send({'t': 'done', 'id': job.get('id'), 'ok': False,
                            'error': {'message': '%s: %s' % (type(exc).__name__, exc)}})


def serve(state: WorkerState) -> None:
    channel = state.channel
    while True:
        job, blobs = channel.next_job()
        kind = job.get('t')
        channel.running = job.get('id')
        if kind == 'req':
            run_req(state, job, blobs)
        elif kind == 'check':
            run_check(state, job)
        elif kind == 'admin':
            run_admin(state, job, blobs)
        elif kind == 'stop':
            return
        else:
            channel.log('WARNING', 'worker %d ignored a %r frame outside a call' % (state.number, kind))
        channel.running = None


# ---------------------------------------------------------------- process

def _heartbeat(channel: Channel, parent: int) -> None:
    while True:
        time.sleep(BEAT_SECONDS)
        if os.getppid() != parent:
            os._exit(EXIT_PARENT_GONE)
        try:
            channel.send({'t': 'beat'})
        except (ChannelClosed, OSError):
            os._exit(EXIT_PARENT_GONE)


def _fatal(channel: Optional[Channel], message: str, issues: List[Dict[str, Any]]) -> None:
    print('pse worker: boot failed: %s' % message, file=sys.stderr)
    for issue in issues:
        print('  %s:%s:%s: %s' % (issue.get('file'), issue.get('line'), issue.get('col'), issue.get('message')),
              file=sys.stderr)
    if channel is not None:
        try:
            channel.send({'t': 'fatal', 'message': message, 'issues': issues})
        except (ChannelClosed, OSError):
            pass
    sys.stderr.flush()
    os._exit(EXIT_BOOT_FAILED)


def _schedule_as_batch() -> None:
    """Ask Linux to treat this worker as a batch process: the same CPU share, no wake-up preemption.

    Node's job write wakes the worker; under the default policy the worker then often preempts
    Node on its core, and Node's event loop (every other connection, the other workers' replies)
    waits for a servlet. As SCHED_BATCH the worker takes a free core or the next tick instead:
    +7-9 % req/s measured on 2 cores (docs/performance.md). Where there is no such policy
    (macOS) or it is refused, nothing changes."""
    setter = getattr(os, 'sched_setscheduler', None)
    if setter is None or not hasattr(os, 'SCHED_BATCH'):
        return
    try:
        setter(0, os.SCHED_BATCH, os.sched_param(0))
    except OSError:
        pass


def limit_memory(limit: int) -> Optional[str]:
    """Cap what this process may allocate at ``limit`` bytes (0: no cap); past it allocations
    raise MemoryError, which fails the request (500) instead of making the machine swap.

    RLIMIT_DATA on Linux: since Linux 4.7 it counts every private writable mapping, so CPython's
    arenas and large blocks (mmap) alike, but not the shared libraries, file mappings or the
    address space reserved and never written (which RLIMIT_AS would count, several times what
    a worker uses). Elsewhere RLIMIT_AS. Returns why the cap could not be set, or None."""
    if limit <= 0:
        return None
    try:
        import resource
    except ImportError:
        return 'WorkerMemory is not available on this system (no resource module): no limit'
    which = resource.RLIMIT_DATA if sys.platform.startswith('linux') else resource.RLIMIT_AS
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and hard < limit:
        limit = hard  # a lower limit set from outside stays
    try:
        # the hard limit too: a servlet cannot lift it again
        resource.setrlimit(which, (limit, limit))
    except (ValueError, OSError) as exc:
        return 'WorkerMemory %d could not be applied: %s: no limit' % (limit, exc)
    return None


def _group_signal(signum: int, frame: Any) -> None:
    """SIGINT and SIGTERM are Node's to act on (see main)."""


def main() -> None:
    parent = os.getppid()
    _schedule_as_batch()
    # Ctrl+C in a terminal reaches the whole process group, and a service manager's stop (systemd
    # signals every process of the unit) or `kill -- -PGID` reaches the workers as well: Node
    # decides when they stop, once the requests it gave them are answered. A handler rather than
    # SIG_IGN, which the processes a page starts would inherit across exec. Node's own abort of a
    # worker (a timeout) sends SIGTERM, then SIGKILL on its next pass.
    signal.signal(signal.SIGINT, _group_signal)
    signal.signal(signal.SIGTERM, _group_signal)
    try:
        channel = Channel()
    except OSError as exc:
        _fatal(None, 'fd 3 / fd 4 are not open (run by the PSE pool only): %s' % exc, [])
        return
    try:
        init, _ = channel.read()
        if init.get('t') != 'init':
            _fatal(channel, 'the first frame must be init, got %r' % init.get('t'), [])
        # before boot: plugins and tag modules are held to it too
        memory_problem = limit_memory(int((init.get('config') or {}).get('workerMemory') or 0))
        state = boot(channel, init)
    except ChannelClosed:
        os._exit(0)
    except ProtocolError as exc:
        _fatal(channel, 'bad init frame: %s' % exc, [])
        return
    except _plugins.BootError as exc:
        _fatal(channel, str(exc), exc.issues)
        return
    except Exception as exc:
        _fatal(channel, 'worker boot failed: %s: %s' % (type(exc).__name__, exc), [])
        return
    channel.send({'t': 'ready', 'pid': os.getpid(), 'python': sys.version.split()[0],
                  'tags': sorted(state.tags), 'plugins': [p.name for p in state.plugins], 'issues': state.issues})
    if memory_problem:
        channel.log('WARNING', 'worker %d: %s' % (state.number, memory_problem))
    threading.Thread(target=_heartbeat, args=(channel, parent), name='pse-heartbeat', daemon=True).start()
    threading.Thread(target=channel.watch, name='pse-watch', daemon=True).start()
    try:
        serve(state)
    except OutputClosed:
        sys.exit(EXIT_PARENT_GONE)
    except ChannelClosed:
        pass
    except ProtocolError as exc:
        # the stream is out of step: no later frame can be trusted, so end and let Node respawn
        print('pse worker %d: protocol error from Node: %s' % (state.number, exc), file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
