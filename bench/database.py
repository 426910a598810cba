"""The PostgreSQL database a benchmark builds its data in: its own, never the suite's, the
server's or another benchmark's (the scripts drop schemas and fill tables with generated rows).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent

# Each script's default database: one benchmark never resets or fills another's.
BENCH_DATABASES = {
    "renda_bench",
    "renda_bench_intake",
    "renda_bench_voting",
    "renda_bench_suggestions",
    "renda_bench_faults",
}
SERVER_DATABASES = {"postgres", "template0", "template1"}


def prepare_bench_database(url: str, *, own: str, reset: bool) -> bool:
    """Create the database ``url`` names if it is missing; with ``reset`` give it an empty public
    schema. True when it is empty now (new or reset).

    Refused (SystemExit): a server on another machine, a name without "bench", a test database,
    the server's own databases, and another benchmark's default database (``own`` is the calling
    script's)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    dbname = parts.path.lstrip("/")
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("BENCH_PG_URL must point at 127.0.0.1")
    if (
        "bench" not in dbname
        or dbname.startswith("test")
        or dbname in SERVER_DATABASES
        or dbname in BENCH_DATABASES - {own}
    ):
        raise SystemExit(f"refusing database {dbname!r}: BENCH_PG_URL must name a bench-only database of this script")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        created = not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        if created:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    if reset and not created:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    return created or reset


def setup_bench_django(url: str) -> None:
    """Django in this process under ``bench.settings_intake`` on ``url``, for preparing data:
    notifications go to an in-memory outbox and tasks run in-process (no REDIS_URL); the servers
    a script starts get their own environment."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_intake"
    os.environ["BENCH_PG_URL"] = url
    os.environ["NOTIFY_BACKEND"] = "renda.notify.backends.LocmemBackend"
    os.environ.pop("REDIS_URL", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def setup_product_django(url: str, *, debug: bool | None = None) -> None:
    """Django in this process under the product's own settings (``renda.settings``) on the
    database ``url`` (DATABASE_URL); ``debug`` False sets DEBUG=0 unless the environment has it."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "renda.settings"
    if debug is not None:
        os.environ.setdefault("DEBUG", "1" if debug else "0")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate_and_seed_county(actor: str) -> Any:
    """Migrate, then build the demo county once (``build_demo(scale=1)`` under a system scope,
    audited as ``seed_demo`` audits it); a database that has it already is reused. Returns the
    system scope, for the script's own data."""
    import time

    from django.core.management import call_command
    from django.db import transaction

    from renda.audit.services import audit_record
    from renda.core.scoping import system_scope
    from renda.demo.county import build_demo
    from renda.regions.models import Region

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated in {time.perf_counter() - t0:.1f} s", flush=True)
    scope = system_scope(actor)
    if Region.objects.exists():
        print("demo county already seeded: reused", flush=True)
        return scope
    t0 = time.perf_counter()
    with transaction.atomic():
        summary = build_demo(scope=scope, scale=1, seed=2026)
        audit_record(
            actor=scope.actor,
            action="demo.seed",
            target_type="system",
            target_id="demo",
            after={"scale": 1, "deputies": summary.deputies},
        )
    print(
        f"demo county seeded in {time.perf_counter() - t0:.1f} s ({summary.deputies} deputies, "
        f"{summary.stations} stations)",
        flush=True,
    )
    return scope
