"""Citizens' phone numbers are stored encrypted (issue #12, "personal data"): whoever reads the
database (a copy, a backup, an administrator at the SQL prompt) finds no number anywhere, in any
table, while the product still finds a case by its number, refuses a second 附议 or booking from
the same phone and shows the number to whoever handles the case."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from renda.core.errors import Conflict
from renda.core.personal import PREFIX, UnreadableData, encrypted_columns, migrate_to_sealed, seal, unseal
from renda.core.scoping import system_scope
from renda.notify.models import Notification
from renda.opinions import appointments, intake, policy, services
from renda.opinions.models import Appointment, Follower, Opinion
from renda.org.models import Station
from renda.projects import proposals
from renda.projects.models import Proposal

pytestmark = pytest.mark.django_db

CITIZEN = "13988776655"
FOLLOWER = "13766554433"
VISITOR = "15899887766"
PROPOSER = "0575-86543210"
NUMBERS = (CITIZEN, FOLLOWER, VISITOR, PROPOSER)
TEXT = "白鹭社区东门口的路灯已经坏了两个星期，晚上很黑，老人出门不安全，希望尽快修好。"


def _every_stored_value() -> list[tuple[str, str, str]]:
    """(table, column, value) for every text-like value in every table of the database."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, (bytes, memoryview)):
                        value = bytes(value).decode("utf-8", "replace")
                    if isinstance(value, str):
                        found.append((table, column, value))
    return found


@pytest.fixture
def citizen_traffic(liaison_station, village, lamp_category, django_capture_on_commit_callbacks, cache_cleared):
    """A case with a phone, a 附议 from another phone, a booked reception and a project proposal:
    every way a citizen's number enters the system, through the pages and services citizens use."""
    with django_capture_on_commit_callbacks(execute=True):
        case, _ = intake.opinion_submit(
            data=intake.OpinionInput(
                text=TEXT, region=village, category=lamp_category, citizen_name="王秀英", citizen_phone=CITIZEN,
                consent=True, station=liaison_station,
            )
        )  # fmt: skip
        Client().post(f"/follow/{policy.follow_token(case)}/", {"phone": FOLLOWER, "name": "李建国"})
        start = timezone.now() + dt.timedelta(days=2)
        (slot,) = appointments.slot_create(
            scope=system_scope("test"), station=liaison_station, starts_at=start, ends_at=start + dt.timedelta(hours=2)
        )
        appointments.appointment_book(slot=slot, name="赵敏", phone=VISITOR, topic="想谈谈小区停车难的问题")
        proposals.proposal_submit(
            data=proposals.ProposalInput(
                title="修缮村口石桥", text="村口石桥栏杆松动多年，孩子上学每天经过，建议列入明年民生实事。",
                region=village, citizen_name="钱学文", citizen_phone=PROPOSER, consent=True,
            )
        )  # fmt: skip
    return case, slot


def test_no_citizen_number_is_stored_in_clear_anywhere(citizen_traffic):
    assert Notification.objects.filter(to_address=CITIZEN).exists(), "the receipt SMS went to the citizen"
    leaks = [
        (table, column)
        for table, column, value in _every_stored_value()
        for number in NUMBERS
        if number in value or number.replace("-", "") in value or number[-8:] in value
    ]
    assert leaks == []


def test_every_encrypted_column_holds_only_ciphertext_of_one_length(citizen_traffic):
    widths = set()
    with connection.cursor() as cursor:
        for model, field in encrypted_columns():
            table, column = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(field.column)
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
            values = [v for (v,) in cursor.fetchall()]
            assert all(v.startswith(PREFIX) for v in values), f"{model.__name__}.{field.name} holds clear text"
            if field.max_length == 20:
                widths |= {len(v) for v in values}
    assert len(widths) == 1, "a mobile number and a landline encrypt to the same length"


def test_the_product_still_finds_shows_and_limits_by_number(citizen_traffic, client_as):
    case, slot = citizen_traffic
    assert Opinion.objects.get(citizen_phone=CITIZEN) == case
    assert Follower.objects.get(opinion=case, phone=FOLLOWER).name == "李建国"
    assert Proposal.objects.get(citizen_phone=PROPOSER).citizen_phone == PROPOSER
    with pytest.raises(Conflict):  # the "once per slot per phone" rule still holds
        appointments.appointment_book(slot=slot, name="赵敏", phone=VISITOR, topic="再约一次")
    assert Appointment.objects.filter(slot=slot).count() == 1
    with pytest.raises(FieldError, match="加密存储"):  # a LIKE cannot match ciphertext: refused, not empty
        list(Opinion.objects.filter(citizen_phone__contains="8776"))
    page = client_as("township").get(f"/opinions/{case.pk}/").content.decode()
    assert CITIZEN in page  # the township handles the case: the number, decrypted


def test_a_follower_with_the_same_number_is_still_refused(citizen_traffic):
    case, _ = citizen_traffic
    before = Follower.objects.filter(opinion=case).count()
    with pytest.raises(Conflict):
        services.opinion_follow(opinion=case, phone=CITIZEN)
    assert Follower.objects.filter(opinion=case).count() == before


def test_a_database_without_its_key_gives_up_nothing():
    stored = seal(CITIZEN)
    with override_settings(PERSONAL_DATA_KEY="another-installation-key-0123456789abcdef"):
        assert seal(CITIZEN) != stored
        with pytest.raises(UnreadableData, match="PERSONAL_DATA_KEY"):
            unseal(stored)
    assert unseal(stored) == CITIZEN and unseal("") == "" and seal("") == ""


def test_the_migration_seals_numbers_written_in_clear_and_reverses(citizen_traffic):
    case, _ = citizen_traffic
    table = connection.ops.quote_name(Opinion._meta.db_table)
    with connection.cursor() as cursor:  # a row as the old code stored it
        cursor.execute(f"UPDATE {table} SET citizen_phone = %s WHERE id = %s", [CITIZEN, case.pk])  # noqa: S608
    forward, backward = migrate_to_sealed("opinions", {"Opinion": ["citizen_phone"]})

    class Editor:
        connection = connection

        @staticmethod
        def quote_name(name: str) -> str:
            return connection.ops.quote_name(name)

    from django.apps import apps

    forward(apps, Editor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT citizen_phone FROM {table} WHERE id = %s", [case.pk])  # noqa: S608
        assert cursor.fetchone()[0] == seal(CITIZEN)
    forward(apps, Editor)  # run twice: unchanged
    assert Opinion.objects.get(pk=case.pk).citizen_phone == CITIZEN
    backward(apps, Editor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT citizen_phone FROM {table} WHERE id = %s", [case.pk])  # noqa: S608
        assert cursor.fetchone()[0] == CITIZEN


def test_check_deploy_refuses_a_weak_or_shared_key(settings):
    from renda.core.checks import personal_data_key

    settings.PERSONAL_DATA_KEY = "short"
    assert [e.id for e in personal_data_key()] == ["renda.E004"]
    settings.PERSONAL_DATA_KEY = settings.SECRET_KEY
    assert [e.id for e in personal_data_key()] == ["renda.E004"]
    settings.PERSONAL_DATA_KEY = "k" * 20 + "a-long-random-operator-key"
    assert personal_data_key() == []
    call_command("check")  # the installation's own key passes the ordinary checks


def test_stations_and_deputies_phones_stay_readable_contacts():
    """Deputies' and stations' phones are published contacts, not citizens' data: not encrypted."""
    assert not any(model is Station for model, _ in encrypted_columns())


def test_the_key_can_be_changed_and_a_wrong_old_key_changes_nothing(citizen_traffic, settings, monkeypatch):
    from django.core.management.base import CommandError

    case, _ = citizen_traffic
    old_key = settings.PERSONAL_DATA_KEY
    settings.PERSONAL_DATA_KEY = "the-new-operator-key-after-a-staff-change-2026"
    monkeypatch.setenv("PERSONAL_DATA_OLD_KEY", "not-the-key-it-was-written-with-000000")
    with pytest.raises(CommandError, match="旧密钥不对"):
        call_command("rekey_personal_data")
    settings.PERSONAL_DATA_KEY = old_key
    assert Opinion.objects.get(pk=case.pk).citizen_phone == CITIZEN, "nothing half-rewritten"

    settings.PERSONAL_DATA_KEY = "the-new-operator-key-after-a-staff-change-2026"
    monkeypatch.setenv("PERSONAL_DATA_OLD_KEY", old_key)
    call_command("rekey_personal_data")
    assert Opinion.objects.get(pk=case.pk).citizen_phone == CITIZEN
    assert Opinion.objects.get(citizen_phone=CITIZEN) == case  # lookups use the new key
    settings.PERSONAL_DATA_KEY = old_key
    with pytest.raises(UnreadableData):
        Opinion.objects.get(pk=case.pk)
