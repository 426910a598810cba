"""bench/intake.py's load generator: the clients (asyncio over loopback sockets, on uvloop when
installed) and the submissions they send, one Phase of load with what it measured (latencies,
acknowledgements, CPU per process group, PostgreSQL's waits), and the check of every
acknowledgement against the database afterwards.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
import secrets
import threading
import time
from collections import Counter, defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bench.harness import Connection, CpuUse, cpu_between, machine_ticks, percentile, proc_snapshot
from bench.intake_data import Target, opinion_text, person_name, pg_url

try:
    import uvloop  # requirements-dev.txt: the clients' event loop (run_loop)
except ImportError:
    uvloop = None

REQUEST_TIMEOUT = 30.0


def client_loop() -> str:
    return f"uvloop {uvloop.__version__}" if uvloop is not None else "asyncio's event loop (uvloop not installed)"


def run_loop(coro: Any) -> Any:
    """Run the clients on uvloop when installed (requirements-dev.txt): the load generator shares
    the server's two cores, and on uvloop it took about a quarter less CPU per request than on
    asyncio's own loop (0.45 against 0.62 ms): CPU left to the server, as when citizens' phones
    are elsewhere."""
    return uvloop.run(coro) if uvloop is not None else asyncio.run(coro)


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A form body as a phone's browser sends it (the form is multipart: it has a photo input)."""
    boundary = "----renda-bench-" + secrets.token_hex(8)
    out = []
    for name, value in fields:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    out.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    out.append(f"--{boundary}--\r\n")
    return "".join(out).encode(), f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------------------------------------
# PostgreSQL waits from pg_stat_activity


class PgSampler(threading.Thread):
    """Every 100 ms: how many of the bench database's backends are running a query, on what they
    wait (a row lock shows as Lock:transactionid or Lock:tuple), and which statements wait on locks."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop_event = threading.Event()
        self.samples = 0
        self.active = 0
        self.waits: Counter[str] = Counter()
        self.lock_statements: Counter[str] = Counter()
        self.sessions_ours = 0  # PostgreSQL connections opened to the bench database in the window
        self.sessions_all = 0  # ... and to any database
        self.error = ""

    def run(self) -> None:
        import psycopg

        dbname = urlsplit(self.url).path.lstrip("/")
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                sessions_sql = (
                    "SELECT coalesce(sum(sessions) FILTER (WHERE datname = %s), 0), sum(sessions) FROM pg_stat_database"
                )
                ours0, all0 = conn.execute(sessions_sql, [dbname]).fetchone() or (0, 0)
                while not self.stop_event.wait(0.1):
                    rows = conn.execute(
                        "SELECT wait_event_type, wait_event, left(query, 90) FROM pg_stat_activity WHERE datname = %s "
                        "AND state = 'active' AND pid <> pg_backend_pid()",
                        [dbname],
                    ).fetchall()
                    self.samples += 1
                    self.active += len(rows)
                    for wtype, wevent, query in rows:
                        self.waits[f"{wtype}:{wevent}" if wtype else "CPU (no wait)"] += 1
                        if wtype == "Lock":
                            self.lock_statements[query] += 1
                conn.execute("SELECT pg_stat_clear_snapshot()")
                ours1, all1 = conn.execute(sessions_sql, [dbname]).fetchone() or (0, 0)
                self.sessions_ours, self.sessions_all = int(ours1 - ours0), int(all1 - all0)
        except Exception as exc:  # noqa: BLE001 - a diagnostic, never fatal
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        self.stop_event.set()
        self.join(5)


# ---------------------------------------------------------------------------------------------
# Load


@dataclass
class Phase:
    name: str  # bare / form / api
    clients: int
    seconds: float
    key_prefix: str
    rate: float | None = None  # open loop: offered requests per second
    latencies_ms: list[float] = field(default_factory=list)  # acknowledged, completed in the window
    acked_in_window: int = 0
    acks: dict[str, str] = field(default_factory=dict)  # receipt code or bare id -> idempotency key
    ack_list: list[str] = field(default_factory=list)  # every ack as received (to spot duplicates)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    client_cpu_s: float = 0.0
    cpu: CpuUse | None = None
    pg_active: float = 0.0
    pg_waits: dict[str, float] = field(default_factory=dict)
    lock_statements: Counter[str] = field(default_factory=Counter)  # samples waiting on a lock, by statement
    pg_sessions: int = 0  # PostgreSQL connections opened to the bench database in the window
    queue_after: int = 0
    intake_after: int = 0  # acknowledged submissions still waiting for the worker when load stopped
    drain_s: float = 0.0
    missing: int = -1
    duplicates: int = -1
    stored_unacked: int = 0
    audit_events: int = -1

    @property
    def throughput(self) -> float:
        return self.acked_in_window / self.seconds

    def cpu_ms_per_ack(self, *groups: str) -> float:
        """CPU milliseconds the named process groups spent per acknowledgement in the window."""
        if self.cpu is None or not self.acked_in_window:
            return math.nan
        return sum(self.cpu.by_group.get(g, 0.0) for g in groups) * 1000 / self.throughput

    def cores(self, group: str) -> float:
        return self.cpu.by_group.get(group, 0.0) if self.cpu else math.nan

    @classmethod
    def merge(cls, parts: list[Phase]) -> Phase:
        """One phase from the slices of the same path that ran interleaved with the other paths."""
        first = parts[0]
        total = sum(p.seconds for p in parts)
        merged = cls(first.name, first.clients, total, first.key_prefix, first.rate)
        busy = 0.0
        by_group: dict[str, float] = defaultdict(float)
        waits: dict[str, float] = defaultdict(float)
        for p in parts:
            merged.latencies_ms += p.latencies_ms
            merged.acked_in_window += p.acked_in_window
            merged.acks.update(p.acks)
            merged.ack_list += p.ack_list
            merged.phones += p.phones
            merged.errors.update(p.errors)
            merged.error_samples += p.error_samples[: 5 - len(merged.error_samples)]
            merged.client_cpu_s += p.client_cpu_s
            merged.pg_active += p.pg_active * p.seconds / total
            merged.lock_statements.update(p.lock_statements)
            merged.pg_sessions += p.pg_sessions
            for k, v in p.pg_waits.items():
                waits[k] += v * p.seconds / total
            if p.cpu is not None:
                busy += p.cpu.busy_cores * p.seconds / total
                for g, cores in p.cpu.by_group.items():
                    by_group[g] += cores * p.seconds / total
            merged.queue_after = max(merged.queue_after, p.queue_after)
            merged.intake_after = max(merged.intake_after, p.intake_after)
            merged.drain_s = max(merged.drain_s, p.drain_s)
        merged.pg_waits = dict(sorted(waits.items(), key=lambda kv: -kv[1])[:6])
        merged.cpu = CpuUse(total, busy, dict(by_group))
        return merged

    def pct(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


BARE_PATH = "/bench/bare-insert/"
API_PATH = "/api/v1/public/opinions"
RECEIPT_RE = re.compile(r"/receipt/([A-Z0-9]+)/")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ERROR_RE = re.compile(r'class="perror"[^>]*>([^<]+)<')


class Load:
    def __init__(self, port: int, target: Target, key_prefix: str, rng_seed: str) -> None:
        self.port = port
        self.target = target
        self.key_prefix = key_prefix  # unique per server run: keys are never reused across runs
        self.rng = random.Random(rng_seed)
        self.counter = 0
        self.phone_base = self.rng.randrange(10**8)

    def next_request(self, name: str, csrf_token: str) -> tuple[str, str, bytes, str, dict[str, str]]:
        """(idempotency key, phone, body, content type, extra headers) of the next submission."""
        self.counter += 1
        n = self.counter
        village_id, village_name = self.rng.choice(self.target.villages)
        leaf = self.rng.choice(list(self.target.leaves))
        # A distinct valid mobile number per request (1[3-9] + 9 digits).
        phone = f"1{3 + n % 7}{(self.phone_base + n) % 10**9:09d}"
        key = f"{self.key_prefix}{name[0]}{n}"
        text, name_ = opinion_text(self.rng, village_name, leaf), person_name(self.rng)
        category = self.target.leaves[leaf]
        if name == "api":
            payload = {
                "text": text,
                "category": category,
                "region": village_id,
                "station": self.target.station_public_id,
                "citizen_name": name_,
                "citizen_phone": phone,
                "consent": True,
                "source": "qr",
            }
            body = json.dumps(payload, ensure_ascii=False).encode()
            return key, phone, body, "application/json", {"Idempotency-Key": key}
        fields = [("csrfmiddlewaretoken", csrf_token)] if csrf_token else []
        fields += [
            ("idempotency_key", key),
            ("text", text),
            ("category", str(category)),
            ("region", str(village_id)),
            ("citizen_name", name_),
            ("citizen_phone", phone),
            ("consent", "on"),
        ]
        body, content_type = multipart(fields)
        return key, phone, body, content_type, {}

    async def run(
        self,
        name: str,
        clients: int,
        warmup: float,
        duration: float,
        sampler_url: str,
        roots: dict[str, tuple[int, ...]],
        rate: float | None = None,
    ) -> Phase:
        """Closed loop (rate None): every client sends its next request as soon as the last is
        answered. Open loop: requests arrive at ``rate`` per second (Poisson), each taken by the
        next free client; its latency counts from its arrival, so waiting for a free client counts."""
        phase = Phase(name, clients, duration, self.key_prefix + name[0], rate)
        form_path = f"/s/{self.target.station_public_id}/opinion/"
        path = {"bare": BARE_PATH, "form": form_path, "api": API_PATH}[name]
        clock = time.perf_counter  # not clock(): uvloop's counts whole milliseconds
        start = clock() + (2.0 if rate else 0.0)  # open loop: let every client fetch its form first
        t_window, t_end = start + warmup, start + warmup + duration
        arrivals: list[float] = []
        if rate:
            t = start
            while t < t_end:
                t += self.rng.expovariate(rate)
                arrivals.append(t)
        next_arrival = [0]

        async def client(i: int) -> None:
            conn = Connection(self.port)
            token = ""
            try:
                if name == "form":
                    # One GET per client, as a phone opens the form once: CSRF cookie + token.
                    for _ in range(3):
                        try:
                            page = await asyncio.wait_for(conn.request("GET", form_path), REQUEST_TIMEOUT)
                        except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                            phase.errors[f"form GET {type(exc).__name__}"] += 1
                            await conn.close()
                            continue
                        match = CSRF_RE.search(page.body.decode("utf-8", "replace"))
                        if page.status == 200 and match and "csrftoken" in conn.cookies:
                            token = match.group(1)
                            break
                        phase.errors[f"form GET {page.status}"] += 1
                    if not token:
                        return
                while clock() < t_end:
                    if rate:
                        if next_arrival[0] >= len(arrivals):
                            break
                        t_arrival = arrivals[next_arrival[0]]
                        next_arrival[0] += 1
                        if t_arrival >= t_end:
                            break
                        await asyncio.sleep(max(0.0, t_arrival - clock()))
                    key, phone, body, ctype, headers = self.next_request(name, token)
                    t0 = t_arrival if rate else clock()
                    try:
                        resp = await asyncio.wait_for(
                            conn.request("POST", path, body=body, content_type=ctype, headers=headers), REQUEST_TIMEOUT
                        )
                    except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
                        phase.errors[type(exc).__name__] += 1
                        await conn.close()
                        continue
                    t1 = clock()
                    ack = ""
                    if name == "bare" and resp.status == 200:
                        ack = str(int(resp.body.split(b":")[1].strip(b" }")))
                    elif name == "form" and resp.status == 302:
                        m = RECEIPT_RE.search(resp.header("location"))
                        ack = m.group(1) if m else ""
                    elif name == "api" and resp.status == 201:
                        with suppress(ValueError, KeyError, TypeError):
                            ack = str(json.loads(resp.body)["receipt_code"])
                    if not ack:
                        phase.errors[f"HTTP {resp.status}"] += 1
                        if len(phase.error_samples) < 5:
                            text = resp.body.decode("utf-8", "replace")
                            found = ERROR_RE.findall(text)
                            phase.error_samples.append(f"{resp.status}: {' | '.join(found) or text[:200]!r}")
                        continue
                    phase.acks[ack] = key
                    phase.ack_list.append(ack)
                    phase.phones.append(phone)
                    if t_window <= t1 <= t_end:
                        phase.acked_in_window += 1
                        phase.latencies_ms.append((t1 - t0) * 1000)
            finally:
                await conn.close()

        async def window() -> None:
            await asyncio.sleep(max(0.0, t_window - clock()))
            sampler = PgSampler(sampler_url)
            snap0, mach0, cpu0 = proc_snapshot(), machine_ticks(), time.process_time()
            w0 = time.monotonic()
            sampler.start()
            await asyncio.sleep(max(0.0, t_end - clock()))
            sampler.stop()
            seconds = time.monotonic() - w0
            snap1, mach1, cpu1 = proc_snapshot(), machine_ticks(), time.process_time()
            phase.client_cpu_s = cpu1 - cpu0
            dbname = urlsplit(sampler_url).path.lstrip("/")
            phase.cpu = cpu_between(snap0, snap1, (mach0, mach1), seconds, {**roots, "client": (os.getpid(),)}, dbname)
            phase.pg_sessions = sampler.sessions_ours
            exited = phase.cpu.by_group.get("pg exited, all databases", 0.0)
            phase.cpu.by_group["pg connections"] = exited * sampler.sessions_ours / max(1, sampler.sessions_all)
            if sampler.samples:
                phase.pg_active = sampler.active / sampler.samples
                phase.pg_waits = {k: v / sampler.samples for k, v in sampler.waits.most_common(6)}
                phase.lock_statements = sampler.lock_statements
            elif sampler.error:
                phase.pg_waits = {f"sampler failed: {sampler.error}": 0.0}

        await asyncio.gather(window(), *(client(i) for i in range(clients)))
        return phase


# ---------------------------------------------------------------------------------------------
# Checking what was acknowledged against what is stored


def verify(phase: Phase) -> None:
    import psycopg

    dup_acks = len(phase.ack_list) - len(set(phase.ack_list))
    with psycopg.connect(pg_url(), autocommit=True) as conn:
        if phase.name == "bare":
            ids = [int(a) for a in phase.acks]
            found = conn.execute("SELECT count(*) FROM bench_bare WHERE id = ANY(%s)", [ids]).fetchone()
            phase.missing = len(ids) - int(found[0] if found else 0)
            stored = conn.execute(
                "SELECT count(*), count(DISTINCT key) FROM bench_bare WHERE key LIKE %s", [phase.key_prefix + "%"]
            ).fetchone()
            assert stored is not None
            phase.duplicates = dup_acks + (int(stored[0]) - int(stored[1]))
            phase.stored_unacked = int(stored[0]) - len(ids)
            return
        codes = list(phase.acks)
        rows = conn.execute(
            "SELECT id, receipt_code, idempotency_key FROM opinions_opinion WHERE receipt_code = ANY(%s)", [codes]
        ).fetchall()
        by_code = {code: (pk, key) for pk, code, key in rows}
        phase.missing = sum(1 for c in codes if c not in by_code)
        wrong_key = sum(1 for c, (_, key) in by_code.items() if key != phase.acks[c])
        # Every submission of a phase has a phone of its own. The column is encrypted
        # deterministically (renda/core/personal.py): one number, one stored value, so a number
        # stored twice is a repeated value, found without the key.
        per_phone = conn.execute(
            "SELECT count(*) FROM (SELECT citizen_phone FROM opinions_opinion WHERE idempotency_key LIKE %s "
            "GROUP BY citizen_phone HAVING count(*) > 1) d",
            [phase.key_prefix + "%"],
        ).fetchone()
        phase.duplicates = dup_acks + wrong_key + int(per_phone[0] if per_phone else 0)
        stored = conn.execute(
            "SELECT count(*) FROM opinions_opinion WHERE idempotency_key LIKE %s", [phase.key_prefix + "%"]
        ).fetchone()
        phase.stored_unacked = int(stored[0] if stored else 0) - len(codes)
        ids = [str(pk) for pk, _ in by_code.values()]
        events = conn.execute(
            "SELECT count(*) FROM audit_auditevent WHERE action = 'opinion.submit' AND target_type = 'opinions.opinion' "
            "AND target_id = ANY(%s)",
            [ids],
        ).fetchone()
        phase.audit_events = int(events[0] if events else 0)
