"""Every demo login printed by `make run` must work: the deputies' ``depNN`` logins were hashed
with MD5, which the installation's hashers do not verify, so none of them could sign in."""

from __future__ import annotations

import pytest
from django.conf import global_settings
from django.test import Client, override_settings

from renda.accounts.models import User
from renda.demo.county import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS)  # the installation's, not the tests' fast one
def test_the_deputies_demo_logins_sign_in(system):
    from renda.demo.meetings import _deputy_accounts
    from renda.meetings.tests.helpers import congress_of, demo_town

    _deputy_accounts(system, congress_of(demo_town()))  # as seed_demo makes them
    logins = list(User.objects.filter(username__regex=r"^dep[0-9]{2}$").order_by("username"))
    assert len(logins) >= 5
    for user in (logins[0], logins[-1]):
        assert user.check_password(DEMO_PASSWORD), user.username
    client = Client()
    response = client.post("/accounts/login/", {"username": logins[0].username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:300]


@pytest.mark.django_db
def test_community_deputies_are_residents_not_villagers():
    """Issue #13: a 社区's deputies were 村民 in the demo."""
    from renda.org.models import Deputy
    from renda.regions.models import RegionKind

    in_communities = Deputy.objects.filter(region__kind=RegionKind.COMMUNITY)
    assert in_communities.exists()
    assert not in_communities.filter(occupation__contains="村民").exists()
    assert not in_communities.filter(occupation__contains="村委会").exists()
