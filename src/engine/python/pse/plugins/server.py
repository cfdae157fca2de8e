"""Built-in plugin ``server``: this server and worker, and its log (spec §3).

``address`` is the local ``(ip, port)``, ``ip`` the local ip, ``child_num`` the worker number.
``log(msg, level=NOTICE)`` sends a line to the engine's error log when ``level`` is at least
``log_level`` (``[plugins.server] LogLevel``, default NOTICE).
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import pse

plugin_name = 'server'
plugin_config = {'LogLevel': 'NOTICE'}

DEBUG = 'DEBUG'
INFO = 'INFO'
NOTICE = 'NOTICE'
WARNING = 'WARNING'
ERROR = 'ERROR'
LEVELS = (DEBUG, INFO, NOTICE, WARNING, ERROR)

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


def initialize(mod: Any, req: Any) -> None:
    global _sink
    local = req.job.get('local') or ['', 0]
    mod.address = (str(local[0]), int(local[1]))
    mod.ip = mod.address[0]
    mod.child_num = req.worker
    _sink = req.log


def finalize(mod: Any, req: Any, success: bool) -> None:
    global _sink
    _sink = _default_sink
