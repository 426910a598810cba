from __future__ import annotations

import pytest

from renda.accounts.models import RoleAssignment
from renda.regions.models import Region


@pytest.fixture(autouse=True)
def _fresh_rate_limits(cache_cleared: None) -> None:
    pass


@pytest.fixture
def township(scope_of) -> Region:  # type: ignore[no-untyped-def]
    """白鹭镇, the demo township staff user's town."""
    return Region.objects.get(path=scope_of("township").roots[0])


@pytest.fixture
def other_township(township) -> Region:  # type: ignore[no-untyped-def]
    return (
        Region.objects.filter(level=township.level, path__startswith=township.path[:6], bodies__kind="congress")
        .exclude(pk=township.pk)
        .order_by("-path")
        .first()
    )


@pytest.fixture
def demo_deputy(user_named):  # type: ignore[no-untyped-def]
    return RoleAssignment.objects.get(user=user_named("deputy")).deputy
