"""Benchmark: 500 deputies casting secret ballots at once (代表定单) under gunicorn on PostgreSQL.

    .venv/bin/python bench/voting.py [--deputies 500] [--rounds 3] [--workers 3] [--reset]

What it does, on this machine only (127.0.0.1):

1. Prepares a bench-only PostgreSQL database (BENCH_PG_URL, default
   postgres://postgres@127.0.0.1:5432/renda_bench_voting; created and migrated if missing, the demo
   county seeded once), adds ``--deputies`` township deputies to the demo town's congress (once),
   gives each a login and an API token, convenes a session with all of them entitled and signs
   them all in (through the services, as staff would).
2. Starts gunicorn (``--workers`` sync workers, the product's settings with the bench database and
   the bench URLConf of bench/intake.py) on a free loopback port.
3. For each of ``--rounds`` rounds, interleaved so that other load on the machine falls on both alike:
   - bare: every simulated client POSTs twice to /bench/bare-insert/ (same middleware, one INSERT):
     the baseline;
   - cast: a fresh 差额 vote (choose 3 of 8) is opened; every deputy POSTs their ballot to
     /api/v1/votes/<id>/cast with their token, then at once a second ballot (which must be
     refused); one client in ten fires its two ballots simultaneously instead, racing itself.
   All clients start together (one asyncio task each, a new connection per request); latency is
   measured at the client, connect and queueing included.
4. After each cast round it closes the vote through the service and checks: accepted ballots =
   ballots stored = participation rows = the tally's ballots; each option's count equals what the
   accepted ballots chose; 0 double votes (no deputy with two accepted ballots or two
   participation rows); 0 lost (every acknowledged receipt code is in the stored ballots); every
   second ballot refused with 409.

Prints throughput (requests/s and accepted ballots/s), p50/p99 per path and the ratio to the bare
baseline measured in the same run. Logs: var/bench/voting-gunicorn.log.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import secrets
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import migrate_and_seed_county, prepare_bench_database, setup_bench_django  # noqa: E402
from bench.harness import (  # noqa: E402
    BENCH_VAR,
    Connection,
    Process,
    child_env,
    env_url,
    free_port,
    markdown_table,
    parse_args,
    percentile,
    ratio,
    servers_stopped_on_exit,
    start_gunicorn,
    wait_ready,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/renda_bench_voting"
REQUEST_TIMEOUT = 60.0
ACTOR = "压测数据生成"
OPTIONS = ["村道硬化", "农贸市场改造", "老年食堂", "河道清淤", "路灯改造", "公厕改造", "文化礼堂", "饮水提升"]
SEATS = 3


def pg_url() -> str:
    return env_url("BENCH_PG_URL", DEFAULT_PG_URL)


@dataclass
class Voter:
    deputy_id: int
    token: str


@dataclass
class Session:
    meeting_id: int
    staff_user_id: int
    voters: list[Voter]


def prepare_data(n: int) -> Session:
    """The demo county, ``n`` bench deputies of the demo town's congress with logins and tokens, and
    a session with all of them entitled and signed in."""
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from renda.accounts.models import RoleAssignment, User
    from renda.accounts.services import api_token_create, role_grant, user_create
    from renda.meetings import services as meetings
    from renda.org import services as org
    from renda.org.models import Body, BodyKind, CongressLevel, Deputy
    from renda.regions.models import Region

    scope = migrate_and_seed_county(ACTOR)
    town = RoleAssignment.objects.select_related("region").get(user__username="township").region
    assert town is not None
    body = Body.objects.get(region=town, kind=BodyKind.CONGRESS)
    village = Region.objects.filter(path__startswith=town.path, level=5).order_by("path").first()
    assert village is not None
    t0 = time.perf_counter()
    have = {d.name: d for d in Deputy.objects.filter(name__startswith="压测代表")}
    deputies: list[Deputy] = []
    with transaction.atomic(), override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for i in range(1, n + 1):
            name = f"压测代表{i:04d}"
            deputy = have.get(name) or org.deputy_create(
                scope=scope,
                data=org.DeputyInput(
                    name=name, region=village, mandates=(org.MandateInput(CongressLevel.TOWNSHIP, body.term or 19),)
                ),
            )
            deputies.append(deputy)
            username = f"bench-dep{i:04d}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_create(
                    scope=scope,
                    username=username,
                    password=secrets.token_urlsafe(16),  # they vote with API tokens, never log in
                    display_name=name,
                    check_password=False,
                )
                role_grant(scope=scope, user=user, role="deputy", deputy=deputy)
    voters = []
    with transaction.atomic():
        users = dict(RoleAssignment.objects.filter(deputy__in=deputies).values_list("deputy_id", "user_id"))
        by_id = User.objects.in_bulk(list(users.values()))
        for deputy in deputies:
            _token, raw = api_token_create(scope=scope, user=by_id[users[deputy.pk]], name="压测")
            voters.append(Voter(deputy_id=deputy.pk, token=raw))
    print(f"{n} deputies with logins and tokens in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    meeting = meetings.meeting_create(
        scope=scope,
        body=body,
        start_date=dt.date.today(),
        title=f"压测会议 {time.strftime('%Y%m%d-%H%M%S')}",
        deputies=deputies,
        number=None,
    )
    meetings.meeting_open(scope=scope, meeting=meeting)
    for deputy in deputies:
        meetings.attendee_sign_in(scope=scope, meeting=meeting, deputy=deputy)
    print(f"session convened, {n} deputies signed in, in {time.perf_counter() - t0:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, key varchar(64) NOT NULL, "
            "body text NOT NULL, created_at timestamptz NOT NULL)"
        )
    staff = User.objects.get(username="township")
    connection.close()
    return Session(meeting_id=meeting.pk, staff_user_id=staff.pk, voters=voters)


def new_vote(session: Session, round_no: int) -> int:
    from renda.core.scoping import system_scope
    from renda.meetings.models import Meeting
    from renda.voting import services

    scope = system_scope(ACTOR)
    meeting = Meeting.objects.select_related("region").get(pk=session.meeting_id)
    vote = services.vote_create(
        scope=scope,
        meeting=meeting,
        title=f"压测票决 第 {round_no} 轮",
        method="choose_n",
        seats=SEATS,
        options=[services.OptionInput(label=o, ref=f"bench:{i}") for i, o in enumerate(OPTIONS, start=1)],
    )
    services.vote_open(scope=scope, vote=vote)
    return vote.pk


# ---------------------------------------------------------------------------------------------
# Requests: one connection each (harness.Connection without keep-alive), timed at the client.


@dataclass
class Result:
    status: int
    body: bytes
    started: float
    finished: float

    @property
    def ms(self) -> float:
        return (self.finished - self.started) * 1000


async def http(port: int, method: str, path: str, body: bytes, headers: dict[str, str]) -> Result:
    started = time.perf_counter()
    conn = Connection(port, keep_alive=False, user_agent="renda-bench-voting")
    content_type = headers.pop("Content-Type", "")
    try:
        response = await conn.request(method, path, body=body, content_type=content_type, headers=headers)
    finally:
        await conn.close()
    return Result(response.status, response.body, started, time.perf_counter())


@dataclass
class Phase:
    name: str
    results: list[Result] = field(default_factory=list)
    accepted: int = 0

    def figures(self) -> dict[str, float]:
        ok = [r for r in self.results if r.status in (200, 201, 409)]
        lat = [r.ms for r in ok]
        span = max(r.finished for r in ok) - min(r.started for r in self.results)
        return {
            "requests": len(self.results),
            "req_per_s": len(ok) / span if span > 0 else 0.0,
            "accepted_per_s": self.accepted / span if span > 0 else 0.0,
            "p50": percentile(lat, 0.5),
            "p99": percentile(lat, 0.99),
            "errors": len(self.results) - len(ok),
        }


async def run_bare(port: int, n: int) -> Phase:
    phase = Phase("bare")
    go = asyncio.Event()

    async def client(i: int) -> None:
        await go.wait()
        for k in range(2):
            body = f"idempotency_key=bench-{i}-{k}-{time.time_ns()}&text=bare".encode()
            r = await asyncio.wait_for(
                http(port, "POST", "/bench/bare-insert/", body, {"Content-Type": "application/x-www-form-urlencoded"}),
                REQUEST_TIMEOUT,
            )
            phase.results.append(r)
            if r.status == 200:
                phase.accepted += 1

    tasks = [asyncio.create_task(client(i)) for i in range(n)]
    await asyncio.sleep(0.2)
    go.set()
    await asyncio.gather(*tasks)
    return phase


@dataclass
class CastLog:
    accepted: dict[int, list[tuple[list[int], str]]] = field(default_factory=dict)  # deputy -> [(choices, code)]
    refused_second: int = 0
    statuses: Counter[int] = field(default_factory=Counter)


async def run_cast(port: int, vote_id: int, voters: list[Voter], rng: random.Random) -> tuple[Phase, CastLog]:
    phase = Phase("cast")
    log = CastLog()
    go = asyncio.Event()
    path = f"/api/v1/votes/{vote_id}/cast"

    async def cast(voter: Voter, choices: list[int]) -> Result:
        body = json.dumps({"choices": choices}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {voter.token}"}
        r = await asyncio.wait_for(http(port, "POST", path, body, headers), REQUEST_TIMEOUT)
        phase.results.append(r)
        log.statuses[r.status] += 1
        if r.status == 200:
            phase.accepted += 1
            log.accepted.setdefault(voter.deputy_id, []).append((choices, json.loads(r.body)["code"]))
        elif r.status == 409 and "只能投一票" in r.body.decode("utf-8", "replace"):
            log.refused_second += 1
        return r

    async def client(i: int, voter: Voter) -> None:
        first = sorted(rng.sample(range(1, len(OPTIONS) + 1), rng.randint(0, SEATS)))
        second = sorted(rng.sample(range(1, len(OPTIONS) + 1), 1))
        await go.wait()
        if i % 10 == 0:  # racing itself: two ballots at the same moment
            await asyncio.gather(cast(voter, first), cast(voter, second))
        else:
            await cast(voter, first)
            await cast(voter, second)

    tasks = [asyncio.create_task(client(i, v)) for i, v in enumerate(voters)]
    await asyncio.sleep(0.2)
    go.set()
    await asyncio.gather(*tasks)
    return phase, log


def verify(vote_id: int, log: CastLog, n: int) -> dict[str, int]:
    """Close the vote through the service and compare what is stored with what was acknowledged."""
    from django.db import connection

    from renda.core.scoping import system_scope
    from renda.voting import services
    from renda.voting.models import BallotTracker, Participation, Vote
    from renda.voting.selectors import vote_recount

    vote = services.vote_close(
        scope=system_scope(ACTOR), vote=Vote.objects.select_related("meeting__region").get(pk=vote_id)
    )
    acked = [a for answers in log.accepted.values() for a in answers]
    double = sum(1 for answers in log.accepted.values() if len(answers) > 1)
    participations = Participation.objects.filter(vote=vote).count()
    double += participations - Participation.objects.filter(vote=vote).values("deputy").distinct().count()
    stored = set(BallotTracker.objects.filter(vote=vote).values_list("tracker", flat=True))
    lost = sum(1 for _c, code in acked if code.replace("-", "").lower() not in stored)
    expected = Counter(p for choices, _code in acked for p in choices)
    counts = {o.position: o.count_yes for o in vote.options.all()}
    tally_ok = all(counts[p] == expected.get(p, 0) for p in counts)
    report = {
        "deputies": n,
        "accepted": len(acked),
        "stored": len(stored),
        "participations": participations,
        "tally_ballots": vote.ballots_phone,
        "double_votes": double,
        "lost": lost,
        "second_refused": log.refused_second,
        "tally_matches": int(tally_ok and vote_recount(vote).ok),
    }
    connection.close()
    return report


def start_server(port: int, workers: int) -> Process:
    """gunicorn with ``workers`` sync workers on the bench database, no Redis (the local-memory
    cache), ready when every worker has warmed up."""
    proc = start_gunicorn(
        "bench.wsgi_intake:application",
        port,
        workers=workers,
        env=child_env(pg_url()),
        log=BENCH_VAR / "voting-gunicorn.log",
    )
    wait_ready(proc, port, workers, timeout=180)
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deputies", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the bench database's schema")
    args = parse_args(parser, {"deputies": 50, "rounds": 1, "workers": 2}, "50 deputies, one round")
    if not 1 <= args.deputies <= 2000 or not 1 <= args.rounds <= 10 or not 1 <= args.workers <= 16:
        raise SystemExit("bounds: --deputies 1–2000, --rounds 1–10, --workers 1–16")
    prepare_bench_database(pg_url(), own="renda_bench_voting", reset=args.reset)
    setup_bench_django(pg_url())
    session = prepare_data(args.deputies)
    port = free_port()
    rng = random.Random(2026)
    phases: dict[str, list[Phase]] = {"bare": [], "cast": []}
    checks: list[dict[str, int]] = []
    with servers_stopped_on_exit():
        start_server(port, args.workers)
        for round_no in range(1, args.rounds + 1):
            phases["bare"].append(asyncio.run(run_bare(port, args.deputies)))
            vote_id = new_vote(session, round_no)
            phase, log = asyncio.run(run_cast(port, vote_id, session.voters, rng))
            phases["cast"].append(phase)
            checks.append(verify(vote_id, log, args.deputies))
            f = phase.figures()
            print(
                f"round {round_no}: cast {f['req_per_s']:.0f} req/s, p99 {f['p99']:.0f} ms; "
                f"bare {phases['bare'][-1].figures()['req_per_s']:.0f} req/s; check {checks[-1]}",
                flush=True,
            )
    report(args, phases, checks)


def report(args: argparse.Namespace, phases: dict[str, list[Phase]], checks: list[dict[str, int]]) -> None:
    def merged(name: str) -> dict[str, float]:
        rows = [p.figures() for p in phases[name]]
        lat = [r.ms for p in phases[name] for r in p.results if r.status in (200, 201, 409)]
        return {
            "req_per_s": statistics.median(r["req_per_s"] for r in rows),
            "accepted_per_s": statistics.median(r["accepted_per_s"] for r in rows),
            "p50": percentile(lat, 0.5),
            "p99": percentile(lat, 0.99),
            "errors": sum(r["errors"] for r in rows),
        }

    bare, cast = merged("bare"), merged("cast")
    total = {k: sum(c[k] for c in checks) for k in checks[0]}
    ok = (
        total["double_votes"] == 0
        and total["lost"] == 0
        and total["accepted"] == total["stored"] == total["participations"] == total["tally_ballots"]
        and total["accepted"] == args.deputies * args.rounds
        and total["tally_matches"] == args.rounds
    )
    print()
    print(f"gunicorn sync × {args.workers}, PostgreSQL, {args.deputies} concurrent deputies × {args.rounds} rounds")
    headers = ["path", "req/s (median of rounds)", "accepted ballots/s", "p50 ms", "p99 ms", "vs bare", "errors"]
    vs = ratio(cast["req_per_s"], bare["req_per_s"])
    rows = [
        ["bare INSERT", f"{bare['req_per_s']:.0f}", "–", f"{bare['p50']:.0f}", f"{bare['p99']:.0f}", "1.00"],
        ["cast ballot", f"{cast['req_per_s']:.0f}", f"{cast['accepted_per_s']:.0f}", f"{cast['p50']:.0f}"],
    ]
    rows[0] += [f"{bare['errors']:.0f}"]
    rows[1] += [f"{cast['p99']:.0f}", f"{vs:.2f}", f"{cast['errors']:.0f}"]
    print(markdown_table(headers, rows))
    print(
        f"\nballots: accepted {total['accepted']}, stored {total['stored']}, participation rows "
        f"{total['participations']}, counted in the tally {total['tally_ballots']}; double votes "
        f"{total['double_votes']}; lost {total['lost']}; second ballots refused {total['second_refused']}; "
        f"tally = ballots in {total['tally_matches']}/{args.rounds} rounds → {'OK' if ok else 'FAILED'}"
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
