"""Password spraying (issue #12): failed sign-ins from one address are limited across usernames;
another address is not affected, and a refused address cannot even try the right password."""

import pytest
from django.test import Client, override_settings

from renda.accounts.views import SPRAYED
from renda.demo.county import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@override_settings(LOGIN_FAILURES_PER_IP_HOUR=6)
def test_one_address_spraying_usernames_is_stopped(cache_cleared):
    sprayer = Client(REMOTE_ADDR="203.0.113.7")
    for i in range(6):  # a different username each time: django-axes alone locks none of them
        response = sprayer.post("/accounts/login/", {"username": f"user{i}", "password": "123456"})
        assert response.status_code == 200
    refused = sprayer.post("/accounts/login/", {"username": "user9", "password": "123456"})
    assert refused.status_code == 429 and SPRAYED in refused.content.decode()
    right = sprayer.post("/accounts/login/", {"username": "township", "password": DEMO_PASSWORD})
    assert right.status_code == 429  # the right password is not even tried from there
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert other.post("/accounts/login/", {"username": "township", "password": DEMO_PASSWORD}).status_code == 302
