import pytest
from django.test import Client

from renda.accounts.models import Role, User
from renda.accounts.services import api_token_create, role_grant, user_create
from renda.core.errors import PermissionDenied, ValidationFailed
from renda.demo.county import DEMO_PASSWORD
from renda.regions.models import Region


@pytest.mark.django_db
def test_login_lands_on_the_home_page_in_chinese():
    client = Client()
    response = client.post("/accounts/login/", {"username": "county", "password": DEMO_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "工作台" in response.content.decode()
    assert response.headers["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_a_wrong_password_says_so_in_chinese():
    response = Client().post("/accounts/login/", {"username": "county", "password": "wrong"})
    assert "用户名或密码不正确" in response.content.decode()


@pytest.mark.django_db
def test_five_failures_lock_the_account_even_with_the_right_password():
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "township", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "township", "password": DEMO_PASSWORD})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()


@pytest.mark.django_db
def test_pages_need_login_and_send_security_headers():
    response = Client().get("/org/deputies/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    page = Client().get("/accounts/login/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_django_admin_is_for_administrators_only(client_as):
    assert client_as("admin").get("/admin/").status_code == 200
    response = client_as("county").get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_weak_passwords_are_refused(system):
    with pytest.raises(ValidationFailed, match="密码"):
        user_create(scope=system, username="newstaff", password="12345678", display_name="新同事")
    assert not User.objects.filter(username="newstaff").exists()
    user = user_create(scope=system, username="newstaff", password="Qingxi#2026-long", display_name="新同事")
    assert user.check_password("Qingxi#2026-long")


@pytest.mark.django_db
def test_only_administrators_grant_roles(scope_of, user_named):
    county = Region.objects.get(path=scope_of("county").roots[0])
    with pytest.raises(PermissionDenied):
        role_grant(scope=scope_of("county"), user=user_named("township"), role=Role.COUNTY_STAFF, region=county)
    with pytest.raises(ValidationFailed, match="必须指定管辖区划"):
        role_grant(scope=scope_of("admin"), user=user_named("township"), role=Role.COUNTY_STAFF)


@pytest.mark.django_db
def test_api_tokens_are_stored_hashed(scope_of, user_named):
    token, raw = api_token_create(scope=scope_of("county"), user=user_named("county"), name="对接")
    assert raw.startswith("rd_") and raw not in token.token_hash and token.prefix == raw[:8]
    with pytest.raises(PermissionDenied):
        api_token_create(scope=scope_of("township"), user=user_named("county"), name="越权")


@pytest.mark.django_db
def test_healthz_reports_database_and_queue():
    data = Client().get("/healthz").json()
    assert data["status"] == "ok"
    assert data["database"]["ok"] is True
    assert data["queue"]["mode"] in {"in-process", "celery+redis"}


def test_behind_the_proxy_the_real_client_address_counts(rf, settings):
    from renda.accounts.client_ip import client_ip

    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    settings.SECURE_PROXY_SSL_HEADER = None
    assert client_ip(request) == "127.0.0.1"  # no proxy: a client-sent header is not trusted
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client_ip(request) == "203.0.113.7"


@pytest.mark.django_db
def test_in_process_sweeps_find_their_task():
    from renda.celery import app
    from renda.site.schedule import run_task

    run_task(app, "opinions.sweep")  # raises if the task were not registered
