"""A scene's action table mounted as API routes: ``POST <prefix>/<route>`` for each action.

The order of refusals is the skeleton's (core/actions.py): 403 without the transition's
permission, before the body or the record is looked at; 404 for a record outside the caller's
scope (or, for a unit, not assigned to it); 409 in a state that does not allow it; 400/422 for
bad input. A retried request with the same Idempotency-Key gets the first answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.http import HttpRequest, HttpResponse
from ninja import P, Router
from ninja.params import HeaderEx, PathEx

from renda.api.auth import request_scope
from renda.api.idempotency import HEADER, KEY_DESCRIPTION, render, run_idempotent
from renda.api.schemas import WRITE_ERRORS
from renda.core.actions import ActionTable
from renda.core.inputs import MAX_INT
from renda.core.scoping import Scope

M = TypeVar("M", bound=models.Model)

Key = HeaderEx[str | None, P(alias=HEADER, description=KEY_DESCRIPTION)]


def mount_actions(
    router: Router,
    table: ActionTable[M],
    *,
    prefix: str,
    id_name: str,
    id_title: str,
    load: Callable[[Scope, int], M],
    answer: Callable[[Scope, Any], Any],
    response: type[Any],
    empty_input: type[Any] | None = None,
) -> None:
    """Register one POST route per action of ``table`` on ``router``.

    ``load(scope, id)`` fetches the record as the caller may see it (404 otherwise);
    ``answer(scope, result)`` is what the route answers with, rendered as ``response``. An action
    whose input is ``empty_input`` takes no body.
    """
    for action in table:
        transition = table.transition(action)
        perm = transition.perm
        assert perm is not None

        def endpoint(request: HttpRequest, _action: Any = action, _perm: str = perm, **kwargs: Any) -> HttpResponse:
            scope = request_scope(request)
            scope.require(_perm)
            payload = kwargs.get("payload")

            def run() -> HttpResponse:
                record = load(scope, kwargs[id_name])
                result = _action.run(scope, record, payload, {})
                return render(request, response, answer(scope, result), status=200)

            return run_idempotent(request, kwargs.get("idempotency_key"), run)

        params = [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=HttpRequest),
            inspect.Parameter(
                id_name, inspect.Parameter.KEYWORD_ONLY, annotation=PathEx[int, P(ge=1, le=MAX_INT, title=id_title)]
            ),
        ]
        if action.input is not empty_input:
            params.append(inspect.Parameter("payload", inspect.Parameter.KEYWORD_ONLY, annotation=action.input))
        params.append(
            inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Key)
        )
        endpoint.__signature__ = inspect.Signature(params, return_annotation=HttpResponse)  # type: ignore[attr-defined]
        # The URL name (``api:route_opinion``) and the view's name: <route>_<noun>.
        endpoint.__name__ = table.api_route_name(action) or f"{action.name}_{table.noun}"
        endpoint.__doc__ = action.description or None
        router.post(
            f"{prefix}/{action.route}",
            response={200: response, **WRITE_ERRORS},
            summary=action.summary or transition.label,
            url_name=endpoint.__name__,
        )(endpoint)
