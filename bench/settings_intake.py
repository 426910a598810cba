"""Settings for bench/intake.py only: the product's settings with a bench database, the bench
URLConf (one extra bare-insert view) and the production layout's Redis cache and queue.

    DJANGO_SETTINGS_MODULE=bench.settings_intake  BENCH_PG_URL=postgres://…/renda_bench_intake
    REDIS_URL=redis://127.0.0.1:6379/15           (set by bench/intake.py before anything imports this)
"""

from __future__ import annotations

import os

import dj_database_url

from renda.settings import *  # noqa: F403

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/renda_bench_intake"

# The same connection options as renda.settings (persistent connections, 60 s), another database.
DATABASES = {"default": dj_database_url.parse(os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL), conn_max_age=60)}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls_intake"

# Loopback HTTP without nginx in front: cookies must not be marked Secure or the client drops them.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# The Celery worker started by the benchmark prints notifications (ConsoleBackend) to a stdout
# that goes to /dev/null; keep Celery from routing that stdout into its log.
CELERY_WORKER_REDIRECT_STDOUTS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
