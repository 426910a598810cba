"""The page half of an action: what every scene's ``views.act`` does, written once.

    the action looked up in the scene's table          404 for an unknown one
    the transition's permission                        403, before the input or the record
    the record, as the user may see it                 404 outside their scope
    the form parsed with the action's input            (core/inputs.py parse_form)
    the action run                                     (the service, through core/actions.py)
    success: a message and a redirect; a refusal: the page again with the error, nothing written

A scene gives the three things that differ: how to load its record, how to show its page with
an error, and where to go afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse

from renda.core.actions import Action, ActionTable
from renda.core.errors import NotFound, RendaError, ValidationFailed
from renda.core.inputs import parse_form
from renda.core.scoping import Scope, scope_for_user

M = TypeVar("M", bound=models.Model)


def page_action(
    request: HttpRequest,
    table: ActionTable[M],
    name: str,
    pk: int,
    *,
    load: Callable[[Scope, int], M],
    refused: Callable[[Scope, M, Action[M], RendaError], HttpResponse],
    done: Callable[[M, Any, Action[M]], HttpResponse],
    say: Callable[[Action[M], Any], str] | None = None,
) -> HttpResponse:
    """Run action ``name`` of ``table`` on record ``pk`` from a page's POST.

    ``refused(scope, fresh_record, action, error)`` answers a refusal (the page again, with the
    error and the status the error carries); ``done(record, result, action)`` the success (a
    redirect). ``say(action, result)`` words the success when it depends on the outcome (the
    action's ``message`` otherwise). A 403 or 404 is raised, never shown as a form error.
    """
    scope = scope_for_user(request.user)
    entry = table.get(name)
    if entry is None:
        raise NotFound("没有这个操作")
    scope.require(table.transition(entry).perm or "")  # before looking at the input or the record
    record = load(scope, pk)
    try:
        result = entry.run(
            scope, record, parse_form(entry.input, request.POST, request.FILES, record=record), request.FILES
        )
    except RendaError as exc:
        if exc.status_code in (403, 404):
            raise
        return refused(scope, load(scope, pk), entry, exc)
    messages.success(request, say(entry, result) if say is not None else entry.message)
    return done(record, result, entry)


def form_refused(form: Any, exc: ValidationFailed) -> None:
    """Show a service's refusal on a Django form: every wrong field beside its box, what belongs
    to no box of the form above it."""
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)
