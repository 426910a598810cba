"""The statistics summary (SuggestionFigures) the services keep: after every transition (and every
refused one) it equals what the records give, and the statistics page shows the same figures
whether it reads the summary or the records."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command

from renda.core.errors import Conflict
from renda.org.models import Category
from renda.suggestions import figures, selectors, services
from renda.suggestions.models import Answer, State, Suggestion, SuggestionFigures

pytestmark = pytest.mark.django_db


def from_records() -> dict[tuple[int, int, int, int, int], dict[str, int]]:
    """The figures recomputed in Python straight from the suggestion rows."""
    out: dict[tuple[int, int, int, int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(figures.MEASURES, 0))
    for s in Suggestion.objects.select_related("category"):
        if s.state not in ("accepted", "assigned", "answered", "rehandling", "closed"):
            continue
        row = out[(s.body_id, s.year, s.region_id, s.lead_unit_id or 0, s.category.parent_id or s.category_id)]
        rated = s.state == "closed" and s.outcome in ("satisfied", "basic", "unsatisfied")
        row["count"] += 1
        row["answered"] += s.answered_at is not None
        row["on_time"] += s.answered_on_time is True
        row["closed"] += s.state == "closed"
        row["class_a"] += s.answered_at is not None and s.answer_class == "A"
        row["rated"] += rated
        row["satisfied"] += rated and s.outcome in ("satisfied", "basic")
        row["days_sum"] += s.answer_days or 0
        row["days_n"] += s.answer_days is not None
    return dict(out)


def summary() -> dict[tuple[int, int, int, int, int], dict[str, int]]:
    return {
        (f.body_id, f.year, f.region_id, f.unit_key, f.category_id): {m: getattr(f, m) for m in figures.MEASURES}
        for f in SuggestionFigures.objects.filter(count__gt=0)
    }


def agrees() -> bool:
    assert summary() == from_records()
    return True


def test_the_summary_follows_every_transition(drive, scope_of, town):
    staff, clerk, deputy = scope_of("township"), scope_of("clerk"), scope_of("deputy")
    # Given a draft, nothing is counted
    s = drive.draft(joint=True)
    assert agrees() and summary() == {}
    s = services.suggestion_cosign(scope=scope_of("cosigner"), suggestion=s)
    s = services.suggestion_submit(scope=deputy, suggestion=s)
    assert agrees() and summary() == {}
    # 退回修改 and resubmission: still not registered
    s = services.suggestion_return(scope=staff, suggestion=s, reason="请补充具体路段")
    s = services.suggestion_submit(scope=deputy, suggestion=s)
    assert agrees() and summary() == {}
    # 立案: counted, no unit yet
    s = services.suggestion_accept(scope=staff, suggestion=s)
    assert agrees() and list(summary().values())[0]["count"] == 1
    # 交办, a unit's objection, re-assignment to another unit: moves between groups
    s = services.suggestion_assign(scope=staff, suggestion=s, lead_unit=town.clerk_unit, co_units=[town.co_unit])
    assert agrees() and list(summary())[0][3] == town.clerk_unit.pk
    s = services.suggestion_object(scope=clerk, suggestion=s, reason="路灯归供电所管理，非本单位职责")
    assert agrees() and list(summary())[0][3] == 0
    s = services.suggestion_assign(scope=staff, suggestion=s, lead_unit=town.clerk_unit, co_units=[town.co_unit])
    # Key suggestion, supervision, co-unit opinion, contact: counted figures unchanged
    s = services.suggestion_mark_key(
        scope=staff, suggestion=s, is_key=True, gov_leader="副镇长 王强", congress_leader="人大主席 李明"
    )
    services.suggestion_supervise(scope=staff, suggestion=s, kind="supervise", note="电话督促主办单位加快进度")
    drive.contact(s)
    assert agrees()
    # Answer B, 不满意 → 重新办理, answer A, 满意
    services.suggestion_answer(scope=clerk, suggestion=s, answer_class="B", text="已列入明年村道亮化计划，分批实施。")
    assert agrees() and list(summary().values())[0]["answered"] == 1
    services.suggestion_rate(
        scope=deputy, suggestion=s, attitude="basic", result="unsatisfied", comment="只列入计划，没有时间表"
    )
    s.refresh_from_db()
    assert s.state == State.REHANDLING and agrees()
    drive.contact(s)
    services.suggestion_answer(scope=clerk, suggestion=s, answer_class="A", text="已于本月完成全部路灯安装。")
    assert agrees() and list(summary().values())[0]["class_a"] == 1
    # A refused second rating changes nothing
    services.suggestion_rate(scope=deputy, suggestion=s, attitude="satisfied", result="satisfied")
    with pytest.raises(Conflict):
        services.suggestion_rate(scope=deputy, suggestion=s, attitude="satisfied", result="satisfied")
    assert agrees()
    row = list(summary().values())[0]
    assert (row["count"], row["closed"], row["rated"], row["satisfied"]) == (1, 1, 1, 1)

    # Withdrawal (joint: every signatory consents) takes a registered suggestion out again
    w = drive.accepted(joint=True)
    assert agrees() and sum(r["count"] for r in summary().values()) == 2
    w = services.suggestion_withdraw(scope=deputy, suggestion=w, reason="问题已由村里自行解决")
    assert agrees() and sum(r["count"] for r in summary().values()) == 2  # only requested
    services.suggestion_consent_withdraw(scope=scope_of("cosigner"), suggestion=w)
    assert agrees() and sum(r["count"] for r in summary().values()) == 1
    # A withdrawn draft and a converted submission never count
    services.suggestion_withdraw(scope=deputy, suggestion=drive.submitted(), reason="重复提出")
    services.suggestion_convert(scope=staff, suggestion=drive.submitted(), reason="属于一般性意见")
    assert agrees() and sum(r["count"] for r in summary().values()) == 1
    # The sweep: overdue marking changes nothing counted; closing an unrated answer does
    late = drive.assigned()
    Suggestion.objects.filter(pk=late.pk).update(due_on=dt.date.today() - dt.timedelta(days=1))
    unrated = drive.answered("C")
    Answer.objects.filter(suggestion=unrated).update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    report = services.suggestions_sweep()
    assert report.overdue >= 1 and report.closed_unrated == 1
    assert agrees()
    services.suggestion_promise_done(scope=clerk, suggestion=unrated, note="路灯已于今年安装完毕")
    assert agrees()

    # The statistics page gives the same figures from the summary (staff) and from the records
    for dimension in selectors.DIMENSIONS:
        total, rows = selectors.statistics(scope=staff, dimension=dimension)
        assert selectors._figures_for(scope=staff, filters=None) is not None
        assert (total, rows) == selectors.statistics(scope=staff, dimension=dimension, from_records=True), dimension
        assert (total.count, total.closed) == (3, 2)  # the late one is still being handled
        year = selectors.SuggestionFilter(year=dt.date.today().year, category_id=town.category.parent_id)
        assert selectors.statistics(scope=staff, dimension=dimension, filters=year) == selectors.statistics(
            scope=staff, dimension=dimension, filters=year, from_records=True
        )
    # A deputy's statistics come from the records: their own suggestions only
    total, _ = selectors.statistics(scope=deputy, dimension="body")
    assert total.count == selectors.stats_base(scope=deputy).count()


def test_rebuild_recomputes_the_summary_from_the_records(drive, scope_of):
    drive.answered("A")
    drive.assigned()
    expected = summary()
    assert expected and agrees()
    SuggestionFigures.objects.all().update(count=99, answered=0)  # figures changed behind the services
    Suggestion._base_manager.filter(state=State.ASSIGNED).update(year=2019)  # and records too (raw, as SQL would)
    call_command("rebuild_suggestion_figures")
    assert agrees() and summary() != expected


def test_a_change_outside_the_services_is_refused_loudly(drive):
    s = Suggestion.objects.get(pk=drive.accepted().pk)  # not locked through services._lock
    with pytest.raises(RuntimeError, match="加锁"):
        figures.record(s)


def test_bulk_writes_that_would_leave_the_summary_behind_are_refused(drive, town):
    s = drive.answered("A")
    registered = Suggestion.objects.filter(pk=s.pk)
    for change in ({"year": 2019}, {"state": State.CLOSED}, {"lead_unit": None}, {"answer_class": "B"}):
        with pytest.raises(RuntimeError, match="批量修改"):
            registered.update(**change)
    with pytest.raises(RuntimeError, match="批量修改"):
        Suggestion.objects.bulk_update([s], ["answer_days"])
    copy = Suggestion.objects.get(pk=s.pk)
    copy.pk = None
    with pytest.raises(RuntimeError, match="批量修改"):
        Suggestion.objects.bulk_create([copy])
    with pytest.raises(RuntimeError, match="不能删除"):
        registered.delete()
    # A field the summary does not count may still be set in bulk
    assert registered.update(reminded_at=None) == 1
    assert agrees()


def test_a_bulk_update_through_update_counted_moves_the_summary(drive):
    drive.answered("A")
    drive.assigned()
    assert figures.update_counted(Suggestion.objects.filter(state=State.ASSIGNED), year=2019) == 1
    assert agrees() and any(key[1] == 2019 for key in summary())
    assert figures.update_counted(Suggestion.objects.filter(state=State.ANSWERED), answer_class="B", answer_days=40)
    assert agrees()


def test_the_nightly_check_repairs_a_corrupted_summary_and_reports_it(drive, client_as):
    from renda.audit.models import AuditEvent
    from renda.site.schedule import PERIODIC

    assert "suggestions.figures_check" in {p.task for p in PERIODIC}
    drive.answered("A")
    drive.assigned(category=Category.objects.get(name="入学"))
    assert agrees()
    # Given a corrupted row, a missing one and one nobody's records give
    rows = list(SuggestionFigures.objects.filter(count__gt=0).order_by("id"))
    SuggestionFigures.objects.filter(pk=rows[0].pk).update(count=99, answered=0)
    SuggestionFigures.objects.filter(pk=rows[1].pk).delete()
    SuggestionFigures.objects.create(
        body_id=rows[0].body_id, year=1999, region_id=rows[0].region_id, category_id=rows[0].category_id, count=5
    )
    # A check alone reports and changes nothing
    out = StringIO()
    call_command("rebuild_suggestion_figures", "--check", stdout=out)
    assert "不一致 3 处" in out.getvalue() and "未修复" in out.getvalue()
    assert not AuditEvent.objects.filter(action="suggestion.figures_check").exists()
    # When the nightly sweep runs
    from renda.suggestions.tasks import figures_check

    result = figures_check.apply().get()
    # Then the summary is repaired and the difference reported
    assert result == {"rows": result["rows"], "wrong": 1, "missing": 1, "extra": 1}
    assert agrees()
    event = AuditEvent.objects.filter(action="suggestion.figures_check").latest("seq")
    assert event.after["wrong"] == 1 and event.after["missing"] == 1 and event.after["extra"] == 1
    wrong = next(d for d in event.after["differences"] if d["kind"] == "wrong")
    assert wrong["stored"]["count"] == 99 and wrong["records"]["count"] == rows[0].count
    # and an administrator sees it on the statistics page
    page = client_as("admin").get("/suggestions/stats/").content.decode()
    assert "统计汇总与建议记录不一致 3 处" in page and "已修复" in page
    assert "统计汇总每晚" not in client_as("township").get("/suggestions/stats/").content.decode()
    # A second run finds nothing to repair
    again = figures.verify()
    assert again.total == 0 and "一致" in again.summary()
