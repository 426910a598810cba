"""基层治理四平台: its signed status updates coming in, and our signed deliveries going out.

Nothing leaves the machine: the outbound side is tested against a fake platform served by
http.server on 127.0.0.1 in a thread of the test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client, override_settings

from renda.api.tests.conftest import API, ApiClient
from renda.audit.models import AuditEvent
from renda.core.scoping import Scope
from renda.opinions import intake, services
from renda.opinions.models import Answer, InboundEvent, Opinion, State, WebhookDelivery
from renda.opinions.policy import track_pin
from renda.org.models import Category, HandlingUnit, Station
from renda.regions.models import Region

pytestmark = pytest.mark.django_db

SECRET = "platform-to-renda-secret"  # inbound: the platform signs its updates with it
OUTBOUND = "renda-to-platform-secret"  # outbound: we sign our deliveries with this other one
URL = f"{API}/integrations/governance/events"


@pytest.fixture(autouse=True)
def _platform_configured(settings: Any, cache_cleared: None) -> None:
    settings.GOVERNANCE_INBOUND_SECRET = SECRET
    settings.GOVERNANCE_OUTBOUND_SECRET = OUTBOUND
    settings.GOVERNANCE_WEBHOOK_URL = ""


@pytest.fixture
def routed(
    scope_of: Callable[[str], Scope],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
) -> Opinion:
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="村口路灯坏了半个月，希望尽快修好。",
            region=village,
            category=lamp_category,
            station=liaison_station,
            citizen_phone="13912345678",
            consent=True,
        )
    )
    # Routed while the platform is configured, so the case was sent to it (the delivery itself
    # would run on commit, which never comes inside a test transaction).
    with override_settings(GOVERNANCE_WEBHOOK_URL="http://127.0.0.1:9/never-called"):
        return services.opinion_route(scope=scope_of("township"), opinion=opinion, unit=clerk_unit)


def test_an_event_for_a_case_never_sent_to_the_platform_is_refused(
    scope_of: Callable[[str], Scope],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
) -> None:
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="村口路灯坏了，希望修好。",
            region=village,
            category=lamp_category,
            station=liaison_station,
            anonymous=True,
        )
    )
    services.opinion_route(scope=scope_of("township"), opinion=opinion, unit=clerk_unit)  # platform not configured
    response = send(event(opinion, "accepted"))
    assert response.status_code == 404 and "未推送" in response.json()["detail"]
    opinion.refresh_from_db()
    assert opinion.state == "routed"


def now() -> str:
    return str(int(time.time()))


def signed(body: bytes, secret: str = SECRET, *, timestamp: str | None = None) -> str:
    return hmac.new(secret.encode(), (timestamp or now()).encode() + b"." + body, hashlib.sha256).hexdigest()


def send(
    event: dict[str, Any], *, signature: str | None = None, raw: bytes | None = None, timestamp: str | None = None
) -> Any:
    body = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode()
    stamp = timestamp or now()
    headers = {} if signature == "" else {"X-Renda-Signature": signature or signed(body, timestamp=stamp)}
    headers["X-Renda-Timestamp"] = stamp
    return Client().post(URL, body, content_type="application/json", headers=headers)


def event(opinion: Opinion, kind: str, text: str = "", event_id: str | None = None) -> dict[str, Any]:
    return {"event_id": event_id or uuid.uuid4().hex, "receipt_code": opinion.receipt_code, "type": kind, "text": text}


def state_of(opinion: Opinion) -> tuple[str, int, int, int]:
    fresh = Opinion.objects.get(pk=opinion.pk)
    return (
        fresh.state,
        InboundEvent.objects.count(),
        Answer.objects.filter(opinion=opinion).count(),
        AuditEvent.objects.filter(target_id=str(opinion.pk), target_type="opinions.opinion").count(),
    )


# ---------------------------------------------------------------- inbound


def test_the_platform_accepts_reports_progress_and_answers(
    routed: Opinion, outbox: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    accepted = send(event(routed, "accepted"))
    progress = send(event(routed, "progress", "已派网格员现场查看"))
    with django_capture_on_commit_callbacks(execute=True):
        answered = send(event(routed, "answered", "路灯已由平台派单维修完毕。"))

    assert accepted.status_code == 200, accepted.content.decode()
    assert accepted.json() == {
        "replayed": False,
        "receipt_code": routed.receipt_code,
        "state": "in_progress",
        "state_label": "办理中",
    }
    assert progress.json()["state"] == "in_progress"
    assert answered.json()["state"] == "answered"
    answer = Answer.objects.get(opinion=routed)
    assert (answer.kind, answer.text, answer.answered_by_label) == (
        "platform",
        "路灯已由平台派单维修完毕。",
        "基层治理四平台",
    )
    assert any(m["to"] == "13912345678" and "已答复" in m["body"] for m in outbox)
    actors = AuditEvent.objects.filter(target_id=str(routed.pk), action__in=["opinion.accept", "opinion.progress"])
    assert set(actors.values_list("actor_label", flat=True)) == {"基层治理四平台"}


def test_a_replayed_event_changes_nothing(routed: Opinion) -> None:
    first = event(routed, "accepted")
    send(first)
    before = state_of(routed)

    again = send(first)

    assert again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["state"] == "in_progress"
    assert state_of(routed) == before


@pytest.mark.parametrize(
    "signature",
    [
        "",  # no header at all
        "0" * 64,
        "not-hex",
        "forged",  # signed with another key: filled in below
    ],
)
def test_a_forged_or_missing_signature_is_401_and_changes_nothing(routed: Opinion, signature: str) -> None:
    body = json.dumps(event(routed, "accepted")).encode()
    if signature == "forged":
        signature = signed(body, secret="guessed-secret")
    before = state_of(routed)

    response = send({}, raw=body, signature=signature)

    assert response.status_code == 401
    assert response.json()["detail"].startswith("签名校验失败")
    assert state_of(routed) == before


def test_a_signature_of_another_body_is_401(routed: Opinion) -> None:
    genuine = json.dumps(event(routed, "progress", "已派网格员")).encode()
    tampered = json.dumps(event(routed, "answered", "已办结，不用管了")).encode()
    before = state_of(routed)

    response = send({}, raw=tampered, signature=signed(genuine))

    assert response.status_code == 401
    assert state_of(routed) == before


def test_without_a_configured_secret_nothing_is_accepted(settings: Any, routed: Opinion) -> None:
    settings.GOVERNANCE_INBOUND_SECRET = ""
    body = json.dumps(event(routed, "accepted")).encode()
    before = state_of(routed)

    response = send({}, raw=body, signature=signed(body, secret=""))

    assert response.status_code == 503
    assert "未配置" in response.json()["detail"]
    assert state_of(routed) == before


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (b"{not json", 400, "不是有效的 JSON"),
        (
            json.dumps({"event_id": "e1", "receipt_code": "X", "type": "closed"}).encode(),
            422,
            "事件类型（type）应为以下之一",
        ),
        (json.dumps({"receipt_code": "X", "type": "accepted"}).encode(), 422, "事件编号（event_id）为必填项"),
        (json.dumps({"event_id": "e1", "receipt_code": "NOSUCH99", "type": "accepted"}).encode(), 404, "回执码不存在"),
    ],
)
def test_signed_but_wrong_events_get_a_chinese_error(routed: Opinion, raw: bytes, status: int, words: str) -> None:
    before = state_of(routed)

    response = send({}, raw=raw)

    assert response.status_code == status, response.content.decode()
    assert words in response.json()["detail"]
    assert state_of(routed) == before


def test_an_event_in_the_wrong_state_is_409_and_can_be_sent_again_later(routed: Opinion) -> None:
    progress = event(routed, "progress", "已派网格员现场查看")
    before = state_of(routed)

    early = send(progress)  # not accepted yet
    assert early.status_code == 409
    assert state_of(routed) == before

    send(event(routed, "accepted"))
    later = send(progress)  # the refused event was not recorded, so its id is still free
    assert later.status_code == 200 and later.json()["replayed"] is False


def test_the_callback_needs_no_session_or_csrf(routed: Opinion, client_as: Callable[[str], Client]) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client_as("township").cookies
    body = json.dumps(event(routed, "accepted")).encode()

    stamp = now()
    headers = {"X-Renda-Signature": signed(body, timestamp=stamp), "X-Renda-Timestamp": stamp}
    response = strict.post(URL, body, content_type="application/json", headers=headers)

    assert response.status_code == 200, response.content.decode()


# ---------------------------------------------------------------- outbound (deliver_webhook)


@dataclass
class FakePlatform:
    """The county platform's webhook receiver, on 127.0.0.1 and a free port."""

    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    on_request: Callable[[], None] | None = None  # runs while renda waits for the answer


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePlatform]:
    fake = FakePlatform()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fake.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if fake.on_request is not None:
                fake.on_request()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": true}' if fake.status < 300 else b'{"error": "boom"}')

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
            pass

    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # the loopback server must be reached directly
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/renda/events"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _file_and_route(
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    category: Category,
    unit: HandlingUnit,
) -> Opinion:
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="排水沟堵塞，下雨就积水。", region=village, category=category, station=liaison_station, anonymous=True
        )
    )
    response = api_as("township").post(f"/opinions/{opinion.pk}/route", {"unit": unit.pk, "workdays": 5})
    assert response.status_code == 200, response.content.decode()
    return opinion


def test_routing_delivers_a_signed_idempotent_webhook(
    settings: Any,
    platform: FakePlatform,
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.GOVERNANCE_WEBHOOK_URL = platform.url

    with django_capture_on_commit_callbacks(execute=True):
        opinion = _file_and_route(api_as, liaison_station, village, lamp_category, clerk_unit)

    (delivery,) = WebhookDelivery.objects.filter(opinion=opinion)
    (request,) = platform.received
    payload = json.loads(request["body"])
    assert request["path"] == "/renda/events"
    assert payload["event"] == "routed" and payload["receipt_code"] == opinion.receipt_code
    assert payload["unit"] == clerk_unit.name and payload["text"] == "排水沟堵塞，下雨就积水。"
    assert payload == delivery.payload
    stamp = request["headers"]["X-Renda-Timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    assert hmac.compare_digest(
        request["headers"]["X-Renda-Signature"], signed(request["body"], OUTBOUND, timestamp=stamp)
    )  # with the outbound secret: the inbound one would not verify it
    assert request["headers"]["X-Renda-Signature"] != signed(request["body"], SECRET, timestamp=stamp)
    assert request["headers"]["Idempotency-Key"] == f"renda-{delivery.pk}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert (delivery.delivered_at is not None, delivery.attempts, delivery.last_error) == (True, 1, "")


def test_a_failing_platform_leaves_the_delivery_pending_with_the_error(
    settings: Any,
    platform: FakePlatform,
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.GOVERNANCE_WEBHOOK_URL = platform.url
    platform.status = 500

    with django_capture_on_commit_callbacks(execute=True):
        opinion = _file_and_route(api_as, liaison_station, village, lamp_category, clerk_unit)

    delivery = WebhookDelivery.objects.get(opinion=opinion)
    assert len(platform.received) == 1
    assert delivery.delivered_at is None
    assert delivery.attempts == 1 and "500" in delivery.last_error
    assert Opinion.objects.get(pk=opinion.pk).state == State.ROUTED  # the case itself is routed all the same


def test_the_platform_answer_comes_back_in_the_loop(
    settings: Any,
    platform: FakePlatform,
    api_as: Callable[[str], ApiClient],
    liaison_station: Station,
    village: Region,
    lamp_category: Category,
    clerk_unit: HandlingUnit,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Out: we push the routed case. In: the platform accepts and answers. Then the citizen rates."""
    settings.GOVERNANCE_WEBHOOK_URL = platform.url
    with django_capture_on_commit_callbacks(execute=True):
        opinion = _file_and_route(api_as, liaison_station, village, lamp_category, clerk_unit)
    pushed = json.loads(platform.received[0]["body"])

    send({"event_id": "p-1", "receipt_code": pushed["receipt_code"], "type": "accepted"})
    with django_capture_on_commit_callbacks(execute=True):
        send({"event_id": "p-2", "receipt_code": pushed["receipt_code"], "type": "answered", "text": "已疏通排水沟。"})
    rated = Client().post(
        f"{API}/public/opinions/{opinion.receipt_code}/rate",
        {"value": "satisfied", "digits": track_pin(opinion)},  # an anonymous case: its 查询密码
        content_type="application/json",
    )

    assert rated.status_code == 200 and rated.json()["state"] == "closed"
    assert rated.json()["answers"][0]["kind_label"] == "基层治理平台答复"
    assert pushed["event"] == "routed"


def test_an_event_id_reused_with_other_content_is_409_and_changes_nothing(routed: Opinion) -> None:
    first = event(routed, "accepted")
    assert send(first).status_code == 200
    before = state_of(routed)

    reused = send({**first, "type": "answered", "text": "已办结，不用管了"})

    assert reused.status_code == 409 and "event_id" in reused.json()["detail"]
    assert state_of(routed) == before
    assert send(first).json()["replayed"] is True  # the same event again is still a replay


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_no_database_lock_is_held_while_the_platform_answers(
    settings: Any, platform: FakePlatform, demo_county: None, scope_of: Callable[[str], Scope]
) -> None:
    """The delivery row (and so the case's outbox) stays free while the platform takes its time."""
    settings.GOVERNANCE_WEBHOOK_URL = platform.url
    locked: list[bool] = []

    def try_the_row() -> None:  # in the fake platform's thread: a connection of its own
        try:
            with transaction.atomic():
                list(WebhookDelivery.objects.select_for_update(nowait=True).all())
            locked.append(False)
        except DatabaseError:
            locked.append(True)
        finally:
            connections.close_all()

    platform.on_request = try_the_row
    station = Station.objects.get(pk=next(iter(scope_of("liaison").station_ids)))
    opinion, _ = intake.opinion_submit(
        data=intake.OpinionInput(
            text="排水沟堵塞，下雨就积水。",
            region=station.served_regions.order_by("path").first(),
            category=Category.objects.get(name="路灯"),
            station=station,
            anonymous=True,
        )
    )
    unit = HandlingUnit.objects.filter(roleassignment__user__username="clerk").first()
    assert unit is not None
    services.opinion_route(scope=scope_of("township"), opinion=opinion, unit=unit)  # commits, then delivers

    assert len(platform.received) == 1 and locked == [False]
    assert WebhookDelivery.objects.get(opinion=opinion).delivered_at is not None


# ---------------------------------------------------------------- signatures: time window, a secret per direction (issue #12)


def test_a_captured_request_cannot_be_replayed_once_its_timestamp_is_old(routed: Opinion) -> None:
    body = json.dumps(event(routed, "accepted")).encode()
    old = str(int(time.time()) - 600)  # captured ten minutes ago, signed correctly then
    before = state_of(routed)
    response = send({}, raw=body, timestamp=old, signature=signed(body, timestamp=old))
    assert response.status_code == 401 and "5 分钟" in response.json()["detail"]
    future = str(int(time.time()) + 600)
    assert send({}, raw=body, timestamp=future, signature=signed(body, timestamp=future)).status_code == 401
    assert state_of(routed) == before


def test_a_signature_without_its_timestamp_or_re_dated_is_refused(routed: Opinion) -> None:
    body = json.dumps(event(routed, "accepted")).encode()
    stamp = now()
    untimed = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()  # the old scheme: body only
    assert send({}, raw=body, timestamp=stamp, signature=untimed).status_code == 401
    redated = str(int(stamp) + 1)
    assert send({}, raw=body, timestamp=redated, signature=signed(body, timestamp=stamp)).status_code == 401
    assert state_of(routed)[0] == "routed"


def test_our_outbound_secret_cannot_sign_an_inbound_update(routed: Opinion) -> None:
    """Whoever learns the secret we sign deliveries with (it sits on the platform's side) still
    cannot forge a status update to us."""
    body = json.dumps(event(routed, "answered", text="已修好")).encode()
    stamp = now()
    response = send({}, raw=body, timestamp=stamp, signature=signed(body, OUTBOUND, timestamp=stamp))
    assert response.status_code == 401
    assert state_of(routed)[0] == "routed"
