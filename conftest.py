"""Test set-up shared by every app.

The demo county (scale 1) is built once per test database through the same services the
product uses; each test then runs in a transaction that is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from renda.accounts.models import User
from renda.core.scoping import Scope, scope_for_user, system_scope
from renda.demo.county import build_demo


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        build_demo(scope=system_scope("测试数据"), scale=1)


@pytest.fixture(autouse=True)
def _notifications_to_outbox(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Nothing leaves the machine in tests: messages land in renda.notify.backends.outbox, and
    tasks run in-process even when REDIS_URL is set (the CI PostgreSQL pass sets it)."""
    from renda.celery import app
    from renda.notify import backends

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.NOTIFY_BACKEND = "renda.notify.backends.LocmemBackend"
    # The audit anchors of this test's database, not of the installation's (renda/audit/anchors.py).
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "audit_anchors.log")
    backends.outbox.clear()
    yield backends.outbox
    _forget_rules_and_calendar()


def _forget_rules_and_calendar() -> None:
    """A rule override or calendar entry made in a test is rolled back with the test; so must be
    its cached value (the per-process rule cache and the shared cache outlive the transaction)."""
    from django.core.cache import cache

    from renda.core import rules, workdays

    rules._local.clear()
    cache.delete_many([rules.CACHE_PREFIX + key for key in rules.DEFAULTS])
    for key in rules.DEFAULTS:  # regional overrides (rule_in) are shared under a version
        rules.rule_changed(key)
    workdays.calendar_changed()
    from renda.voting import selectors

    selectors.forget_cast_votes()  # a rolled-back test's vote ids are used again by the next test


def _clear_cache() -> None:
    """Empty this test process's keys of the cache (rate-limit counters, idempotency claims).
    With Redis, ``cache.clear()`` is FLUSHDB: it would also wipe the keys of the other xdist
    workers, which share the database under their own KEY_PREFIX, in the middle of their tests."""
    from django.core.cache import cache

    from renda.core.ratelimit import redis_client

    client = redis_client()
    if client is None:
        cache.clear()  # local memory: this process's own
        return
    keys = list(client.scan_iter(match=cache.make_key("*"), count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def cache_cleared() -> Iterator[None]:
    """A cache without this process's keys, before the test and after it: a test that uses up a
    rate limit (all test clients are 127.0.0.1) leaves none used up for the tests after it."""
    _clear_cache()
    yield
    _clear_cache()


@pytest.fixture
def outbox(_notifications_to_outbox):  # type: ignore[no-untyped-def]
    return _notifications_to_outbox


@pytest.fixture
def system() -> Scope:
    return system_scope("测试")


@pytest.fixture
def user_named(db: None) -> Callable[[str], User]:
    def get(username: str) -> User:
        return User.objects.get(username=username)

    return get


@pytest.fixture
def scope_of(user_named: Callable[[str], User]) -> Callable[[str], Scope]:
    def get(username: str) -> Scope:
        return scope_for_user(user_named(username))

    return get


@pytest.fixture
def client_as(user_named: Callable[[str], User]) -> Callable[[str], Client]:
    """A test client logged in as one of the demo users: admin, city, county, township,
    street, liaison, deputy, clerk."""

    def make(username: str) -> Client:
        client = Client()
        client.force_login(user_named(username))
        return client

    return make


@pytest.fixture
def demo_county() -> None:
    """A transactional test ends with a flush of every table (see tests/browser/conftest.py), so
    the demo county may be gone when this runs after another such test: build it again if so."""
    from renda.accounts.models import User

    if not User.objects.filter(username="township").exists():
        build_demo(scope=system_scope("测试数据"), scale=1)
