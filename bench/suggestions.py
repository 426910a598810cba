"""Benchmark: the 代表建议 supervision board and statistics page at 200,000 suggestions on PostgreSQL.

    PYTHONIOENCODING=utf-8 .venv/bin/python bench/suggestions.py [--rows 200000] [--samples 40] [--warmup 5] [--reset]

PostgreSQL is reached through BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432/renda_bench_suggestions). The database is created if missing; with
--reset (or when it holds fewer suggestions than --rows) its public schema is dropped and rebuilt:
migrations, the demo county (scale 1), then ``--rows`` suggestions loaded with COPY, spread over the
eight township congresses and five years in realistic proportions (91% closed, A/B/C/D answers,
satisfied ~94%, ~3% overdue, key suggestions, B/C promises); COPY bypasses the services, so the
statistics summary is then rebuilt from the records (``manage.py rebuild_suggestion_figures``),
followed by VACUUM ANALYZE. The script
refuses a database whose name does not contain ``bench``.

It then requests, through Django's test client logged in as the demo ``county`` user (who sees the
whole county: every suggestion), interleaved request by request after ``--warmup`` untimed rounds:

- ``GET /suggestions/board/``  — the supervision board (counts, four lists, by unit, by region);
- ``GET /suggestions/stats/?by=unit`` and ``?by=category`` — the statistics page;
- the baseline: a plain ``SELECT COUNT(*) FROM suggestions_suggestion`` through a bare cursor.

and prints the queries each page sends, p50/p95 in milliseconds, each page's p50/p95 divided by the
baseline's, and the load average of the machine (shared: other work inflates every figure). The target is
p95 under 200 ms for both pages. Bounded: ``--samples`` requests per path, nothing else.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import migrate_and_seed_county, prepare_bench_database, setup_product_django  # noqa: E402
from bench.harness import env_url, loadavg_text, markdown_table, parse_args, percentile, ratio  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/renda_bench_suggestions"


def _load(rows: int, seed: int) -> None:
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from renda.org.models import Body, BodyKind, Category, CongressLevel, Deputy, HandlingUnit

    migrate_and_seed_county("基准测试")
    rng = random.Random(seed)
    bodies = list(Body.objects.filter(kind=BodyKind.CONGRESS, level=CongressLevel.TOWNSHIP).select_related("region"))
    deputies = {
        b.pk: list(Deputy.objects.filter(region__path__startswith=b.region.path).values_list("pk", flat=True))
        for b in bodies
    }
    units = {b.pk: list(HandlingUnit.objects.filter(region=b.region).values_list("pk", "name")) for b in bodies}
    categories = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    today = timezone.localdate()
    years = [today.year - k for k in range(5)]
    seqs: dict[tuple[int, int], int] = {}
    columns = [
        "created_at", "updated_at", "body_id", "region_id", "year", "period", "lead_deputy_id", "category_id", "title",
        "content", "problem", "proposal", "wide_or_hard", "is_key", "key_gov_leader", "key_congress_leader", "seq",
        "number", "state", "submitted_at", "accepted_at", "assigned_at", "lead_unit_id", "assign_by", "answer_by",
        "reanswer_by", "due_on", "due_official", "is_overdue", "round", "answer_class", "answered_at",
        "answered_on_time", "answer_days", "closed_at", "outcome", "promise_open", "publish_consent", "return_reason",
        "withdraw_reason", "convert_reason",
    ]  # fmt: skip
    buf = io.StringIO()

    def n(v: object) -> str:
        if v is None:
            return "\\N"
        if isinstance(v, bool):
            return "t" if v else "f"
        return str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")

    for i in range(rows):
        body = bodies[i % len(bodies)]
        year = years[min(4, int(rng.expovariate(0.9)))]
        key = (body.pk, year)
        seqs[key] = seqs.get(key, 0) + 1
        seq = seqs[key]
        submitted = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 330))
        if submitted >= today:
            submitted = today - dt.timedelta(days=rng.randint(5, 60))
        assigned = submitted + dt.timedelta(days=rng.randint(3, 9))
        answer_by = assigned + dt.timedelta(days=91)
        r = rng.random()
        state = "closed" if r < 0.91 else "assigned" if r < 0.96 else "answered" if r < 0.98 else "rehandling"
        klass = rng.choices("ABCD", weights=[55, 28, 11, 6])[0]
        answered = assigned + dt.timedelta(days=rng.randint(15, 100)) if state != "assigned" else None
        outcome = ""
        if state == "closed":
            outcome = rng.choices(["satisfied", "basic", "unsatisfied", "unrated"], weights=[80, 13, 5, 2])[0]
        overdue = state in ("assigned", "rehandling") and answer_by < today
        unit_id, _ = rng.choice(units[body.pk])
        due = answer_by if state in ("assigned", "rehandling") else None
        stamp = timezone.make_aware(dt.datetime.combine(submitted, dt.time(10)))
        row = [
            stamp, stamp, body.pk, body.region_id, year, rng.choice(["session", "recess"]),
            rng.choice(deputies[body.pk]), rng.choice(categories), f"基准测试建议第{i}号", "基准测试内容", "", "",
            rng.random() < 0.1, rng.random() < 0.05, "", "", seq, f"〔{year}〕第{seq}号", state, stamp,
            stamp, timezone.make_aware(dt.datetime.combine(assigned, dt.time(15))), unit_id, assigned, answer_by,
            None, due, True, overdue, 2 if state == "rehandling" else 1,
            klass if answered else "",
            timezone.make_aware(dt.datetime.combine(answered, dt.time(16))) if answered else None,
            (answered <= answer_by) if answered else None, (answered - assigned).days if answered else None,
            stamp if state == "closed" else None, outcome, bool(answered) and klass in "BC" and rng.random() < 0.4,
            rng.random() < 0.5, "", "", "",
        ]  # fmt: skip
        buf.write("\t".join(n(v) for v in row) + "\n")
    t1 = time.monotonic()
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(f"COPY suggestions_suggestion ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buf.getvalue())
    connection.commit() if not connection.get_autocommit() else None
    print(f"loaded {rows:,} suggestions with COPY in {time.monotonic() - t1:.1f} s")
    # COPY bypasses the services, which keep the statistics summary: rebuild it from the records,
    # as an operator does after a bulk import.
    t2 = time.monotonic()
    call_command("rebuild_suggestion_figures")
    print(f"rebuilt the statistics summary in {time.monotonic() - t2:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # every table: autovacuum would, after such a load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reset", action="store_true")
    args = parse_args(parser, {"rows": 20_000, "samples": 5, "warmup": 1}, "reuses a database of more rows")
    url = env_url("BENCH_PG_URL", DEFAULT_URL)
    fresh = prepare_bench_database(url, own="renda_bench_suggestions", reset=args.reset)
    setup_product_django(url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from renda.accounts.models import User
    from renda.suggestions.models import Suggestion

    try:
        have = Suggestion.objects.count()
    except Exception:  # noqa: BLE001 - an empty database has no table yet
        connection.close()
        have = -1
    if fresh or have < args.rows:
        if have >= 0 and not fresh:
            prepare_bench_database(url, own="renda_bench_suggestions", reset=True)
            connection.close()
        _load(args.rows, args.seed)
    total = Suggestion.objects.count()
    client = Client()
    client.force_login(User.objects.get(username="county"))
    paths = {
        "board": "/suggestions/board/",
        "stats by unit": "/suggestions/stats/?by=unit",
        "stats by category": "/suggestions/stats/?by=category",
    }
    timings: dict[str, list[float]] = {k: [] for k in [*paths, "COUNT(*)"]}

    def count() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM suggestions_suggestion")
            cursor.fetchone()

    for round_no in range(args.warmup + args.samples):
        for name, path in paths.items():
            t = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - t) * 1000
            assert response.status_code == 200, (path, response.status_code)
            if round_no >= args.warmup:
                timings[name].append(elapsed)
        t = time.perf_counter()
        count()
        if round_no >= args.warmup:
            timings["COUNT(*)"].append((time.perf_counter() - t) * 1000)
    queries: dict[str, int] = {}
    for name, path in paths.items():
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        queries[name] = len(ctx.captured_queries)
    queries["COUNT(*)"] = 1
    print(
        f"\n{total:,} suggestions, {args.samples} samples per path, load average {loadavg_text(os.getloadavg())} "
        f"(1/5/15 min) on {os.cpu_count()} cores"
    )
    base50, base95 = percentile(timings["COUNT(*)"], 0.5), percentile(timings["COUNT(*)"], 0.95)
    rows = []
    for name, values in timings.items():
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        target = "" if name == "COUNT(*)" else ("ok (<200 ms)" if p95 < 200 else "OVER 200 ms")
        rows.append([name, queries[name], f"{p50:.1f}", f"{p95:.1f}", f"{ratio(p50, base50):.1f}"])
        rows[-1] += [f"{ratio(p95, base95):.1f}", target]
    headers = ["path", "queries", "p50 ms", "p95 ms", "p50 / COUNT", "p95 / COUNT", "p95 target"]
    print(markdown_table(headers, rows, "lrrrrrl"))
    print(f"(mean of the board: {statistics.mean(timings['board']):.1f} ms)")


if __name__ == "__main__":
    main()
