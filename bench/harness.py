"""What the benchmark scripts share: common flags, percentiles and ratios, the markdown tables
and header lines they print, an asyncio HTTP/1.1 client, CPU readings from /proc, and the servers
they start (gunicorn, Celery, nginx) with their health checks. The database a script fills is bench/database.py's.

Nothing here knows a benchmark's own data or paths; each script keeps those.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"  # logs, SQLite files, nginx and Celery state, profiles

# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(parser: argparse.ArgumentParser, quick: dict[str, Any], what: str = "") -> argparse.Namespace:
    """Parse the command line with a ``--quick`` flag added: a small run (seconds, not minutes) to
    see that the script works, which sets ``quick``'s options to its values wherever the command
    line left them at their defaults. Its figures are not comparable with a full run's."""
    shown = ", ".join(f"--{k.replace('_', '-')} {v!r}" for k, v in quick.items())
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a small run to check the script works{f' ({what})' if what else ''}: {shown} unless given",
    )
    args = parser.parse_args()
    if args.quick:
        for key, value in quick.items():
            if getattr(args, key) == parser.get_default(key):
                setattr(args, key, value)
    return args


def env_url(name: str, default: str) -> str:
    """A connection URL from the environment (BENCH_PG_URL, BENCH_REDIS_URL), else the script's default."""
    return os.environ.get(name, default)


# ---------------------------------------------------------------------------------------------
# Figures


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` from 0 to 1; 1 is the maximum); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def ratio(value: float, baseline: float) -> float:
    """``value`` against a baseline measured in the same run; NaN when the baseline is 0."""
    return value / baseline if baseline else math.nan


def loadavg_text(load: tuple[float, float, float]) -> str:
    return "/".join(f"{x:.1f}" for x in load)


def load_line(before: tuple[float, float, float], after: tuple[float, float, float], what: str = "") -> str:
    """The machine's load average around the timings (the machine is shared: it moves every figure)."""
    return (
        f"load average (1/5/15 min) {loadavg_text(before)} before{what}, {loadavg_text(after)} after, "
        f"on {os.cpu_count()} cores"
    )


def banner(script: str, *details: str) -> str:
    """The first line of a script's output: which script, on what machine."""
    return ", ".join([f"# bench/{script} on {os.cpu_count()} cores, Python {sys.version.split()[0]}", *details])


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> str:
    """A markdown table; ``align`` has one letter a column, ``l`` or ``r`` (default all ``l``)."""
    align = align or "l" * len(headers)
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# A minimal HTTP/1.1 client on asyncio streams (keep-alive when the server allows it)


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


class Connection:
    """One client's connection to 127.0.0.1:``port``, opened on the first request and again after
    the server closes it. ``keep_alive`` False: a new connection per request (``Connection: close``),
    as nginx opens them to gunicorn by default."""

    keep_alive = True  # the default of every connection (intake.py's --no-keepalive sets it False)

    def __init__(self, port: int, keep_alive: bool | None = None, user_agent: str = "renda-bench") -> None:
        self.port = port
        if keep_alive is not None:
            self.keep_alive = keep_alive
        self.user_agent = user_agent
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        content_type: str = "",
        headers: dict[str, str] | None = None,
    ) -> Response:
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            "Connection: keep-alive" if self.keep_alive else "Connection: close",
            f"User-Agent: {self.user_agent}",
            "Accept: text/html,application/json",
            "Accept-Encoding: identity",
        ]
        if content_type:
            head.append(f"Content-Type: {content_type}")
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}")
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        for attempt in (0, 1):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(raw)
                await self.writer.drain()
                head_bytes = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                await self.close()
                # A keep-alive connection the server closed while idle: nothing was answered, send again
                # (safe: every submission carries its idempotency key).
                partial = getattr(exc, "partial", b"")
                if reused and attempt == 0 and not partial:
                    continue
                raise
            response = await self._read_rest(head_bytes)
            for value in response.headers.get("set-cookie", []):
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.header("connection").lower() == "close":
                await self.close()
            return response
        raise AssertionError("unreachable")

    async def _read_rest(self, head_bytes: bytes) -> Response:
        assert self.reader is not None
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), []).append(value.strip())
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"][0]))
        elif "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        else:
            body = await self.reader.read()
            await self.close()
        return Response(status, headers, body)


# ---------------------------------------------------------------------------------------------
# CPU from /proc

TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu_ms(pid: int) -> float:
    """User + system CPU milliseconds of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / TICKS


def redis_pid() -> int:
    """The Redis server's pid (0 when none runs here), from /proc."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with suppress(OSError):
            if comm.read_text().strip() == "redis-server":
                return int(comm.parent.name)
    return 0


@dataclass(frozen=True)
class Proc:
    comm: str
    ppid: int
    ticks: int  # user + system CPU of the process itself
    child_ticks: int  # CPU of its children that exited and were reaped
    title: str  # PostgreSQL backends: "postgres: 15/main: user database host(port) state"


def proc_snapshot() -> dict[int, Proc]:
    """Every process we may read, from /proc/<pid>/stat (and the title of PostgreSQL's)."""
    snap: dict[int, Proc] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                raw = fh.read().decode("latin-1")
            comm = raw[raw.index("(") + 1 : raw.rindex(")")]
            title = ""
            if comm.startswith("postgres"):
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    title = fh.read().decode("latin-1").replace("\0", " ").strip()
        except OSError:
            continue
        rest = raw[raw.rindex(")") + 2 :].split()
        snap[int(entry)] = Proc(comm, int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14]), title)
    return snap


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs: busy leaves out idle, iowait and time stolen by the host."""
    with open("/proc/stat") as fh:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fh.readline().split()[1:9])
    return user + nice + system + irq + softirq, user + nice + system + idle + iowait + irq + softirq + steal


@dataclass
class CpuUse:
    seconds: float
    busy_cores: float  # whole machine, from /proc/stat
    by_group: dict[str, float]  # cores used by each group


def cpu_between(
    before: dict[int, Proc],
    after: dict[int, Proc],
    mach: tuple[tuple[int, int], tuple[int, int]],
    seconds: float,
    roots: dict[str, tuple[int, ...]],
    dbname: str,
) -> CpuUse:
    """Cores used in the window per group: the process trees under ``roots`` (gunicorn, celery,
    client), PostgreSQL (postmaster, its helpers and the backends of ``dbname``), "pg exited, all
    databases" (backends that exited in the window, whatever their database: their CPU is only
    seen as the postmaster's reaped-children time, all of their life at once), Redis, and "other"
    (everything else, other databases' live backends included; processes that started and ended
    inside the window are missed)."""

    def group(pid: int) -> str:
        p, seen = pid, 0
        while p > 1 and seen < 50:
            for name, pids in roots.items():
                if p in pids:
                    return name
            proc = after.get(p) or before.get(p)
            p = proc.ppid if proc else 0
            seen += 1
        proc = after.get(pid) or before.get(pid)
        if proc is None:
            return "other"
        if proc.comm.startswith("postgres"):
            client_backend = "(" in proc.title or "[local]" in proc.title
            return "other" if client_backend and f" {dbname} " not in proc.title else "postgres"
        return "redis" if proc.comm.startswith("redis") else "other"

    used: dict[str, float] = defaultdict(float)
    for pid, proc in after.items():
        old = before.get(pid)
        delta = proc.ticks - old.ticks if old else proc.ticks
        if delta > 0:
            used[group(pid)] += delta / TICKS / seconds
        # Backends that exited: only the postmaster's reaped-children time shows them (children of
        # other processes are left out: a long-lived one would bring its whole life into the window).
        parent = after.get(proc.ppid)
        postmaster = proc.comm.startswith("postgres") and not (parent and parent.comm.startswith("postgres"))
        if old and postmaster:
            used["pg exited, all databases"] += max(0, proc.child_ticks - old.child_ticks) / TICKS / seconds
    (busy0, total0), (busy1, total1) = mach
    ncpu = os.cpu_count() or 1
    busy = (busy1 - busy0) / max(1, total1 - total0) * ncpu
    return CpuUse(seconds, busy, dict(used))


# ---------------------------------------------------------------------------------------------
# Servers: started in their own session, stopped on exit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def venv_bin(name: str) -> str:
    """A program of this Python's virtualenv (gunicorn, celery)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate if candidate.exists() else ROOT / ".venv" / "bin" / name)


def child_env(pg_url: str, redis_url: str | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server a script starts: renda under ``bench.settings_intake`` on the
    bench database ``pg_url``, Redis at ``redis_url`` (none: no REDIS_URL, the local-memory cache)."""
    drop = {"NOTIFY_BACKEND", "DJANGO_SETTINGS_MODULE", "REDIS_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings_intake",
        BENCH_PG_URL=pg_url,
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8",
        DEBUG="0",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra or {})
    return env


class Process:
    """A server we started in its own session, so stopping it reaches all its children. Every one
    started is in RUNNING until stopped (``stop_all``, ``servers_stopped_on_exit``)."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self.logfh = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.logfh, start_new_session=True
        )
        RUNNING.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def exited(self) -> bool:
        return self.proc.poll() is not None

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)  # graceful: workers finish, profiles are written
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # Still not reaped, so its id still names the process group we started: end all of it.
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                with suppress(subprocess.TimeoutExpired):
                    self.proc.wait(5)
        self.logfh.close()
        if self in RUNNING:
            RUNNING.remove(self)


RUNNING: list[Process] = []


def stop_all() -> None:
    while RUNNING:
        RUNNING[-1].stop()


@contextmanager
def servers_stopped_on_exit() -> Iterator[None]:
    """Stop every server started inside, also on SIGTERM and SIGHUP."""

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        stop_all()
        for s, handler in old.items():
            signal.signal(s, handler)


def healthz(port: int) -> tuple[int, bytes] | None:
    """GET /healthz on ``port``: (status, body), or None while nothing answers there."""
    import http.client

    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()
    except OSError:
        return None


def log_lines(log: Path, marker: str) -> list[str]:
    """The lines of a server's log that contain ``marker``."""
    return [line for line in log.read_text("utf-8", "replace").splitlines() if marker in line]


def start_gunicorn(
    app: str,
    port: int,
    *,
    workers: int,
    env: dict[str, str],
    log: Path,
    worker_class: str = "sync",
    threads: int = 1,
) -> Process:
    """gunicorn serving ``app`` on 127.0.0.1:``port``, logging to ``log`` (emptied first)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"")
    cmd = [venv_bin("gunicorn"), app, "-b", f"127.0.0.1:{port}", "-w", str(workers), "--worker-class", worker_class]
    cmd += ["--timeout", "60", "--graceful-timeout", "15", "--backlog", "2048", "--log-level", "warning"]
    cmd += ["--chdir", str(ROOT)]
    if worker_class == "gthread":
        cmd += ["--threads", str(threads)]
    return Process("gunicorn", cmd, env, log)


def wait_ready(
    proc: Process, port: int, workers: int, timeout: float = 120.0, marker: str = "[bench-warm]"
) -> list[str]:
    """Until /healthz answers 200 and every worker has logged its warm-up line (bench/wsgi_intake.py);
    returns those lines."""
    deadline = time.monotonic() + timeout
    healthy = False
    while time.monotonic() < deadline:
        if proc.exited():
            raise SystemExit(f"{proc.name} exited ({proc.proc.returncode}); see {proc.log}")
        warm = log_lines(proc.log, marker)
        if not healthy and (answer := healthz(port)) is not None:
            status, body = answer
            if status != 200:
                raise SystemExit(f"/healthz answered {status}: {body[:300]!r}")
            healthy = True
        if healthy and len(warm) >= workers:
            return warm
        time.sleep(0.3)
    raise SystemExit(f"{proc.name} not ready after {timeout:.0f} s; see {proc.log}")


def wait_front(proc: Process, port: int, timeout: float = 20.0) -> None:
    """Until a front server (nginx) listening on ``port`` answers /healthz through to its upstream."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.exited():
            raise SystemExit(f"{proc.name} exited ({proc.proc.returncode}); see {proc.log}")
        answer = healthz(port)
        if answer is not None and answer[0] == 200:
            return
        time.sleep(0.2)
    raise SystemExit(f"{proc.name} not answering after {timeout:.0f} s; see {proc.log}")
