"""One exception hierarchy for the domain. Messages are shown to users, in Chinese."""

from __future__ import annotations


class RendaError(Exception):
    """Base of every error a service raises on purpose."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(RendaError):
    """The input is wrong; nothing was changed.

    ``errors`` holds every wrong field of the input (field -> message), so a form shows them all
    at once; ``message`` and ``field`` are the first of them."""

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, str] | None = None) -> None:
        super().__init__(message, field=field)
        self.errors: dict[str, str] = dict(errors) if errors else {field or "": message}

    @classmethod
    def of(cls, errors: dict[str, str]) -> ValidationFailed:
        """One refusal naming every wrong field (``errors`` in the order the form shows them)."""
        field, message = next(iter(errors.items()))
        return cls(message, field=field or None, errors=errors)


class PermissionDenied(RendaError):
    """The actor may not do this."""

    status_code = 403


class NotFound(RendaError):
    """The record does not exist, or is outside the actor's scope (never tell which)."""

    status_code = 404


class Conflict(RendaError):
    """The request conflicts with the current state (replayed, stale, already done)."""

    status_code = 409
