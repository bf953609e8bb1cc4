"""Typed domain errors.

Resolvers raise these; GraphQL turns them into errors carrying
``extensions.code`` and every REST face renders them in its own documented
shape and status. Anything else that escapes a resolver is unexpected and is
masked before it reaches a client.
"""

from __future__ import annotations

from typing import Any

from core.input_bounds import shorten


class DomainError(Exception):
    """Base class: a failure the client is meant to see."""

    code = "BAD_REQUEST"
    status = 400

    def __init__(self, message: str, *, details: Any = None, status: int | None = None,
                 code: str | None = None) -> None:
        # Messages that quote input (a name, an id) quote at most a prefix of it.
        message = shorten(message)
        super().__init__(message)
        self.message = message
        self.details = details
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class Validation(DomainError):
    code = "BAD_USER_INPUT"
    status = 400


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    status = 401


class Forbidden(DomainError):
    code = "FORBIDDEN"
    status = 403


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409


class Gone(DomainError):
    code = "GONE"
    status = 410


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    status = 429

    def __init__(self, message: str = "Too many requests", *, retry_after: int | None = None,
                 details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class Upstream(DomainError):
    """An upstream service (the LLM, GitHub, ...) failed; status is 502 or 504."""

    code = "UPSTREAM_ERROR"
    status = 502

    def __init__(self, message: str, *, status: int = 502, retry_after: int | None = None,
                 details: Any = None, code: str | None = None) -> None:
        super().__init__(message, details=details, status=status, code=code)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The server cannot answer now (its database is down or busy); try after
    ``retry_after`` seconds."""

    code = "SERVICE_UNAVAILABLE"
    status = 503

    def __init__(self, message: str, *, retry_after: int | None = None,
                 details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class NotConfigured(DomainError):
    """A feature needs configuration this deployment does not have."""

    code = "NOT_CONFIGURED"
    status = 501
