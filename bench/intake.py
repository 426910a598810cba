"""Benchmark: sustained citizen opinion submissions (群众扫码反映意见) under gunicorn on PostgreSQL.

    .venv/bin/python bench/intake.py [--configs sync:2,sync:3,sync:4,sync:5,gthread:2x4,...]
        [--paths bare,form,api] [--clients 50] [--duration 20] [--rounds 2] [--warmup 3]
        [--open-loop 0.25,0.5,0.75] [--front none|nginx] [--no-keepalive]
        [--profile [--profile-clock cpu|wall]] [--reset]

The production layout of docs/deploy.md on this machine: gunicorn serving renda under
``bench.settings_intake`` (the product's settings with the bench database and the URLConf
``bench.urls_intake``), Redis as cache and Celery broker, a Celery worker delivering the
notifications, PostgreSQL. For each gunicorn configuration (worker class and count) it starts the
server, waits until every worker has loaded jieba and built its category model, then drives
``--clients`` concurrent keep-alive clients (asyncio streams over loopback sockets, on uvloop when
installed; with ``--front nginx`` through nginx as docs/deploy.md puts it before gunicorn) against each
path for ``--duration`` timed seconds, in ``--rounds`` slices interleaved path by path (bare,
form, api, bare, form, api, ...) so that load from elsewhere on the machine falls on all paths
alike, each slice after ``--warmup`` untimed seconds:

- bare:  POST /bench/bare-insert/, the same multipart body through the same middleware into a
         view that does one INSERT: the baseline the other paths are divided by;
- form:  POST /s/<public_id>/opinion/, the HTML form a citizen's phone submits after scanning a
         station's QR code (CSRF cookie and token from one GET per client, then a unique
         idempotency key and a unique mobile number per POST; valid text, village and category);
- api:   POST /api/v1/public/opinions, the same submission as JSON with an Idempotency-Key
         header, when the server has that route (skipped with a note when it answers 404).

The JSON API is the path held against the targets when present, else the form. Every
acknowledged submission (form: 302 to /receipt/<code>/; api: 201 with the receipt code; bare:
200 with the new id) is looked up in the database afterwards: acknowledged-but-missing and
duplicates must both be 0. Throughput counts acknowledgements completed inside the timed
window; latency is measured at the client, connect and queueing included. Then, on the best
configuration, ``--open-loop`` offers Poisson arrivals at fractions of its throughput (latency
from arrival), and ``--profile`` reruns its worker count with sync workers under cProfile and
prints where a submission's time goes. CPU used by each process group (gunicorn, postgres,
celery, redis, this client, everything else on the machine) is read from /proc for every phase.

Load test configuration the product needs (data, not code): all clients come from 127.0.0.1, so
the per-IP limit ``opinion.rate_per_ip_hour`` (default 20) is raised with a RuleSetting row, as
is ``opinion.rate_per_phone_day`` (each request uses its own phone anyway). The rate-limit
counters live in the Redis cache shared by all workers (REDIS_URL, database 15 by default, which
the benchmark flushes before and after): with the per-process local-memory cache each worker
would count alone.

PostgreSQL is reached through BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432/renda_bench_intake; created and migrated if missing, seeded
once with the demo county and --classified staff-entered opinions); Redis through
BENCH_REDIS_URL (default redis://127.0.0.1:6379/15). Logs: var/bench/intake-*.log.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import prepare_bench_database, setup_bench_django  # noqa: E402
from bench.harness import (  # noqa: E402
    BENCH_VAR,
    Process,
    banner,
    free_port,
    parse_args,
    servers_stopped_on_exit,
    stop_all,
    wait_front,
    wait_ready,
)
from bench.intake_data import Target, pg_url, prepare_data, redis_client, redis_url  # noqa: E402
from bench.intake_load import Connection, Load, Phase, client_loop, run_loop, verify  # noqa: E402
from bench.intake_report import REAL_PATHS, Results, pick_best, profile_report, report  # noqa: E402
from bench.intake_servers import (  # noqa: E402
    Config,
    api_present,
    parse_configs,
    start_beat,
    start_celery,
    start_gunicorn,
    start_nginx,
    wait_queue_drained,
)

DEFAULT_CONFIGS = "sync:2,sync:3,sync:4,sync:5,gthread:2x4,gthread:3x4,gthread:4x4,gthread:5x4"


def run_config(
    config: Config,
    target: Target,
    args: argparse.Namespace,
    celery: tuple[Process, ...],
    key_prefix: str,
    plan: list[tuple[str, float | None, float]],
    profile_dir: str = "",
    rounds: int = 1,
) -> tuple[list[Phase], list[str]]:
    """Start gunicorn with ``config``, run each (bare|form|api, open-loop rate or None, seconds) of
    ``plan`` against it, stop it, then check every acknowledgement against the database.

    With ``rounds`` > 1 the plan runs that many times with 1/rounds of each duration, and the
    slices of each path are merged: load from elsewhere on the machine then falls on all paths
    alike, instead of on whichever path happened to run while another job was busy."""
    port = free_port()
    t0 = time.monotonic()
    server = start_gunicorn(config, port, profile_dir, args.profile_clock)
    front = None
    phases = []
    try:
        warm = wait_ready(server, port, config.workers)
        roots = {"gunicorn": (server.pid,), "celery": tuple(c.pid for c in celery)}  # worker and beat
        if args.front == "nginx":
            front_port = free_port()
            front = start_nginx(front_port, port)
            wait_front(front, front_port)
            port = front_port
            roots["nginx"] = (front.pid,)
        print(
            f"\n### {config.label}{' behind nginx' if front else ''}: ready in {time.monotonic() - t0:.1f} s",
            flush=True,
        )
        load = Load(port, target, key_prefix, rng_seed=key_prefix)
        if any(name == "api" for name, _, _ in plan) and (why := api_present(port)):
            print(f"  api: not measured ({why})", flush=True)
            plan = [step for step in plan if step[0] != "api"]
        slices: dict[tuple[str, float | None], list[Phase]] = {}
        for r in range(rounds):
            for name, rate, duration in plan:
                part = run_loop(load.run(name, args.clients, args.warmup, duration / rounds, pg_url(), roots, rate))
                part.queue_after, part.intake_after, part.drain_s = wait_queue_drained()
                slices.setdefault((name, rate), []).append(part)
                offered = f"open loop, {rate:.1f}/s offered" if rate else "closed loop"
                print(
                    f"  {name} ({offered}{f', round {r + 1}/{rounds}' if rounds > 1 else ''}): "
                    f"{part.throughput:7.1f} acks/s  p50 {part.pct(0.5):6.1f}  p99 {part.pct(0.99):6.1f} ms  "
                    f"errors {sum(part.errors.values())}",
                    flush=True,
                )
        phases = [Phase.merge(parts) for parts in slices.values()]
    finally:
        if front is not None:
            front.stop()
        server.stop()
    for phase in phases:
        verify(phase)
    return phases, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--configs",
        default=DEFAULT_CONFIGS,
        help=f"gunicorn configurations, sync:N or gthread:NxT (default {DEFAULT_CONFIGS})",
    )
    parser.add_argument(
        "--paths", default="bare,form,api", help="what to load, in order (default bare,form,api; api when present)"
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument(
        "--no-keepalive",
        action="store_true",
        help="a new connection per request (as nginx in docs/deploy.md opens one per request to gunicorn)",
    )
    parser.add_argument(
        "--front",
        choices=["none", "nginx"],
        default="none",
        help="what the clients connect to: gunicorn itself (none, default) or nginx in front of it, "
        "as docs/deploy.md deploys it (needs the nginx binary)",
    )
    parser.add_argument("--duration", type=float, default=20.0, help="timed seconds per phase (default 20)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="interleave the paths in this many slices of duration/rounds (default 2)"
    )
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="untimed seconds before each slice and phase (default 3)"
    )
    parser.add_argument(
        "--classified", type=int, default=1000, help="staff-classified opinions for the category model (default 1000)"
    )
    parser.add_argument(
        "--open-loop",
        default="0.25,0.5,0.75",
        help="then, on the best configuration, submissions arriving at these fractions of its closed-loop "
        "throughput (Poisson arrivals, at most --clients in flight); empty to skip (default 0.25,0.5,0.75)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="last, profile the best worker count (sync workers) with cProfile"
    )
    parser.add_argument("--profile-duration", type=float, default=15.0)
    parser.add_argument(
        "--profile-clock", choices=["cpu", "wall"], default="cpu", help="cProfile timer: thread CPU time or wall time"
    )
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database first")
    quick = {
        "configs": "sync:2",
        "paths": "bare,api",
        "clients": 10,
        "duration": 4.0,
        "rounds": 1,
        "warmup": 1.0,
        "classified": 200,
        "open_loop": "",
    }
    args = parse_args(parser, quick, "one configuration, seconds of load")
    Connection.keep_alive = not args.no_keepalive
    configs = parse_configs(args.configs)
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if "bare" not in paths or not set(paths) & set(REAL_PATHS) or not set(paths) <= {"bare", *REAL_PATHS}:
        raise SystemExit("--paths needs bare and at least one of form, api")
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    run_id = secrets.token_hex(4)

    connections = "keep-alive connections" if Connection.keep_alive else "a new connection per request"
    print(banner("intake.py", f"run {run_id}", connections, f"clients on {client_loop()}"), flush=True)
    prepare_bench_database(pg_url(), own="renda_bench_intake", reset=args.reset)
    setup_bench_django(pg_url())
    target = prepare_data(args.classified)
    import django
    import psycopg

    with psycopg.connect(pg_url()) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()
    print(
        f"Django {django.get_version()}, PostgreSQL {pg_version[0] if pg_version else '?'}, "
        f"Redis {redis_url()} (flushed), station {target.station_name} ({target.station_public_id}), "
        f"{len(target.villages)} villages, {len(target.leaves)} categories, "
        f"{target.classified} classified + {target.opinions_before - target.classified} other opinions stored",
        flush=True,
    )
    redis_client().flushdb()  # rule cache, rate-limit counters, Celery queue of earlier runs
    load_before = os.getloadavg()

    results: Results = []
    open_loop: list[Phase] = []
    checked: list[Phase] = []  # every phase's acknowledgements count in the verdict
    profile_text = ""
    with servers_stopped_on_exit():
        celery = (start_celery(), start_beat())
        closed: list[tuple[str, float | None, float]] = [(p, None, args.duration) for p in paths]
        for config in configs:
            phases, warm = run_config(
                config, target, args, celery, f"bi-{run_id}-{config.slug}-", closed, rounds=args.rounds
            )
            results.append((config, {p.name: p for p in phases}, warm))
            checked += phases
        # The JSON API is the citizen path when every configuration has it, else the HTML form.
        primary = "api" if all("api" in r[1] for r in results) else "form"
        best_cfg, best, _ = pick_best(results, primary)
        fractions = [float(f) for f in args.open_loop.split(",") if f.strip()]
        if fractions:
            capacity = best[primary].throughput
            plan = [(primary, round(f * capacity, 1), args.duration) for f in fractions if f * capacity >= 0.5]
            print(f"\n## open loop, {primary}, {best_cfg.label}: {fractions} of {capacity:.1f} acks/s", flush=True)
            open_loop, _ = run_config(best_cfg, target, args, celery, f"bi-{run_id}-o{best_cfg.slug}-", plan)
            checked += open_loop
        if args.profile:
            prof_dir = BENCH_VAR / f"intake-profile-{run_id}"
            prof_dir.mkdir(parents=True, exist_ok=True)
            pcfg = Config("sync", best_cfg.workers)
            print(
                f"\n## profiling {primary} on {pcfg.label} under cProfile ({args.profile_duration:.0f} s)", flush=True
            )
            plan = [(primary, None, args.profile_duration)]
            profiled, _ = run_config(
                pcfg, target, args, celery, f"bi-{run_id}-p{pcfg.slug}-", plan, profile_dir=str(prof_dir)
            )
            checked += profiled
            profile_text = profile_report(prof_dir, args.profile_clock)
    redis_client().flushdb()  # leave no counters or queued tasks behind in the bench's Redis database
    load_after = os.getloadavg()
    report(results, primary, best_cfg, open_loop, checked, args, load_before, load_after, profile_text)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        stop_all()
        raise SystemExit(130) from None
    except Exception:
        stop_all()
        raise
