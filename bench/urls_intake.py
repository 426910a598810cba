"""URLConf for bench/intake.py: every product route, plus the baseline the benchmark divides by.

``bench/bare-insert/`` is the least a form POST that stores something can cost on this stack:
the same middleware, the same multipart parsing, one INSERT in autocommit, a small JSON answer.
The table ``bench_bare`` is created by bench/intake.py (no model, no migration).
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from renda.urls import urlpatterns as product_urlpatterns


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare (key, body, created_at) VALUES (%s, %s, now()) RETURNING id",
            [request.POST.get("idempotency_key", "")[:64], request.POST.get("text", "")],
        )
        new_id = cursor.fetchone()[0]
    return JsonResponse({"id": new_id})


urlpatterns = [*product_urlpatterns, path("bench/bare-insert/", bare_insert, name="bench_bare_insert")]
