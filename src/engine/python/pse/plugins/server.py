"""Built-in plugin ``server``: this server and worker, and its log (docs/language.md).

``address`` is the local ``(ip, port)``, ``ip`` the local ip, ``child_num`` the worker number.
``log(msg, level=NOTICE)`` sends a line to the engine's error log when ``level`` is at least
``log_level`` (``[plugins.server] LogLevel``, default NOTICE).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

import pse
from pse._lazy import module_getattr

plugin_name = 'server'
plugin_config = {'LogLevel': 'NOTICE'}

DEBUG = 'DEBUG'
INFO = 'INFO'
NOTICE = 'NOTICE'
WARNING = 'WARNING'
ERROR = 'ERROR'
LEVELS = (DEBUG, INFO, NOTICE, WARNING, ERROR)

# set for each request, on first use (see __getattr__)
address: Tuple[str, int] = ('', 0)
ip = ''
child_num = 0
log_level = NOTICE

# Where log lines go: the worker sets it (job-less between requests, tagged with the job in one).
_sink: Optional[Callable[[str, str], None]] = None
_default_sink: Optional[Callable[[str, str], None]] = None


def _level(value: Any) -> str:
    name = str(value).upper()
    if name not in LEVELS:
        raise ValueError('unknown log level %r (use one of %s)' % (value, ', '.join(LEVELS)))
    return name


def log(msg: Any, level: str = NOTICE) -> None:
    lvl = _level(level)
    if LEVELS.index(lvl) < LEVELS.index(log_level):
        return
    if _sink is None:
        raise RuntimeError('pse.plugins.server.log() needs a running PSE worker')
    _sink(lvl, str(msg))


def plugin_init() -> bool:
    global log_level
    try:
        log_level = _level(plugin_config['LogLevel'])
    except ValueError as exc:
        raise pse.PluginConfigError('LogLevel', str(exc)) from None
    return True


def _address(req: Any) -> Tuple[str, int]:
    local = req.job.get('local') or ['', 0]
    return (str(local[0]), int(local[1]))


# `address`, `ip` and `child_num` of the running request are built on first use (see __getattr__)
_LAZY: Dict[str, Callable[[Any], Any]] = {
    'address': _address,
    'ip': lambda req: _address(req)[0],
    'child_num': lambda req: req.worker,
}
_req: Any = None


__getattr__ = module_getattr(__name__, globals(), _LAZY)


def initialize(mod: Any, req: Any) -> None:
    global _sink, _req
    g = globals()
    for name in _LAZY.keys() & g.keys():  # the previous request's
        del g[name]
    _req = req
    _sink = req.log


def finalize(mod: Any, req: Any, success: bool) -> None:
    global _sink
    _sink = _default_sink
