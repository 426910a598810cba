"""Benchmark: citizens' submissions through crashes and a photo flood (issue #12, 群众反映意见).

    .venv/bin/python bench/faults.py [--rate 30] [--clients 20] [--duration 20] [--rounds 2]
        [--fault-seconds 60] [--attackers 3] [--attack-photos 4] [--attack-megapixels 40]
        [--retries 8] [--workers 3] [--redis-down 5] [--faults worker,master,celery,redis] [--reset]

The production layout of docs/deploy.md on this machine, in production mode (RENDA_EMBEDDED=0 with
its four keys, BEHIND_PROXY=1): gunicorn (``--workers`` sync workers) serving renda under
``bench.settings_intake``, a Celery worker and beat, PostgreSQL, and a Redis server of the
script's own on a free port, without persistence (so stopping it loses everything, as a crash
would; the machine's Redis on 6379 is never touched). The clients stand in for nginx: each
request carries the X-Real-IP and X-Forwarded-Proto nginx would set (docs/deploy.md section 4),
and every citizen submission comes from an address of its own, so the product's own limits apply
unchanged (20 submissions an hour per address, 5 a day per phone: this script removes the
overrides bench/intake.py puts in the rules).

Citizens: submissions to POST /api/v1/public/opinions arrive at ``--rate`` a second (Poisson), at
most ``--clients`` in flight, each with its own Idempotency-Key, phone and address. A submission
that fails (no connection, no answer within 15 s, a 5xx) is sent again with the same key and body
after 0.25, 0.5, 1, 2, 4, 4, ... s, up to ``--retries`` times, as a phone would; its latency is
counted from its first sending.

1. baseline and attack, interleaved in ``--rounds`` slices (so that other load on the machine
   falls on both alike), ``--duration`` seconds of each in all:
   - baseline: the citizens alone;
   - attack: the same citizens, plus ``--attackers`` connections from one address each sending,
     back to back, a submission with ``--attack-photos`` JPEGs of ``--attack-megapixels``
     megapixels (flat colour: small in bytes, dear to decode) to POST
     /api/v1/public/opinions/with-photos.
   Prints the citizens' p50/p95 in both and their ratio (target: p95 under attack ≤ 2× the
   baseline's) and what the attacker was answered.
2. faults: the citizens for ``--fault-seconds`` while, one after the other: ``kill -9`` of one
   gunicorn worker (the master forks another), ``kill -9`` of the gunicorn master (its workers
   leave; gunicorn is started again on the same port, as systemd would), ``kill -9`` of the
   Celery worker's process group (started again), Redis killed, left down ``--redis-down``
   seconds and started again empty (``--faults`` picks and orders them). Prints when each was
   back and which of the citizens' attempts failed meanwhile. The Celery worker is killed while
   its after-submit loop runs (it waits up to 10 s for one), the worst moment.
3. Then it waits for the after-submit backlog (the outbox rows, ``intake_pending``, and the Celery
   queue) to drain, and checks every submission of the run in the database: each acknowledged
   one (201, or 200 for a replay, with its receipt code) is stored under its key, no submission
   is stored twice (by key or by phone), and each stored one has its ``opinion.submit`` audit event.

Exits 1 when an acknowledged submission is missing or stored twice, when the backlog did not
drain, or (not with ``--quick``) when the citizens' p95 under attack is more than 2× the baseline's.

PostgreSQL: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/renda_bench_faults; created
and migrated if missing, seeded once with the demo county and --classified staff-entered opinions
for the category model). The production keys are generated once into var/bench/faults-keys.json
(the seeded rows are encrypted and chained with them). Logs: var/bench/faults-*.log and, for Celery,
var/bench/intake-celery.log and intake-beat.log.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import secrets
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import prepare_bench_database, setup_bench_django  # noqa: E402
from bench.harness import (  # noqa: E402
    BENCH_VAR,
    Connection,
    Process,
    banner,
    env_url,
    free_port,
    load_line,
    log_lines,
    markdown_table,
    parse_args,
    percentile,
    ratio,
    servers_stopped_on_exit,
    start_gunicorn,
    stop_all,
    wait_ready,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/renda_bench_faults"
API_PATH = "/api/v1/public/opinions"
PHOTOS_PATH = "/api/v1/public/opinions/with-photos"
ATTACKER_IP = "203.0.113.66"  # TEST-NET-3: one address for every attacking connection
ATTEMPT_TIMEOUT = 15.0  # seconds a client waits for one answer before it sends again
RETRYABLE = {500, 502, 503, 504}
KEYS = BENCH_VAR / "faults-keys.json"
P95_TARGET = 2.0


# ---------------------------------------------------------------------------------------------
# The production environment: own Redis, production mode, trusted proxy headers


def production_env(redis_port: int) -> None:
    """Set in this process's environment what every server it starts inherits (harness.child_env
    copies it): the bench database, the script's own Redis, and docs/deploy.md's production
    settings with keys generated once for this bench database."""
    os.environ["BENCH_PG_URL"] = env_url("BENCH_PG_URL", DEFAULT_PG_URL)
    os.environ["BENCH_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"  # never the machine's Redis
    if not KEYS.exists():
        KEYS.parent.mkdir(parents=True, exist_ok=True)
        names = ("SECRET_KEY", "AUDIT_CHAIN_KEY", "BALLOT_SEAL_KEY", "PERSONAL_DATA_KEY")
        fd = os.open(KEYS, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({name: secrets.token_urlsafe(48) for name in names}, fh)
    os.environ.update(json.loads(KEYS.read_text()))
    os.environ.update(RENDA_EMBEDDED="0", BEHIND_PROXY="1")


def start_redis(port: int) -> Process:
    """A redis-server of our own: no RDB snapshots, no AOF, so a restart starts empty."""
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    cmd += ["--dir", str(BENCH_VAR), "--loglevel", "warning"]
    proc = Process("redis", cmd, dict(os.environ), BENCH_VAR / "faults-redis.log")
    from bench.intake_data import redis_client

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with suppress(Exception):
            if redis_client().ping():
                return proc
        time.sleep(0.1)
    raise SystemExit(f"redis-server on port {port} not answering; see {proc.log}")


def kill9(proc: Process, group: bool = False) -> None:
    """SIGKILL the process (or its whole process group), reap it and forget it."""
    with suppress(ProcessLookupError):
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            os.kill(proc.pid, signal.SIGKILL)
    proc.proc.wait(10)
    proc.stop()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# ---------------------------------------------------------------------------------------------
# What the clients send


def flat_jpeg(megapixels: float) -> bytes:
    """One JPEG of ``megapixels`` at a phone's 4:3, of one colour: made once, sent many times."""
    from PIL import Image

    height = int((megapixels * 1e6 * 3 / 4) ** 0.5)
    width = int(height * 4 / 3)
    out = io.BytesIO()
    Image.new("RGB", (width, height), (118, 140, 96)).save(out, format="JPEG", quality=90)
    return out.getvalue()


def photo_multipart(fields: dict[str, str], photo: bytes, count: int) -> tuple[bytes, str]:
    boundary = "----renda-faults-" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for i in range(count):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="IMG_{i:04d}.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        )
        parts.append(head.encode() + photo + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def proxy_headers(ip: str) -> dict[str, str]:
    """What nginx sets in front of gunicorn (docs/deploy.md section 4); BEHIND_PROXY=1 trusts it."""
    return {"X-Real-IP": ip, "X-Forwarded-For": ip, "X-Forwarded-Proto": "https"}


def citizen_ip(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


# ---------------------------------------------------------------------------------------------
# What the clients saw


@dataclass
class Tally:
    name: str
    seconds: float = 0.0
    sent: int = 0  # submissions (not attempts)
    latencies_ms: list[float] = field(default_factory=list)  # acknowledged, from the first sending
    acks: dict[str, str] = field(default_factory=dict)  # idempotency key -> receipt code
    phones: dict[str, str] = field(default_factory=dict)  # idempotency key -> phone
    attempts: Counter[str] = field(default_factory=Counter)  # every answer (or failure) by kind
    retried: int = 0  # submissions acknowledged only after a retry
    replays: int = 0  # acknowledged with 200 (Idempotent-Replayed): stored by an earlier attempt
    gave_up: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # final 4xx, not retried
    failed: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, kind) of failed attempts
    samples: list[str] = field(default_factory=list)

    def pct(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    def merge(self, other: Tally) -> None:
        self.seconds += other.seconds
        self.sent += other.sent
        self.latencies_ms += other.latencies_ms
        self.acks.update(other.acks)
        self.phones.update(other.phones)
        self.attempts.update(other.attempts)
        self.retried += other.retried
        self.replays += other.replays
        self.gave_up += other.gave_up
        self.refused.update(other.refused)
        self.failed += other.failed
        self.samples += other.samples[: 5 - len(self.samples)]


@dataclass
class Attack:
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    stored: int = 0
    samples: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The clients


class Citizens:
    """Poisson arrivals of submissions at ``rate`` a second, at most ``clients`` in flight (an
    arrival waits for a free connection, and that wait counts in its latency)."""

    def __init__(self, port: int, target: Any, prefix: str, rate: float, clients: int, retries: int) -> None:
        from bench.intake_load import Load

        self.port = port
        self.load = Load(port, target, prefix, rng_seed=prefix)
        self.rng = random.Random(prefix)
        self.rate = rate
        self.retries = retries
        self.pool: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(clients):
            self.pool.put_nowait(Connection(port))
        self.n = 0

    async def close(self) -> None:
        while not self.pool.empty():
            await self.pool.get_nowait().close()

    async def run(self, tally: Tally, stop: Callable[[], bool]) -> None:
        t0 = time.perf_counter()
        tasks: set[asyncio.Task[None]] = set()
        next_at = t0
        while not stop():
            next_at += self.rng.expovariate(self.rate)
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            task = asyncio.create_task(self.submit(tally, next_at))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        tally.seconds += time.perf_counter() - t0
        if tasks:
            await asyncio.gather(*tasks)

    async def submit(self, tally: Tally, arrival: float) -> None:
        self.n += 1
        key, phone, body, ctype, headers = self.load.next_request("api", "")
        headers.update(proxy_headers(citizen_ip(self.n)))
        tally.sent += 1
        tally.phones[key] = phone
        conn = await self.pool.get()
        try:
            for attempt in range(self.retries + 1):
                if attempt:
                    await conn.close()
                    await asyncio.sleep(min(0.25 * 2 ** (attempt - 1), 4.0))
                try:
                    resp = await asyncio.wait_for(
                        conn.request("POST", API_PATH, body=body, content_type=ctype, headers=headers), ATTEMPT_TIMEOUT
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                    tally.attempts[type(exc).__name__] += 1
                    tally.failed.append((time.monotonic(), type(exc).__name__))
                    continue
                tally.attempts[f"HTTP {resp.status}"] += 1
                if resp.status in RETRYABLE:
                    tally.failed.append((time.monotonic(), f"HTTP {resp.status}"))
                    continue
                code = ""
                if resp.status in (200, 201):
                    with suppress(ValueError, KeyError, TypeError):
                        code = str(json.loads(resp.body)["receipt_code"])
                if not code:
                    tally.refused[f"HTTP {resp.status}"] += 1
                    if len(tally.samples) < 5:
                        tally.samples.append(f"{resp.status}: {resp.body[:200].decode('utf-8', 'replace')!r}")
                    return
                tally.acks[key] = code
                tally.latencies_ms.append((time.perf_counter() - arrival) * 1000)
                tally.retried += attempt > 0
                tally.replays += resp.status == 200
                return
            tally.gave_up += 1
        finally:
            self.pool.put_nowait(conn)


async def attack(port: int, target: Any, prefix: str, connections: int, photo: bytes, count: int, stop: Any) -> Attack:
    """``connections`` clients from one address, each sending photo submissions back to back."""
    from bench.intake_data import opinion_text, person_name

    result = Attack()
    rng = random.Random(prefix)
    village_id, village_name = target.villages[0]
    leaf, category = next(iter(target.leaves.items()))

    async def one(i: int) -> None:
        conn = Connection(port)
        n = 0
        try:
            while not stop():
                n += 1
                key = f"{prefix}{i}-{n}"
                fields = {
                    "text": opinion_text(rng, village_name, leaf),
                    "category": str(category),
                    "region": str(village_id),
                    "station": target.station_public_id,
                    "citizen_name": person_name(rng),
                    "citizen_phone": f"139{rng.randrange(10**8):08d}",
                    "consent": "true",
                    "source": "qr",
                }
                body, ctype = photo_multipart(fields, photo, count)
                headers = {"Idempotency-Key": key, **proxy_headers(ATTACKER_IP)}
                t0 = time.perf_counter()
                try:
                    resp = await asyncio.wait_for(
                        conn.request("POST", PHOTOS_PATH, body=body, content_type=ctype, headers=headers), 60
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                    result.statuses[type(exc).__name__] += 1
                    await conn.close()
                    continue
                result.requests += 1
                result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                result.statuses[f"HTTP {resp.status}"] += 1
                if resp.status >= 400 and len(result.samples) < 3 and f"{resp.status}" not in str(result.samples):
                    result.samples.append(f"{resp.status}: {resp.body[:160].decode('utf-8', 'replace')}")
        finally:
            await conn.close()

    await asyncio.gather(*(one(i) for i in range(connections)))
    return result


# ---------------------------------------------------------------------------------------------
# The servers and the faults


class Stack:
    """gunicorn, Celery worker and beat, and Redis, with what it takes to crash and restart each."""

    def __init__(self, port: int, redis_port: int, workers: int) -> None:
        self.port, self.redis_port, self.workers = port, redis_port, workers
        self.restarts = 0
        self.redis = start_redis(redis_port)
        self.gunicorn = self._gunicorn()
        from bench.intake_servers import start_beat, start_celery

        self.celery = start_celery()
        self.beat = start_beat()
        self.events: list[tuple[str, float, float, str]] = []  # what, at (s), back after (s), note
        self.backlog: list[tuple[float, int]] = []  # (s, submissions waiting for after-submit work)
        self.t0 = time.monotonic()

    def _gunicorn(self) -> Process:
        from bench.intake_servers import env

        log = BENCH_VAR / f"faults-gunicorn{f'-{self.restarts}' if self.restarts else ''}.log"
        proc = start_gunicorn("bench.wsgi_intake:application", self.port, workers=self.workers, env=env(), log=log)
        wait_ready(proc, self.port, self.workers)
        return proc

    def at(self) -> float:
        return time.monotonic() - self.t0

    def kill_gunicorn_worker(self) -> None:
        workers = sorted(children(self.gunicorn.pid))
        warm = len(log_lines(self.gunicorn.log, "[bench-warm]"))
        t = self.at()
        os.kill(workers[0], signal.SIGKILL)
        while len(log_lines(self.gunicorn.log, "[bench-warm]")) <= warm and self.at() - t < 60:
            time.sleep(0.1)
        self.events.append(("kill -9 of one gunicorn worker", t, self.at() - t, "a new worker warm (jieba, model)"))

    def kill_gunicorn_master(self) -> None:
        workers = children(self.gunicorn.pid)
        t = self.at()
        kill9(self.gunicorn)
        # Its workers notice they lost their parent and leave; until the last one has, the port is theirs.
        while any(alive(w) for w in workers) and self.at() - t < 40:
            time.sleep(0.1)
        left = self.at() - t
        self.restarts += 1
        self.gunicorn = self._gunicorn()
        note = f"old workers gone after {left:.1f} s, then gunicorn started again on the same port"
        self.events.append(("kill -9 of the gunicorn master", t, self.at() - t, note))

    def kill_celery(self) -> None:
        """kill -9 of the worker's process group at the worst moment: while its after-submit loop
        runs (it holds renda/opinions/intake.py's INTAKE_RUNNING claim), waiting up to 10 s for one."""
        from bench.intake_data import redis_client
        from bench.intake_servers import start_celery

        def claim_ttl() -> int:
            with suppress(Exception):
                for key in redis_client().scan_iter(match="*opinions:intake:running"):
                    return int(redis_client().ttl(key))
            return -2

        deadline = time.monotonic() + 10
        while claim_ttl() <= 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        t = self.at()
        kill9(self.celery, group=True)
        ttl = claim_ttl()
        held = f"the claim of its loop left in Redis for {ttl} s more" if ttl > 0 else "no loop was running"
        self.celery = start_celery()
        note = f"started again, every process warm; {held}"
        self.events.append(("kill -9 of the Celery worker", t, self.at() - t, note))

    def stop_redis(self, down: float) -> None:
        t = self.at()
        kill9(self.redis)
        time.sleep(down)
        self.redis = start_redis(self.redis_port)
        self.events.append(("Redis killed, started again empty", t, self.at() - t, f"down {down:.0f} s"))

    def watch_backlog(self, stop: threading.Event) -> None:
        from bench.intake_servers import pending_intake

        while not stop.wait(0.5):
            with suppress(Exception):
                self.backlog.append((self.at(), pending_intake()))

    def resumed_after(self, t: float) -> float | None:
        """Seconds after ``t`` until the after-submit backlog first shrank (None: it never did)."""
        later = [(s, n) for s, n in self.backlog if s >= t]
        for (_, a), (s, b) in zip(later, later[1:], strict=False):
            if b < a:
                return s - t
        return None


FAULTS = ("worker", "master", "celery", "redis")


def run_faults(stack: Stack, seconds: float, redis_down: float, faults: list[str]) -> None:
    """The faults, one after another: the first at 5 % of the phase, each next one 15 % of it after
    the one before was back (so that the citizens' retries and the worker's catching up are seen
    apart), the phase going on at least 10 % of it after the last."""
    stack.t0 = time.monotonic()
    steps: dict[str, Callable[[], None]] = {
        "worker": stack.kill_gunicorn_worker,
        "master": stack.kill_gunicorn_master,
        "celery": stack.kill_celery,
        "redis": lambda: stack.stop_redis(redis_down),
    }
    next_at = 0.05 * seconds
    for name in faults:
        time.sleep(max(0.0, next_at - stack.at()))
        steps[name]()
        next_at = stack.at() + 0.15 * seconds
    time.sleep(0.10 * seconds)


# ---------------------------------------------------------------------------------------------
# Checking the database


@dataclass
class Stored:
    rows: int = 0
    missing: list[str] = field(default_factory=list)  # acknowledged keys with no opinion, or another code
    duplicates: int = 0
    unacked: int = 0  # stored, never acknowledged (the client gave up, or the attacker's)
    pending: int = 0
    audit_missing: int = 0
    attack_stored: int = 0


def verify(tally: Tally, prefix: str, attack_prefix: str) -> Stored:
    from django.db import connection
    from django.db.models import Count

    from renda.audit.models import AuditEvent
    from renda.opinions.models import Opinion

    mine = Opinion.objects.filter(idempotency_key__startswith=prefix)
    rows = list(mine.values_list("id", "idempotency_key", "receipt_code", "citizen_phone", "intake_pending"))
    by_key = {key: (pk, code) for pk, key, code, _, _ in rows}
    out = Stored(rows=len(rows))
    out.missing = [k for k, code in tally.acks.items() if by_key.get(k, (0, ""))[1] != code]
    per_key = mine.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1).count()
    phones = Counter(phone for _, _, _, phone, _ in rows)
    per_phone = sum(n - 1 for n in phones.values() if n > 1)  # each submission had a phone of its own
    codes = Counter(tally.acks.values())
    out.duplicates = per_key + per_phone + sum(n - 1 for n in codes.values() if n > 1)
    out.unacked = len(rows) - len(set(tally.acks) & set(by_key))
    out.pending = sum(1 for *_, pending in rows if pending)
    ids = [str(pk) for pk, *_ in rows]
    events = AuditEvent.objects.filter(action="opinion.submit", target_type="opinions.opinion", target_id__in=ids)
    out.audit_missing = len(ids) - events.values("target_id").distinct().count()
    out.attack_stored = Opinion.objects.filter(idempotency_key__startswith=attack_prefix).count()
    connection.close()
    return out


# ---------------------------------------------------------------------------------------------
# The run


def failed_during(tally: Tally, start: float, end: float) -> str:
    """The citizens' failed attempts from ``start`` until 2 s after ``end`` (monotonic times), by kind."""
    seen = Counter(kind for t, kind in tally.failed if start <= t <= end + 2.0)
    return ", ".join(f"{n} × {kind}" for kind, n in seen.most_common()) or "none"


def ms(value: float) -> str:
    return f"{value:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=30.0, help="citizens' submissions a second (default 30)")
    parser.add_argument("--clients", type=int, default=20, help="citizens' submissions in flight at most (default 20)")
    parser.add_argument(
        "--duration", type=float, default=20.0, help="seconds of baseline and of attack, each (default 20)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="interleave baseline and attack in this many slices")
    parser.add_argument("--fault-seconds", type=float, default=60.0, help="seconds of the faults phase (default 60)")
    parser.add_argument("--attackers", type=int, default=3, help="attacking connections, one address (default 3)")
    parser.add_argument("--attack-photos", type=int, default=4, help="photos in each attacking request (default 4)")
    parser.add_argument("--attack-megapixels", type=float, default=40.0, help="each photo's size (default 40)")
    parser.add_argument("--retries", type=int, default=8, help="times a citizen's phone sends again (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3, docs/deploy.md)")
    parser.add_argument("--redis-down", type=float, default=5.0, help="seconds Redis stays down (default 5)")
    parser.add_argument(
        "--faults",
        default=",".join(FAULTS),
        help="the faults, in order: worker (kill -9 of one gunicorn worker), master (of the gunicorn master), "
        f"celery (of the Celery worker), redis (killed and started again); default {','.join(FAULTS)}",
    )
    parser.add_argument("--classified", type=int, default=1000, help="staff-classified opinions for the model")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database first")
    quick = {"rate": 15.0, "clients": 10, "duration": 8.0, "rounds": 1, "fault_seconds": 40.0, "classified": 200}
    args = parse_args(parser, quick, "short phases; the 2× target is printed, not enforced")
    faults_plan = [f.strip() for f in args.faults.split(",") if f.strip()]
    if not set(faults_plan) <= set(FAULTS):
        raise SystemExit(f"--faults: choose from {','.join(FAULTS)}")
    t_start = time.monotonic()
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    redis_port, port = free_port(), free_port()
    production_env(redis_port)
    run_id = secrets.token_hex(4)
    print(banner("faults.py", f"run {run_id}", "RENDA_EMBEDDED=0, BEHIND_PROXY=1"), flush=True)

    from bench.intake_data import pg_url, prepare_data
    from bench.intake_load import client_loop, run_loop
    from bench.intake_servers import wait_queue_drained

    prepare_bench_database(pg_url(), own="renda_bench_faults", reset=args.reset)
    setup_bench_django(pg_url())
    target = prepare_data(args.classified)
    from bench.intake_data import RULE_OVERRIDES
    from renda.core.models import RuleSetting
    from renda.core.rules import rule

    RuleSetting.objects.filter(key__in=list(RULE_OVERRIDES)).delete()  # the product's own limits
    per_ip, per_phone = rule("opinion.rate_per_ip_hour"), rule("opinion.rate_per_phone_day")
    photo = flat_jpeg(args.attack_megapixels)
    print(
        f"station {target.station_name}, {len(target.villages)} villages; limits {per_ip} submissions/hour an "
        f"address, {per_phone}/day a phone; attack photo {args.attack_megapixels:g} MP, {len(photo) / 1024:.0f} KiB "
        f"(× {args.attack_photos} a request); Redis of our own on port {redis_port}; clients on {client_loop()}",
        flush=True,
    )
    load_before = os.getloadavg()
    prefix = f"bf-{run_id}-"
    attack_prefix = f"bx-{run_id}-"
    base, under, faults = Tally("baseline"), Tally("attack"), Tally("faults")
    attacked = Attack()
    drained: tuple[int, int, float] = (0, 0, 0.0)
    with servers_stopped_on_exit():
        stack = Stack(port, redis_port, args.workers)
        print(f"servers ready after {time.monotonic() - t_start:.0f} s (gunicorn -w {args.workers} on {port})")

        async def phases() -> None:
            nonlocal attacked
            citizens = Citizens(port, target, prefix, args.rate, args.clients, args.retries)
            slice_s = args.duration / args.rounds
            for r in range(args.rounds):
                for kind in ("baseline", "attack"):
                    part = Tally(kind)
                    end = time.monotonic() + slice_s
                    done = lambda end=end: time.monotonic() >= end  # noqa: E731
                    jobs: list[Any] = [citizens.run(part, done)]
                    if kind == "attack":
                        photo_count = args.attack_photos
                        jobs.append(attack(port, target, attack_prefix, args.attackers, photo, photo_count, done))
                    results = await asyncio.gather(*jobs)
                    if kind == "attack":
                        got: Attack = results[1]
                        attacked.requests += got.requests
                        attacked.statuses.update(got.statuses)
                        attacked.latencies_ms += got.latencies_ms
                        attacked.samples += [s for s in got.samples if s not in attacked.samples]
                    (base if kind == "baseline" else under).merge(part)
                    answered = dict(results[1].statuses) if kind == "attack" else {}
                    print(
                        f"  {kind} (round {r + 1}/{args.rounds}): {len(part.acks)} acknowledged, "
                        f"p50 {ms(part.pct(0.5))} p95 {ms(part.pct(0.95))} ms"
                        + (f"; attacker answered {answered}" if answered else ""),
                        flush=True,
                    )
                    await asyncio.sleep(1.0)  # let the attack's last requests finish before the next slice
            print(f"\n## faults: {args.fault_seconds:.0f} s of citizens while the servers are crashed", flush=True)
            watch_stop = threading.Event()
            watcher = threading.Thread(target=stack.watch_backlog, args=(watch_stop,), daemon=True)
            watcher.start()
            faults_done = threading.Event()
            t_end = time.monotonic() + args.fault_seconds

            def run_and_mark() -> None:
                try:
                    run_faults(stack, args.fault_seconds, args.redis_down, faults_plan)
                finally:
                    faults_done.set()

            fault_thread = asyncio.to_thread(run_and_mark)
            stop_faults = lambda: faults_done.is_set() and time.monotonic() >= t_end  # noqa: E731
            await asyncio.gather(citizens.run(faults, stop_faults), fault_thread)
            await citizens.close()
            watch_stop.set()
            watcher.join(2)

        run_loop(phases())
        for what, at, back, note in stack.events:
            print(f"  {at:6.1f} s  {what}: back after {back:.1f} s ({note})", flush=True)
        celery_at = next((at for what, at, _, _ in stack.events if "Celery" in what), None)
        redis_at = next((at for what, at, _, _ in stack.events if "Redis" in what), None)
        resumed = stack.resumed_after(celery_at) if celery_at is not None else None
        beat_alive = not stack.beat.exited()
        drained = wait_queue_drained(limit=360.0)
        print(
            f"load stopped: {drained[0]} Celery tasks queued, {drained[1]} submissions waiting for their "
            f"after-submit work; drained {drained[2]:.1f} s later",
            flush=True,
        )
    load_after = os.getloadavg()

    every = Tally("all")
    for t in (base, under, faults):
        every.merge(t)
    stored = verify(every, prefix, attack_prefix)
    attacked.stored = stored.attack_stored
    p95_ratio = ratio(under.pct(0.95), base.pct(0.95))
    still_waiting = drained[0] + stored.pending
    failures = []
    if stored.missing:
        failures.append(f"{len(stored.missing)} acknowledged submissions missing: {stored.missing[:5]}")
    if stored.duplicates:
        failures.append(f"{stored.duplicates} duplicates")
    if still_waiting:
        failures.append(f"backlog not drained: {still_waiting} left")
    if not args.quick and not p95_ratio <= P95_TARGET:
        failures.append(f"citizens' p95 under attack {p95_ratio:.2f}× the baseline's (target ≤ {P95_TARGET:g}×)")

    resumed_text = f"{resumed:.1f} s after the kill" if resumed is not None else "not while the citizens submitted"
    if celery_at is None:
        resumed_text = "(no Celery kill)"
    if resumed is None and redis_at is not None and celery_at is not None:
        resumed_text = f"not before Redis was restarted ({redis_at - celery_at:.0f} s after the kill)"
    elif resumed is not None and redis_at is not None and celery_at is not None and resumed > redis_at - celery_at:
        resumed_text += f", after Redis was restarted ({redis_at - celery_at:.0f} s after the kill)"
    peak = max((n for _, n in stack.backlog), default=0)

    print(f"\n## results: run {run_id}, {time.monotonic() - t_start:.0f} s in all")
    print(load_line(load_before, load_after))
    print(
        f"citizens: {args.rate:g} submissions/s offered (Poisson), ≤ {args.clients} in flight, each from its own "
        f"address; {args.duration:g} s baseline and {args.duration:g} s attack in {args.rounds} interleaved "
        f"slice(s); attack: {args.attackers} connections from {ATTACKER_IP}, {args.attack_photos} × "
        f"{args.attack_megapixels:g} MP JPEG ({len(photo) / 1024:.0f} KiB) each request; gunicorn sync -w {args.workers}\n"
    )
    rows = [
        [t.name, t.sent, len(t.acks), ms(t.pct(0.5)), ms(t.pct(0.95)), ms(t.pct(1.0)), t.retried, t.gave_up]
        for t in (base, under, faults)
    ]
    print(
        markdown_table(
            ["citizens", "sent", "acknowledged", "p50 ms", "p95 ms", "max ms", "after a retry", "gave up"],
            rows,
            "lrrrrrrr",
        )
    )
    att_p50 = percentile(attacked.latencies_ms, 0.5)
    figures = [
        [
            "citizens' p95 under attack / baseline",
            f"{p95_ratio:.2f}× ({ms(under.pct(0.95))} / {ms(base.pct(0.95))} ms)",
        ],
        ["attacker's answers", ", ".join(f"{k}: {v}" for k, v in sorted(attacked.statuses.items())) or "none"],
        ["attacker's p50, opinions stored", f"{ms(att_p50)} ms, {attacked.stored}"],
        ["acknowledged / stored (citizens, whole run)", f"{len(every.acks)} / {stored.rows}"],
        ["acknowledged but missing", str(len(stored.missing))],
        ["duplicates after retries with the same key", str(stored.duplicates)],
        ["stored, never acknowledged (gave up)", str(stored.unacked)],
        ["acknowledged as a replay (200)", str(every.replays)],
        ["after-submit backlog: peak", f"{peak} submissions"],
        ["after-submit work resumed after the Celery kill", resumed_text],
        ["Celery beat through the faults", "alive" if beat_alive else "exited"],
        ["backlog drained", f"in {drained[2]:.1f} s ({drained[1]} waiting, {drained[0]} tasks queued)"],
        ["opinion.submit audit event missing", str(stored.audit_missing)],
    ]
    print()
    print(markdown_table(["figure", "value"], figures, "lr"))
    print()
    print(
        markdown_table(
            ["fault", "at s", "back after s", "citizens' failed attempts", "note"],
            [
                [w, f"{a:.1f}", f"{b:.1f}", failed_during(faults, stack.t0 + a, stack.t0 + a + b), n]
                for w, a, b, n in stack.events
            ],
            "lrrll",
        )
    )
    answers = every.attempts
    print(f"\ncitizens' attempts by answer: {dict(sorted(answers.items()))}")
    if every.refused:
        print(f"citizens refused (not retried): {dict(every.refused)}; {every.samples}")
    if attacked.samples:
        print(f"attacker's answers, samples: {attacked.samples}")
    print("backlog drained in " + f"{drained[2]:.1f} s")
    if failures:
        print("\nFAIL  " + "\nFAIL  ".join(failures))
        return 1
    target_note = " (not enforced with --quick)" if args.quick else ""
    print(f"\nPASS  no acknowledged submission lost or duplicated; p95 ratio {p95_ratio:.2f}×{target_note}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        stop_all()
        raise SystemExit(130) from None
    except Exception:
        stop_all()
        raise
