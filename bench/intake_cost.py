"""Benchmark: the CPU one citizen submission costs, against the bare one-INSERT view, in one process.

    PYTHONIOENCODING=utf-8 .venv/bin/python bench/intake_cost.py [--requests 3000] [--rounds 6] [--batch 100]

``bench/intake.py`` measures throughput and latency under gunicorn with 50 clients; its figures
move with whatever else the machine does. This one answers the question behind them, much more
steadily: how much server CPU does one submission take, and where? It calls Django's WSGI
handler directly (no sockets, no gunicorn, no client in the figures) with the same bodies
bench/intake.py sends, in rounds alternating the bare insert (``POST /bench/bare-insert/``) and
the JSON API (``POST /api/v1/public/opinions``), and reads for each round the CPU of this
process, of its PostgreSQL backend (``/proc/<pg_backend_pid()>``) and of the Redis server. Then it
runs the after-submit work of the submitted cases as the Celery worker would
(``opinions_intake_process`` in batches of ``--batch``) and measures that the same way. Figures are
CPU milliseconds per acknowledged request; "vs bare" divides the bare insert's total by the
path's total, which is the throughput ratio two saturated cores would give (bench/intake.py's
"projection").

Same database, Redis and settings as bench/intake.py (``BENCH_PG_URL``, ``BENCH_REDIS_URL``;
``bench.settings_intake``); it seeds the database the same way when it is empty.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import prepare_bench_database  # noqa: E402
from bench.harness import markdown_table, parse_args, proc_cpu_ms, ratio, redis_pid  # noqa: E402
from bench.intake_data import pg_url, prepare_data, redis_client, redis_url  # noqa: E402  (intake.py's data)
from bench.intake_load import Load  # noqa: E402  (and its request bodies)


@dataclass
class Cost:
    requests: int = 0
    python_ms: float = 0.0
    postgres_ms: float = 0.0
    redis_ms: float = 0.0
    wal_bytes: float = 0.0  # PostgreSQL write-ahead log written (each index entry, each row version)
    statuses: dict[str, int] = field(default_factory=dict)

    def per(self, what: str) -> float:
        return getattr(self, what) / self.requests if self.requests else 0.0

    @property
    def total(self) -> float:
        return self.per("python_ms") + self.per("postgres_ms") + self.per("redis_ms")


def wal_lsn() -> int:
    """PostgreSQL's write-ahead log insert position, in bytes (reading it writes none)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')")
        return int(cursor.fetchone()[0])


class Meter:
    """CPU of this process, its PostgreSQL backend and the Redis server over a block of work, and
    the write-ahead log it made PostgreSQL write."""

    def __init__(self, backend: int, redis: int) -> None:
        self.backend, self.redis = backend, redis

    def __enter__(self) -> Meter:
        self.wal = wal_lsn()
        self.t = (time.process_time(), proc_cpu_ms(self.backend), proc_cpu_ms(self.redis) if self.redis else 0.0)
        return self

    def __exit__(self, *exc: Any) -> None:
        t = (time.process_time(), proc_cpu_ms(self.backend), proc_cpu_ms(self.redis) if self.redis else 0.0)
        self.python_ms = (t[0] - self.t[0]) * 1000.0
        self.postgres_ms = t[1] - self.t[1]
        self.redis_ms = t[2] - self.t[2]
        self.wal_bytes = wal_lsn() - self.wal

    def add_to(self, cost: Cost, n: int) -> None:
        cost.requests += n
        cost.python_ms += self.python_ms
        cost.postgres_ms += self.postgres_ms
        cost.redis_ms += self.redis_ms
        cost.wal_bytes += self.wal_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests per path (default 3000)")
    parser.add_argument("--rounds", type=int, default=6, help="slices, alternating the paths (default 6)")
    parser.add_argument("--batch", type=int, default=100, help="cases per after-submit batch (default 100)")
    parser.add_argument("--classified", type=int, default=1000)
    parser.add_argument(
        "--profile", action="store_true", help="afterwards, cProfile one round of each and print the top"
    )
    parser.add_argument("--queries", action="store_true", help="print the SQL of one request of each path")
    args = parse_args(parser, {"requests": 300, "rounds": 2, "classified": 200})

    # As a gunicorn worker of bench/intake.py runs: Redis as cache and queue. No Celery worker
    # runs: the tasks a submission queues wait in Redis (flushed at the end); the after-submit
    # work is called here, in this process, so that it is measured apart.
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_intake"
    os.environ["BENCH_PG_URL"] = pg_url()
    os.environ["REDIS_URL"] = redis_url()
    os.environ["NOTIFY_BACKEND"] = "renda.notify.backends.LocmemBackend"
    prepare_bench_database(pg_url(), own="renda_bench_intake", reset=False)
    import django

    django.setup()
    target = prepare_data(args.classified)

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from renda.opinions import intake as opinion_intake
    from renda.opinions.models import Opinion
    from renda.opinions.text import suggest_category_id

    suggest_category_id("村口的路灯坏了一个多月，晚上出行很不方便，希望尽快修好")  # jieba and the model
    redis = redis_client()
    redis.flushdb()
    handler = WSGIHandler()
    load = Load(0, target, f"c{secrets.token_hex(3)}", "intake-cost")

    def environ(path: str, body: bytes, content_type: str, headers: dict[str, str]) -> dict[str, Any]:
        env = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        for name, value in headers.items():
            env["HTTP_" + name.upper().replace("-", "_")] = value
        return env

    def request(name: str) -> tuple[dict[str, Any], str]:
        if name == "bare":
            key, _phone, body, ctype, headers = load.next_request("form", "")
            return environ("/bench/bare-insert/", body, ctype, headers), "200"
        key, _phone, body, ctype, headers = load.next_request("api", "")
        return environ("/api/v1/public/opinions", body, ctype, headers), "201"

    statuses: list[str] = []

    def start_response(status: str, _headers: Any, _exc: Any = None) -> None:
        statuses.append(status.split()[0])

    def backend_pid() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return int(cursor.fetchone()[0])

    rpid = redis_pid()
    costs = {"bare": Cost(), "api": Cost(), "worker": Cost()}
    per_round = max(1, args.requests // args.rounds)
    # Warm-up: every code path once, the connection opened, caches filled.
    for name in ("bare", "api") * 20:
        env, _ = request(name)
        b"".join(handler(env, start_response))
    opinion_intake.opinions_intake_process(batch=args.batch)
    print(
        f"Django {django.get_version()}, {connection.vendor} {connection.pg_version if connection.vendor == 'postgresql' else ''}, "
        f"{per_round} requests per path per round, {args.rounds} rounds, batches of {args.batch}",
        flush=True,
    )
    for round_no in range(args.rounds):
        for name in ("bare", "api"):
            envs = [request(name) for _ in range(per_round)]
            statuses.clear()
            meter = Meter(backend_pid(), rpid)
            with meter:
                for env, _ok in envs:
                    b"".join(handler(env, start_response))
            expected = envs[0][1]
            for s in statuses:
                costs[name].statuses[s] = costs[name].statuses.get(s, 0) + 1
            good = sum(1 for s in statuses if s == expected)
            meter.add_to(costs[name], good)
        waiting = Opinion.objects.filter(intake_pending=True).count()
        meter = Meter(backend_pid(), rpid)
        with meter:
            while opinion_intake._intake_batches(batch=args.batch, max_batches=1000):
                pass
        meter.add_to(costs["worker"], waiting)
        print(
            f"  round {round_no + 1}/{args.rounds}: bare {costs['bare'].total:.2f}, api {costs['api'].total:.2f}, "
            f"worker {costs['worker'].total:.2f} ms CPU per request so far",
            flush=True,
        )
    if args.queries:
        from django.test.utils import CaptureQueriesContext

        for name in ("bare", "api"):
            env, _ = request(name)
            with CaptureQueriesContext(connection) as ctx:
                b"".join(handler(env, start_response))
            print(f"\n{name}: {len(ctx.captured_queries)} statements")
            for q in ctx.captured_queries:
                print(f"  {q['sql'][:300]}")
        with CaptureQueriesContext(connection) as ctx:
            opinion_intake._intake_batches(batch=args.batch, max_batches=1)
        print(f"\nworker, one batch: {len(ctx.captured_queries)} statements")
        for q in ctx.captured_queries:
            print(f"  {q['sql'][:300]}")
    if args.profile:
        import cProfile
        import pstats

        for name in ("bare", "api", "worker"):
            prof = cProfile.Profile(time.process_time)
            if name == "worker":
                for _ in range(per_round):
                    env, _ = request("api")
                    b"".join(handler(env, start_response))
                prof.enable()
                while opinion_intake._intake_batches(batch=args.batch, max_batches=1000):
                    pass
                prof.disable()
            else:
                envs = [request(name) for _ in range(per_round)]
                prof.enable()
                for env, _ok in envs:
                    b"".join(handler(env, start_response))
                prof.disable()
            print(f"\n### profile: {name}, {per_round} requests")
            pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(45)
    redis.flushdb()

    api_all = costs["api"].total + costs["worker"].total
    bare = costs["bare"].total
    print()
    headers = ["path", "requests", "statuses", "Python ms", "PostgreSQL ms", "Redis ms", "total ms", "vs bare"]
    rows: list[list[object]] = []
    for label, c in [
        ("bare insert", costs["bare"]),
        ("api request", costs["api"]),
        ("after-submit worker", costs["worker"]),
    ]:
        vs = ratio(bare, c.total) if c.total and label != "after-submit worker" else 0.0
        ms = [f"{c.per(what):.3f}" for what in ("python_ms", "postgres_ms", "redis_ms")]
        rows.append([label, c.requests, json.dumps(c.statuses), *ms, f"{c.total:.3f}", f"{vs:.3f}×"])
        rows[-1].append(f"{c.per('wal_bytes'):,.0f}")
    wal_all = costs["api"].per("wal_bytes") + costs["worker"].per("wal_bytes")
    rows.append(["api request + worker", "", "", "", "", "", f"{api_all:.3f}", f"{ratio(bare, api_all):.3f}×"])
    rows[-1].append(f"{wal_all:,.0f}")
    print(markdown_table([*headers, "WAL bytes"], rows, "lrlrrrrrr"))
    print()
    print(
        f"a submission costs {api_all / bare:.2f}× the bare insert's CPU: two saturated cores would take "
        f"{bare / api_all:.3f}× as many submissions as bare inserts (target of issue #3: ≥ 0.5×)"
    )


if __name__ == "__main__":
    main()
