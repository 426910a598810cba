"""bench/intake.py's servers: gunicorn per configuration, the Celery worker and beat once, nginx in
front with ``--front nginx``; and the worker's backlog after each slice of load.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from bench.harness import BENCH_VAR, Process, child_env, log_lines, venv_bin
from bench.harness import start_gunicorn as harness_gunicorn
from bench.intake_data import pg_url, redis_client, redis_url
from bench.intake_load import API_PATH


@dataclass
class Config:
    worker_class: str
    workers: int
    threads: int = 1

    @property
    def label(self) -> str:
        return f"{self.worker_class} -w {self.workers}" + (f" --threads {self.threads}" if self.threads > 1 else "")

    @property
    def slug(self) -> str:
        return f"{self.worker_class}-{self.workers}x{self.threads}"


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The servers' environment: the bench database and Redis as cache and Celery broker."""
    return child_env(pg_url(), redis_url(), extra)


def parse_configs(text: str) -> list[Config]:
    configs = []
    for item in text.split(","):
        kind, _, size = item.strip().partition(":")
        if kind not in {"sync", "gthread"} or not size:
            raise SystemExit(f"bad config {item!r}: use sync:N or gthread:NxT")
        workers, _, threads = size.partition("x")
        configs.append(Config(kind, int(workers), int(threads or (4 if kind == "gthread" else 1))))
    return configs


def start_celery() -> Process:
    log = BENCH_VAR / "intake-celery.log"
    log.write_bytes(b"")
    cmd = [venv_bin("celery"), "-A", "renda", "worker", "-l", "info", "--without-gossip", "--without-mingle"]
    proc = Process("celery", cmd, env(), log)
    # Each worker process loads jieba and the category model when it starts
    # (renda/opinions/tasks.py, warm): wait for all of them, as for gunicorn's workers.
    deadline, want = time.monotonic() + 180, os.cpu_count() or 1
    while time.monotonic() < deadline and proc.proc.poll() is None:
        warm = log_lines(log, "intake worker warm")
        if len(warm) >= want:
            print(f"celery worker ready: {'; '.join(w.split(': ', 1)[-1] for w in warm)}", flush=True)
            break
        time.sleep(0.5)
    else:
        print(f"celery worker not warm after 180 s (see {log})", flush=True)
    return proc


def start_beat() -> Process:
    """Celery beat, as deployed: it sends ``opinions.intake`` every second (the outbox poll that
    starts a submission's after-submit work) and the other sweeps (renda/site/schedule.py)."""
    log = BENCH_VAR / "intake-beat.log"
    log.write_bytes(b"")
    schedule = BENCH_VAR / "intake-celerybeat-schedule"
    for stale in BENCH_VAR.glob("intake-celerybeat-schedule*"):
        stale.unlink()
    cmd = [venv_bin("celery"), "-A", "renda", "beat", "-l", "info", "--schedule", str(schedule)]
    proc = Process("beat", cmd, env(), log)
    return proc


NGINX_CONF = """worker_processes 1;
daemon off;
master_process on;
pid {var}/intake-nginx.pid;
error_log {var}/intake-nginx.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {var}/nginx-body;
    proxy_temp_path {var}/nginx-proxy;
    fastcgi_temp_path {var}/nginx-fastcgi;
    uwsgi_temp_path {var}/nginx-uwsgi;
    scgi_temp_path {var}/nginx-scgi;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 12m;
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


def start_nginx(port: int, upstream: int) -> Process:
    """nginx in front of gunicorn, as docs/deploy.md section 4 has it (without TLS): phones keep
    their connection to nginx, nginx opens one per request to gunicorn and closes it as soon as
    the answer is in, so a synchronous worker is never left waiting for a slow client."""
    conf = BENCH_VAR / "intake-nginx.conf"
    conf.write_text(NGINX_CONF.format(var=BENCH_VAR, port=port, upstream=upstream))
    log = BENCH_VAR / "intake-nginx-stderr.log"
    log.write_bytes(b"")
    proc = Process("nginx", ["nginx", "-c", str(conf), "-p", str(BENCH_VAR)], env(), log)
    return proc


def start_gunicorn(config: Config, port: int, profile_dir: str = "", profile_clock: str = "cpu") -> Process:
    extra = {"BENCH_PROFILE": profile_dir, "BENCH_PROFILE_CLOCK": profile_clock} if profile_dir else {}
    return harness_gunicorn(
        "bench.wsgi_intake:application",
        port,
        workers=config.workers,
        worker_class=config.worker_class,
        threads=config.threads,
        env=env(extra),
        log=BENCH_VAR / f"intake-gunicorn-{config.slug}.log",
    )


def pending_intake() -> int:
    """Acknowledged submissions whose after-submit work (audit event, suggestion, messages) has
    not run yet: the worker's backlog in the database (0 before the column existed)."""
    import psycopg

    with psycopg.connect(pg_url(), autocommit=True) as conn:
        has = conn.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'opinions_opinion' "
            "AND column_name = 'intake_pending'"
        ).fetchone()
        if not has:
            return 0
        row = conn.execute("SELECT count(*) FROM opinions_opinion WHERE intake_pending").fetchone()
    return int(row[0] if row else 0)


def wait_queue_drained(limit: float = 120.0) -> tuple[int, int, float]:
    """Queued Celery tasks and waiting after-submit work left when the load stopped, and how long
    the worker took to clear both."""
    r = redis_client()
    backlog, waiting = int(r.llen("celery")), pending_intake()
    t0 = time.monotonic()
    while (r.llen("celery") or pending_intake()) and time.monotonic() - t0 < limit:
        time.sleep(0.2)
    return backlog, waiting, time.monotonic() - t0


def api_present(port: int) -> str:
    """'' if POST /api/v1/public/opinions exists (an empty body is refused, not 404), else why not."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST", API_PATH, body=b"{}", headers={"Content-Type": "application/json", "Idempotency-Key": "probe"}
        )
        resp = conn.getresponse()
        resp.read()
    finally:
        conn.close()
    return "" if resp.status in (400, 422) else f"POST {API_PATH} with an empty body answered {resp.status}"
