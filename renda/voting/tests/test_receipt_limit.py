"""The public receipt check (page and API) counts one hourly limit per address: a code cannot be
guessed on one path after the other is used up."""

import pytest
from django.test import Client

from renda.voting.services import RECEIPT_CHECKS_PER_HOUR

pytestmark = pytest.mark.django_db


def test_page_and_api_share_one_limit(cache_cleared):
    client = Client()
    for _ in range(RECEIPT_CHECKS_PER_HOUR // 2):
        client.post("/voting/receipt/", {"code": "0000-0000-0000-0000"})
        client.post("/api/v1/public/vote-receipts", {"code": "0000-0000-0000-0000"}, content_type="application/json")
    page = client.post("/voting/receipt/", {"code": "0000-0000-0000-0000"})
    assert page.status_code == 429 and "查询过于频繁" in page.content.decode()
    api = client.post("/api/v1/public/vote-receipts", {"code": "0000-0000-0000-0000"}, content_type="application/json")
    assert api.status_code == 429
