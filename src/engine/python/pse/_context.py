"""The request running in this worker (one at a time), for the module-level ``pse`` API."""
from __future__ import annotations

from typing import Any, Optional

#: the ``_servlet.RequestRun`` being executed, or None between requests
current: Optional[Any] = None


def require(what: str) -> Any:
    if current is None:
        raise RuntimeError('%s can only be used while a servlet runs in a PSE worker' % what)
    return current
