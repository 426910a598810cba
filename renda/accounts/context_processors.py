from typing import Any

from django.http import HttpRequest

from renda.core.scoping import scope_for_user


def scope(request: HttpRequest) -> dict[str, Any]:
    return {"scope": scope_for_user(getattr(request, "user", None))}
