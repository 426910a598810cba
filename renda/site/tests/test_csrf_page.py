"""A post refused by the CSRF check answers a Chinese page (issue #12), for a citizen's form too."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accounts/login/", "/track/"])
def test_a_post_without_its_token_gets_a_chinese_page(url):
    response = Client(enforce_csrf_checks=True).post(url, {"username": "township", "password": "x", "code": "X"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期" in page and "没有保存任何内容" in page
    assert "CSRF" not in page and "Forbidden" not in page
