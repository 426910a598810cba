"""WSGI entry for bench/intake.py: renda's application under bench.settings_intake, warmed.

gunicorn imports this once per worker (no --preload), so each worker loads the jieba dictionary
and builds its category model (renda/opinions/text.py) before it takes traffic, and logs how long
that took: the price the first citizen of each fresh worker would otherwise pay.

With BENCH_PROFILE=<dir> each worker profiles its opinion submissions (form and JSON API POSTs) (after its first
BENCH_PROFILE_SKIP of them) with cProfile and writes <dir>/intake-<pid>.prof when it exits. The
clock is the thread's CPU time (BENCH_PROFILE_CLOCK=cpu, the default): on a shared machine wall
time mostly measures the other processes; BENCH_PROFILE_CLOCK=wall counts waits (database, locks,
Redis) too. A diagnosis mode for sync workers: cProfile slows Python code down.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_intake")

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connections  # noqa: E402

_django_app = get_wsgi_application()


def _warm() -> None:
    import jieba
    from django.urls import reverse

    from renda.opinions.text import suggest_category_id

    reverse("healthz")  # imports every URLConf and view module, as the first request would
    t0 = time.perf_counter()
    jieba.initialize()
    t1 = time.perf_counter()
    suggest_category_id("村口的路灯坏了一个多月，晚上出行很不方便，希望尽快修好")
    t2 = time.perf_counter()
    connections.close_all()
    sys.stderr.write(f"[bench-warm] pid={os.getpid()} jieba={t1 - t0:.3f}s category_model={t2 - t1:.3f}s\n")
    sys.stderr.flush()


_warm()

Start = Callable[..., Any]
API_PATH = "/api/v1/public/opinions"


def _profiled(app: Callable[[dict[str, Any], Start], Iterable[bytes]], out_dir: str) -> Callable[..., Any]:
    import cProfile

    clock = time.perf_counter if os.environ.get("BENCH_PROFILE_CLOCK") == "wall" else time.thread_time
    profiler = cProfile.Profile(clock)
    skip = [int(os.environ.get("BENCH_PROFILE_SKIP", "20"))]

    def dump() -> None:
        profiler.dump_stats(os.path.join(out_dir, f"intake-{os.getpid()}.prof"))

    atexit.register(dump)

    def wrapped(environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or not (path.endswith("/opinion/") or path == API_PATH):
            return app(environ, start_response)
        if skip[0] > 0:
            skip[0] -= 1
            return app(environ, start_response)
        profiler.enable()
        try:
            result = app(environ, start_response)
            try:
                body = b"".join(result)  # rendering and the request_finished signal inside the profile
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            return [body]
        finally:
            profiler.disable()

    return wrapped


application: Callable[..., Any] = _django_app
if os.environ.get("BENCH_PROFILE"):
    application = _profiled(_django_app, os.environ["BENCH_PROFILE"])
