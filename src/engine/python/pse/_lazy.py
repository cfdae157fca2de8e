"""Plugin members built on first use in each request (PEP 562 module ``__getattr__``).

A plugin module keeps the running request in its global ``_req`` and a table of makers; the
first read of a member builds it from ``_req`` and stores it in the module, so later reads are
plain attribute reads. The plugin's ``initialize`` deletes the stored members for the next
request. Most pages read few of them, so most are never built.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional

Maker = Callable[[Any], Any]


def module_getattr(module: str, namespace: Dict[str, Any], makers: Mapping[str, Maker],
                   idle: Optional[Mapping[str, Callable[[], Any]]] = None) -> Callable[[str], Any]:
    """A ``__getattr__`` for ``module`` (whose globals are ``namespace``): ``makers[name](_req)``
    while a request runs; outside one, ``idle[name]()`` (not stored) when given, else no such
    attribute."""
    def __getattr__(name: str) -> Any:
        req = namespace.get('_req')
        if req is None:
            make_idle = idle.get(name) if idle is not None else None
            if make_idle is None:
                raise AttributeError('module %r has no attribute %r' % (module, name))
            return make_idle()
        make = makers.get(name)
        if make is None:
            raise AttributeError('module %r has no attribute %r' % (module, name))
        value = namespace[name] = make(req)
        return value
    return __getattr__
