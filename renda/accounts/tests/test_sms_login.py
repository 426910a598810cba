"""短信验证码登录 and 忘记密码 (issue #13): rate-limited, audited, never saying whether a phone
has an account, a code used once and tried five times at most."""

import re

import pytest
from django.test import Client

from renda.accounts.models import User
from renda.audit.models import AuditEvent
from renda.notify.models import Notification

pytestmark = pytest.mark.django_db
PHONE = "13900000004"  # the demo township login's


@pytest.fixture(autouse=True)
def _fast_passwords(settings, cache_cleared):
    """Fast hashes; and the per-phone limits start from zero (with Redis they outlive a test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _code(phone: str = PHONE) -> str:
    sms = Notification.objects.filter(channel="sms", body__contains="验证码").order_by("-id")
    body = next(n.body for n in sms if n.to_address == phone)
    return re.search(r"验证码 (\d{6})", body).group(1)


def test_a_deputy_or_clerk_signs_in_with_a_texted_code():
    User.objects.filter(username="township").update(phone=PHONE)
    browser = Client()
    sent = browser.post("/accounts/sms/", {"phone": PHONE, "step": "send"})
    assert sent.status_code == 200 and 'id="id_code"' in sent.content.decode()
    wrong = browser.post("/accounts/sms/", {"phone": PHONE, "step": "verify", "code": "000000"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    ok = browser.post("/accounts/sms/", {"phone": PHONE, "step": "verify", "code": _code(), "next": "/opinions/"})
    assert ok.status_code == 302 and ok["Location"] == "/opinions/"
    assert browser.get("/opinions/").status_code == 200
    assert AuditEvent.objects.filter(action="account.sms_login", target_label="township").exists()
    # The code is used up
    again = Client().post("/accounts/sms/", {"phone": PHONE, "step": "verify", "code": _code()})
    assert again.status_code == 400


def test_an_unknown_phone_gets_the_same_answer_and_no_sms():
    before = Notification.objects.count()
    known = Client().post("/accounts/sms/", {"phone": "13900000004", "step": "send"}).content.decode()
    unknown = Client().post("/accounts/sms/", {"phone": "13711112222", "step": "send"}).content.decode()
    assert "如果该手机号已登记" in unknown and "如果该手机号已登记" in known
    assert not Notification.objects.filter(pk__gt=before, body__contains="验证码").exclude(to_address=PHONE).exists()


def test_five_wrong_codes_end_the_code_and_sending_is_rate_limited():
    browser = Client()
    browser.post("/accounts/sms/", {"phone": PHONE, "step": "send"})
    code = _code()
    for _ in range(5):
        browser.post("/accounts/sms/", {"phone": PHONE, "step": "verify", "code": "111111"})
    late = browser.post("/accounts/sms/", {"phone": PHONE, "step": "verify", "code": code})
    assert late.status_code == 400  # even the right code, after five wrong ones
    statuses = [browser.post("/accounts/sms/", {"phone": PHONE, "step": "send"}).status_code for _ in range(6)]
    assert statuses[-1] == 429


@pytest.mark.parametrize("phone", ["", "123", "一三九", "1" * 30])
def test_bad_phones_are_refused_in_chinese(phone):
    response = Client().post("/accounts/sms/", {"phone": phone, "step": "send"})
    assert response.status_code == 400 and "手机号" in response.content.decode()


def test_a_forgotten_password_is_reset_with_a_code_and_the_old_one_stops_working():
    browser = Client()
    assert 'id="to-password-reset"' in browser.get("/accounts/login/").content.decode()
    browser.post("/accounts/password/reset/", {"phone": PHONE, "step": "send"})
    code = _code()
    mismatch = browser.post(
        "/accounts/password/reset/",
        {"phone": PHONE, "step": "reset", "code": code, "password1": "Xin@mima2026", "password2": "Xin@mima2027"},
    )
    assert mismatch.status_code == 400 and "不一致" in mismatch.content.decode()
    weak = browser.post(
        "/accounts/password/reset/",
        {"phone": PHONE, "step": "reset", "code": code, "password1": "123", "password2": "123"},
    )
    assert weak.status_code == 400
    done = browser.post(
        "/accounts/password/reset/",
        {"phone": PHONE, "step": "reset", "code": code, "password1": "Xin@mima2026", "password2": "Xin@mima2026"},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert User.objects.get(username="township").check_password("Xin@mima2026")
    assert AuditEvent.objects.filter(action="account.password_reset", target_label="township").exists()
    signed = Client().post("/accounts/login/", {"username": "township", "password": "Xin@mima2026"})
    assert signed.status_code == 302
