"""Private exceptions that end a servlet on purpose (not failures).

BaseException subclasses, so a servlet's ``except Exception`` does not swallow them.
"""
from __future__ import annotations


class Redirect(BaseException):
    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, status)
        self.url = url
        self.status = status


class HttpError(BaseException):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
