import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from renda.accounts.models import User
from renda.audit.services import audit_record
from renda.core.scoping import Scope, system_scope
from renda.demo import meetings, projects, suggestions
from renda.demo.county import DEMO_PASSWORD, build_demo, demo_logins
from renda.demo.opinions import DEFAULT_PER_COUNTY, build_opinions
from renda.opinions.models import Outcome, Source, State
from renda.regions.models import Region

# The later scenes' demo data, in this order after the opinions (suggestions start from
# opinions; the projects demo holds the year's first sessions, where its lists are voted, and
# the sessions demo then holds the rest of the year's, numbered after them). Each module has ``build(*, scope, seed) -> str``
# that builds its scene through the services, skips what already exists, and answers a
# one-line summary in Chinese. Imported, not looked up by name, so that the import graph
# (tests/test_layers.py) sees them.
SCENE_DEMOS = [suggestions, projects, meetings]


class Command(BaseCommand):
    help = "生成演示县数据（确定性）：--scale N 生成 N 个县，用于演示与性能测试"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="县的个数（默认 1）")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="已有区划数据时跳过（make run 用）")
        parser.add_argument("--no-opinions", action="store_true", help="不生成一年的群众意见（只建组织体系）")
        parser.add_argument("--no-scenes", action="store_true", help="不生成代表建议、人代会、民生实事等演示数据")
        parser.add_argument(
            "--opinions-per-county",
            type=int,
            default=DEFAULT_PER_COUNTY,
            help=f"每县一年的意见数（默认 {DEFAULT_PER_COUNTY}）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Region.objects.exists():
            self.stdout.write("已有数据，跳过演示数据生成。")
            self.print_logins()
            return
        if options["scale"] < 1:
            self.stderr.write("--scale 至少为 1")
            return
        started = time.monotonic()
        scope = system_scope("演示数据生成")
        with transaction.atomic():
            summary = build_demo(scope=scope, scale=options["scale"], seed=options["seed"])
            audit_record(
                actor=scope.actor,
                action="demo.seed",
                target_type="system",
                target_id="demo",
                after={"scale": options["scale"], "deputies": summary.deputies},
            )
        self.stdout.write(
            f"演示数据已生成（{time.monotonic() - started:.1f} 秒）：{summary.counties} 个县，{summary.townships} 个乡镇/街道，"
            f"{summary.villages} 个村/社区，{summary.deputies} 名代表，{summary.stations} 个家站点，{summary.units} 个承办单位"
        )
        if not options["no_opinions"] and options["opinions_per_county"] > 0:
            self.seed_opinions(scope, options["seed"], options["opinions_per_county"])
        if not options["no_scenes"]:
            self.seed_scenes(scope, options["seed"])
        self.print_logins()

    def seed_scenes(self, scope: Scope, seed: int) -> None:
        for demo in SCENE_DEMOS:
            started = time.monotonic()
            summary = demo.build(scope=scope, seed=seed)
            self.stdout.write(f"{summary}（{time.monotonic() - started:.1f} 秒）")

    def seed_opinions(self, scope: Scope, seed: int, per_county: int) -> None:
        # Outside the transaction above: build_opinions commits in batches so that its
        # notifications are delivered to the in-memory outbox, not printed.
        summary = build_opinions(scope=scope, seed=seed, per_county=per_county)
        if not summary.counties:
            self.stdout.write("各县已有群众意见，跳过意见生成。")
            return
        states = "，".join(f"{State(k).label} {v}" for k, v in summary.by_state.most_common())
        outcomes = "，".join(f"{Outcome(k).label} {v}" for k, v in summary.by_outcome.most_common())
        sources = "，".join(f"{Source(k).label} {v}" for k, v in summary.by_source.most_common())
        self.stdout.write(
            f"群众意见已生成（{summary.seconds:.1f} 秒）：{summary.counties} 个县共 {summary.opinions} 件"
            f"（{states}）；办结：{outcomes}；来源：{sources}；"
            f"接待时段 {summary.slots} 个，预约 {summary.appointments} 个"
        )

    def print_logins(self) -> None:
        rows = demo_logins()
        if not rows:
            return
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for role, username, where in rows:
            self.stdout.write(f"  {username:<10} {role}（{where}）")
        voters = User.objects.filter(username__regex=r"^dep[0-9]+$").order_by("username")
        if voters.exists():
            first, last = voters.first(), voters.last()
            assert first is not None and last is not None
            self.stdout.write(
                f"  {first.username}…{last.username}  人大代表（白鹭镇人代会的每位代表，{voters.count()} 个，"
                "用于手机签到和投票演示）"
            )
