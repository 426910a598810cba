"""Two staff members accept two suggestions of the same congress at the same moment: the counter
row locked with select_for_update() makes one wait, so the numbers differ (PostgreSQL only:
SQLite serialises every write, and its in-memory test database is not shared between threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from renda.accounts.models import RoleAssignment
from renda.core.scoping import ROLE_PERMS, STAFF_PERMS, Scope
from renda.notify.models import Notification
from renda.org.models import Body, BodyKind, Category
from renda.suggestions import figures, services
from renda.suggestions.models import NumberCounter, Suggestion, SuggestionFigures


def _in_thread(fn):  # type: ignore[no-untyped-def]
    """Run ``fn`` on its own connection, committed, outside the test's transaction."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            out["error"] = exc
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=60)
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return out.get("value")


@pytest.mark.django_db
def test_two_concurrent_acceptances_never_take_the_same_number():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (SQLite serialises writes; its in-memory test database is per connection)")
    deputy = RoleAssignment.objects.get(user__username="deputy").deputy
    body = Body.objects.select_related("region").get(region__path=deputy.region.path[:9], kind=BodyKind.CONGRESS)
    as_deputy = Scope(user_id=None, system_label="并发测试", roots=[body.region.path],
                      perms=set(ROLE_PERMS["deputy"]), deputy_ids={deputy.pk})  # fmt: skip
    staff = Scope(user_id=None, system_label="并发测试", roots=[body.region.path], perms=set(STAFF_PERMS))
    category = Category.objects.get(name="路灯")

    def make() -> list[int]:
        made = []
        for i in range(2):
            s = services.suggestion_draft(
                scope=as_deputy,
                data=services.DraftInput(
                    body=body,
                    title=f"并发立案测试建议{i}",
                    content="并发立案测试：两件建议同时立案。",
                    category=category,
                ),
            )
            made.append(s.pk)
            services.suggestion_submit(scope=as_deputy, suggestion=s)
        NumberCounter.objects.filter(body=body).delete()  # both race to create the counter too
        return made

    made: list[int] = _in_thread(make)
    try:
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def accept(pk: int) -> None:
            try:
                barrier.wait(timeout=10)
                services.suggestion_accept(scope=staff, suggestion=Suggestion.objects.get(pk=pk))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=accept, args=(pk,)) for pk in made]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        seqs = sorted(Suggestion.objects.filter(pk__in=made).values_list("seq", flat=True))
        assert seqs == [1, 2]
        assert NumberCounter.objects.get(body=body).last == 2
        # Both racing to create the group's statistics row: each counted once
        assert SuggestionFigures.objects.filter(body=body).aggregate(n=Sum("count"))["n"] == 2
    finally:

        def clean() -> None:
            Notification.objects.filter(
                target_type="suggestions.suggestion", target_id__in=[str(p) for p in made]
            ).delete()
            Suggestion._base_manager.filter(pk__in=made).delete()
            NumberCounter.objects.filter(body=body).delete()
            figures.rebuild()  # the committed rows are gone: so are their figures

        _in_thread(clean)
