"""A citizen's submission is acknowledged once its row is stored; its after-submit work (the
submit audit event with the submission's time, the category suggestion, the staff's message
and the SMS receipt) runs after commit in a worker, in order, and is never lost or doubled."""

import random
import uuid

import pytest
from django.test import Client

from renda.audit.models import AuditEvent
from renda.audit.selectors import audit_verify_chain
from renda.audit.services import AuditEntry, audit_batch
from renda.core.errors import Conflict
from renda.core.ratelimit import Limit, RateLimited, check_rates, claim, release
from renda.core.rules import rule
from renda.notify.models import Notification
from renda.opinions import intake, refs, selectors, services
from renda.opinions.models import Opinion, State

_phones = iter(range(random.randrange(9_000_000), 10_000_000))


def fresh_phone() -> str:
    """A phone no other test (nor an earlier run) uses: the per-phone limit counts in a cache that
    outlives tests, and with REDIS_URL outlives the run."""
    return f"1357{next(_phones):07d}"


def data(village, category, station, **extra):
    values = {
        "text": "村口路灯坏了半个月，晚上出行很不安全，希望尽快修好。",
        "region": village,
        "category": category,
        "station": station,
        "citizen_name": "张三",
        "citizen_phone": fresh_phone(),
        "consent": True,
    } | extra
    return intake.OpinionInput(**values)


def submit_events(opinion):
    return list(AuditEvent.objects.filter(target_id=str(opinion.pk), action="opinion.submit"))


def api_submit(key, station, village, category, **extra):
    body = {
        "text": "村口路灯坏了半个月，晚上出行很不安全，希望尽快修好。",
        "category": category.pk,
        "region": village.pk,
        "station": station.public_id,
        "citizen_name": "张三",
        "citizen_phone": "13912340001",
        "consent": True,
    } | extra
    return Client().post(
        "/api/v1/public/opinions", body, content_type="application/json", headers={"Idempotency-Key": key}
    )


@pytest.mark.django_db
def test_eager_the_worker_runs_after_commit_and_completes_the_case(
    liaison_station, village, lamp_category, outbox, django_capture_on_commit_callbacks
):
    # Given the embedded default (tasks eager), when a citizen submits through the API
    with django_capture_on_commit_callbacks(execute=True):
        phone = fresh_phone()
        response = api_submit(f"eager-{uuid.uuid4().hex}", liaison_station, village, lamp_category, citizen_phone=phone)
    assert response.status_code == 201
    opinion = Opinion.objects.get(receipt_code=response.json()["receipt_code"])
    # then the after-submit work has run once: one submit event with the submission's time,
    [event] = submit_events(opinion)
    assert not opinion.intake_pending
    assert event.created_at == opinion.created_at and event.actor_label == opinion.citizen_label
    assert event.after["phone"] == f"{phone[:3]}****{phone[-4:]}" and phone not in str(event.after)
    assert event.after["fingerprint"] == opinion.submit_fingerprint
    # a suggested category, the staff's inbox message and the SMS receipt,
    assert opinion.suggested_category_id is not None
    assert Notification.objects.filter(
        to_user__username="township", target_id=str(opinion.pk), body__startswith="新意见待分办"
    ).exists()
    assert [m for m in outbox if m["to"] == phone and opinion.receipt_code in m["body"]]
    # and the chain still verifies.
    assert audit_verify_chain().ok


@pytest.mark.django_db
def test_a_waiting_case_is_acknowledged_shown_and_completed_by_the_sweep(liaison_station, village, lamp_category):
    # Given a submission whose after-submit task has not run (lost, or the worker is down)
    opinion, created = intake.opinion_submit(data=data(village, lamp_category, liaison_station), idempotency_key="w1")
    assert created and Opinion.objects.get(pk=opinion.pk).intake_pending
    assert submit_events(opinion) == []
    # the citizen already sees it received,
    assert [label for _, label in selectors.citizen_steps(opinion=opinion)] == ["已收到您的反映"]
    # when the periodic sweep runs, it completes the case once,
    report = services.opinions_sweep()
    assert report.intake >= 1
    opinion.refresh_from_db()
    assert not opinion.intake_pending and len(submit_events(opinion)) == 1
    assert [label for _, label in selectors.citizen_steps(opinion=opinion)] == ["已收到您的反映"]
    # and again changes nothing.
    assert intake.opinions_intake_process() == 0
    assert len(submit_events(opinion)) == 1
    assert audit_verify_chain().ok


@pytest.mark.django_db
def test_a_change_to_a_waiting_case_appends_its_submission_first(scope_of, liaison_station, village, lamp_category):
    opinion, _ = intake.opinion_submit(data=data(village, lamp_category, liaison_station))
    services.opinion_answer_directly(scope=scope_of("township"), opinion=opinion, text="已安排电工今天修复路灯。")
    actions = list(
        AuditEvent.objects.filter(target_id=str(opinion.pk), target_type="opinions.opinion").values_list(
            "action", flat=True
        )
    )
    assert actions == ["opinion.submit", "opinion.answer"]
    assert intake.opinions_intake_process() == 0  # nothing left for the worker


@pytest.mark.django_db
def test_merging_two_waiting_cases_appends_both_submissions_first(scope_of, liaison_station, village, lamp_category):
    first, _ = intake.opinion_submit(data=data(village, lamp_category, liaison_station))
    second, _ = intake.opinion_submit(data=data(village, lamp_category, liaison_station, text="村口路灯还是不亮。"))
    services.opinion_merge(scope=scope_of("township"), opinion=second, into=first, reason="同一盏路灯")
    events = list(AuditEvent.objects.filter(target_id__in=[str(first.pk), str(second.pk)]).order_by("seq"))
    actions = [(e.target_id, e.action) for e in events if e.target_type == "opinions.opinion"]
    assert actions[:2] == [(str(second.pk), "opinion.submit"), (str(first.pk), "opinion.submit")]
    assert [a for _, a in actions[2:]] == ["opinion.merge", "opinion.absorb"]
    second.refresh_from_db()
    assert second.state == State.MERGED


@pytest.mark.django_db
def test_a_replay_costs_no_rate_limit_hit_and_a_refused_submission_stores_nothing(
    liaison_station, village, lamp_category
):
    limit = int(rule("opinion.rate_per_phone_day"))
    phone = fresh_phone()
    first, created = intake.opinion_submit(
        data=data(village, lamp_category, liaison_station, citizen_phone=phone), idempotency_key="r1"
    )
    assert created
    for _ in range(limit + 2):  # replays: the first case each time, never counted
        again, created = intake.opinion_submit(
            data=data(village, lamp_category, liaison_station, citizen_phone=phone), idempotency_key="r1"
        )
        assert again.pk == first.pk and not created
    for n in range(limit - 1):
        intake.opinion_submit(
            data=data(village, lamp_category, liaison_station, citizen_phone=phone, text=f"第{n}件事情需要反映一下。")
        )
    before = (Opinion.objects.count(), AuditEvent.objects.count())
    with pytest.raises(RateLimited, match="今日提交次数已达上限"):
        intake.opinion_submit(
            data=data(village, lamp_category, liaison_station, citizen_phone=phone, text="又一件事情需要反映。"),
            idempotency_key="r2",
        )
    assert (Opinion.objects.count(), AuditEvent.objects.count()) == before
    assert not Opinion.objects.filter(idempotency_key="r2").exists()
    # At the limit, a retry of a stored submission is still answered with it, not refused.
    again, created = intake.opinion_submit(
        data=data(village, lamp_category, liaison_station, citizen_phone=phone), idempotency_key="r1"
    )
    assert again.pk == first.pk and not created


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_one_insert_stores_it_and_a_replay_or_refusal_leaves_nothing(
    demo_county, liaison_station, village, lamp_category
):
    # As in a real request: no test transaction around the submission, so its INSERT autocommits.
    from django.db import connection

    assert not connection.in_atomic_block
    phone = fresh_phone()
    key = f"auto-{uuid.uuid4().hex}"
    first, created = intake.opinion_submit(
        data=data(village, lamp_category, liaison_station, citizen_phone=phone), idempotency_key=key
    )
    assert created and Opinion.objects.filter(pk=first.pk, intake_pending=False).exists()  # eager: done
    # the same key with the same content: the first case, nothing new stored or counted;
    before = (Opinion.objects.count(), AuditEvent.objects.count())
    again, created = intake.opinion_submit(
        data=data(village, lamp_category, liaison_station, citizen_phone=phone), idempotency_key=key
    )
    assert again.pk == first.pk and not created
    # the same key with other content: refused in Chinese;
    with pytest.raises(Conflict, match="该提交编号已使用过且内容不同"):
        intake.opinion_submit(
            data=data(village, lamp_category, liaison_station, citizen_phone=phone, text="换了一件事情来反映。"),
            idempotency_key=key,
        )
    assert (Opinion.objects.count(), AuditEvent.objects.count()) == before
    # past the limit: refused, nothing stored, and the connection still works.
    limit = int(rule("opinion.rate_per_phone_day"))
    for n in range(limit - 1):
        intake.opinion_submit(
            data=data(village, lamp_category, liaison_station, citizen_phone=phone, text=f"第{n}件事情需要反映。")
        )
    count = Opinion.objects.count()
    with pytest.raises(RateLimited):
        intake.opinion_submit(
            data=data(village, lamp_category, liaison_station, citizen_phone=phone, text="再一件事情需要反映。")
        )
    assert Opinion.objects.count() == count
    assert audit_verify_chain().ok


@pytest.mark.django_db
def test_with_a_worker_a_submission_queues_nothing_and_the_tick_completes_it(
    monkeypatch, liaison_station, village, lamp_category, django_capture_on_commit_callbacks
):
    from renda.celery import app
    from renda.opinions import tasks
    from renda.site.schedule import beat_schedule

    queued = []
    monkeypatch.setattr(tasks.intake, "apply_async", lambda *a, **kwargs: queued.append(kwargs))
    monkeypatch.setattr(tasks.intake, "delay", lambda *a, **kwargs: queued.append(kwargs))
    app.conf.task_always_eager = False  # as with Redis and a worker (the autouse fixture restores it)
    release(intake.INTAKE_RUNNING)  # with REDIS_URL a claim outlives tests
    try:
        # Given a worker, a citizen's submission asks nothing of Redis or the queue after commit,
        with django_capture_on_commit_callbacks(execute=True):
            response = api_submit(f"tick-{uuid.uuid4().hex}", liaison_station, village, lamp_category)
        assert response.status_code == 201 and queued == []
        opinion = Opinion.objects.get(receipt_code=response.json()["receipt_code"])
        assert opinion.intake_pending and submit_events(opinion) == []
        # beat sends the intake task every second (a tick that could not start in time is dropped),
        assert beat_schedule()["opinions.intake"]["schedule"] == 1.0
        assert beat_schedule()["opinions.intake"]["options"] == {"expires": 1.0}
        # a tick while another worker's loop runs returns at once and leaves the case to it,
        assert claim(intake.INTAKE_RUNNING, 60)
        assert intake.opinions_intake_process() is None
        assert Opinion.objects.get(pk=opinion.pk).intake_pending
        release(intake.INTAKE_RUNNING)
        # and the next tick completes it, once.
        assert intake.opinions_intake_process() >= 1
        opinion.refresh_from_db()
        assert not opinion.intake_pending and len(submit_events(opinion)) == 1
        assert intake.opinions_intake_process() == 0
    finally:
        release(intake.INTAKE_RUNNING)
        app.conf.task_always_eager = True


@pytest.mark.django_db
def test_under_load_one_loop_keeps_serving_cases_as_they_arrive(monkeypatch, liaison_station, village, lamp_category):
    # While cases keep arriving the worker's loop looks again every moment instead of returning,
    # and returns once a look finds nothing.
    arrivals = [2, 1, 0]
    first, _ = intake.opinion_submit(data=data(village, lamp_category, liaison_station))
    submitted = [first]

    def sleep(_seconds):
        for _ in range(arrivals.pop(0)):
            submitted.append(intake.opinion_submit(data=data(village, lamp_category, liaison_station))[0])

    monkeypatch.setattr(intake.time, "sleep", sleep)
    assert intake.opinions_intake_process(linger=60) == 4
    assert arrivals == []  # it looked three more times: 2 new, 1 new, none
    assert not Opinion.objects.filter(pk__in=[o.pk for o in submitted], intake_pending=True).exists()
    assert all(len(submit_events(o)) == 1 for o in submitted)


@pytest.mark.django_db
def test_staff_get_one_inbox_message_for_cases_that_arrive_together(liaison_station, village, lamp_category):
    opinions = [intake.opinion_submit(data=data(village, lamp_category, liaison_station))[0] for _ in range(3)]
    intake.opinions_intake_process()
    [message] = Notification.objects.filter(to_user__username="township", body__startswith="新意见待分办")
    assert message.body.startswith("新意见待分办 3 件：") and opinions[0].title in message.body
    assert message.link == "/opinions/?state=submitted"
    # A case alone is named and linked.
    alone, _ = intake.opinion_submit(data=data(village, lamp_category, liaison_station))
    intake.opinions_intake_process()
    latest = Notification.objects.filter(to_user__username="township").latest("pk")
    assert latest.target_id == str(alone.pk) and latest.link == f"/opinions/{alone.pk}/"


@pytest.mark.django_db
def test_rate_limits_of_one_request_count_together():
    run = uuid.uuid4().hex  # the counters outlive the test (with REDIS_URL, the run too)
    limits = [Limit("t-ip", f"ip-{run}", 2, 60, "IP 太频繁"), Limit("t-phone", f"phone-{run}", 3, 60, "手机太频繁")]
    check_rates(limits)
    check_rates(limits)
    with pytest.raises(RateLimited, match="IP 太频繁"):
        check_rates(limits)  # a refused request still counts: the phone is at 3 of 3 now
    with pytest.raises(RateLimited, match="手机太频繁"):
        check_rates([limits[1]])


@pytest.mark.django_db
def test_a_batch_of_events_keeps_their_times_and_the_chain(liaison_station):
    from django.utils import timezone

    earlier = timezone.now() - timezone.timedelta(minutes=5)
    with audit_batch() as chain:
        one = chain.add(AuditEntry(actor="测试", action="test.one", target=liaison_station, at=earlier))
        two = chain.add(AuditEntry(actor="测试", action="test.two", target=liaison_station))
    assert two.seq == one.seq + 1 and two.prev_hash == one.hash
    assert AuditEvent.objects.get(seq=one.seq).created_at == earlier
    assert audit_verify_chain().ok


@pytest.mark.django_db
def test_a_switched_off_station_takes_no_submission_from_this_process(liaison_station, village, lamp_category):
    assert refs.active_station(liaison_station.public_id) == liaison_station
    liaison_station.is_active = False
    liaison_station.save()
    response = api_submit("off-1", liaison_station, village, lamp_category)
    assert response.status_code == 404 and "联络站不存在或已停用" in response.json()["detail"]


@pytest.mark.django_db
def test_a_submit_event_appended_by_the_worker_is_tamper_evident(liaison_station, village, lamp_category):
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connection

    from renda.audit.tests.test_chain import disable_guard

    opinion, _ = intake.opinion_submit(data=data(village, lamp_category, liaison_station))
    intake.opinions_intake_process()
    [event] = submit_events(opinion)
    call_command("verify_audit")  # intact
    if connection.vendor == "postgresql":  # no pending deferred FK checks, or ALTER TABLE is refused
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    disable_guard()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET target_label = %s WHERE id = %s", ["改过", event.pk])
    with pytest.raises(CommandError, match="已损坏"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_a_calendar_edit_reaches_the_next_submission_in_this_process(liaison_station, village, lamp_category):
    import datetime as dt

    from django.utils import timezone

    from renda.core.models import CalendarDay
    from renda.core.workdays import calendar_changed, workday_status

    calendar_changed()
    first, _ = intake.opinion_submit(data=data(village, lamp_category, liaison_station))
    # The administrator declares the next working day a holiday (the deadline is kept 10 s per process).
    day = timezone.localdate() + dt.timedelta(days=1)
    while not workday_status(day)[0]:
        day += dt.timedelta(days=1)
    CalendarDay.objects.create(date=day, is_workday=False, name="临时放假")
    calendar_changed()
    second, _ = intake.opinion_submit(data=data(village, lamp_category, liaison_station))
    assert second.deadline > first.deadline
