"""PSE, the Python Servlet Engine: the ``pse`` module every servlet sees (docs/language.md).

Members that belong to the running request (``form``, ``cache``, ``include``, ``call``,
``flush``) work while a servlet runs in a PSE worker.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from . import _context
from ._markup import Markup, escape

__all__ = ['Markup', 'escape', 'form', 'cache', 'include', 'call', 'flush', 'version', 'copyright',
           'PluginConfigError']

#: set from the engine's version when the worker boots
version = '0.1.0'
copyright = 'PSE, the Python Servlet Engine. Copyright (c) 2003-2006 the PSE authors; ' \
            'TypeScript re-creation (c) the PSE project. MIT licence.'

#: the request's form: alias of ``pse.plugins.request.form`` (built on first use, see __getattr__)
form: Any = None
#: set by the request plugin while a request runs (it removes ``form`` then): builds the form
_form_source: Optional[Callable[[], Any]] = None

#: set to an epoch time (``time.time() + 60``) to serve this page's output from a cache until then
cache: Optional[float] = None


def __getattr__(name: str) -> Any:
    # PEP 562: `form` is absent only while a request runs and nobody has read it yet
    if name == 'form' and _form_source is not None:
        value = globals()['form'] = _form_source()
        return value
    raise AttributeError("module 'pse' has no attribute %r" % name)


def include(file: str, /, **vars: Any) -> Markup:
    """Run another servlet (its code module, then its template) in this namespace plus ``vars``.

    Its output is written in place. Only the ``[Main] IncludePath`` folders are searched; a
    folder part in ``file`` is ignored.
    """
    return _context.require('pse.include()').include(file, vars)


def call(file: str, /, **vars: Any) -> Markup:
    """Run another servlet in a copy of this namespace plus ``vars``; return its output."""
    return _context.require('pse.call()').call(file, vars)


def flush() -> None:
    """Send what was written so far; the first call sends the status and headers too."""
    _context.require('pse.flush()').flush()


class PluginConfigError(Exception):
    """Raised by a plugin's ``plugin_init`` for a bad ``[plugins.<name>]`` option value.

    The worker reports it as a config issue at the option's line in pse.conf.
    """

    def __init__(self, option: str, message: str) -> None:
        super().__init__('%s: %s' % (option, message))
        self.option = option
        self.message = message
