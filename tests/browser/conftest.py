"""Browser tests: Debian's chromium driven by Playwright against a live Django server.

Use the ``page`` fixture (a fresh zh-CN browser context per test, ``base_url`` set to the live
server, so ``page.goto("/accounts/login/")`` works) and ``login_as(page, "county")``.

Why not pytest-django's ``live_server``: it forces ``transactional_db``, and a transactional test
ends with a flush of every table, which deletes the demo county that the root conftest builds once
per test database (``serialized_rollback`` would not bring it back either: Django serialises the
database right after migrations, before the demo county exists). Instead ``live_site`` serves the
app from a thread that shares the test's own database connection, the way Django's
LiveServerTestCase does for in-memory SQLite, on SQLite and PostgreSQL alike. So a browser test is
an ordinary ``db`` test: it sees the demo county and whatever it set up through the services, and
everything the browser changed (sessions, lockouts, audit events) is rolled back afterwards.
Requests are served one at a time because the connection is shared; ``transaction.on_commit``
callbacks do not run (use ``django_capture_on_commit_callbacks`` if a test needs them).

Playwright's sync API leaves an asyncio loop running in the test thread from the first browser
test to the end of the process. Django then keeps its connections per context rather than per
thread, so from that point on tests use a second connection (to the same test database); the
``browser`` fixture closes it at the end, before the test database is dropped.

Every page a test opens is checked with axe-core when the test ends (``tests/browser/axe.py``): a
serious or critical violation fails the test, naming the page, the rule, the elements and axe's
help. ``assert_accessible(page)`` checks a page in a state a test brought it to.

Without /usr/bin/chromium every test here is skipped with a loud reason (``make test`` also prints
a banner); browsers are never downloaded.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections
from django.test.testcases import QuietWSGIRequestHandler
from django.test.utils import override_settings

from tests.browser import axe

# Playwright's sync API keeps an event loop in the test thread; the ORM calls a test makes while
# it drives the page are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
NO_CHROMIUM = f"!!!! BROWSER TEST SKIPPED: {CHROMIUM} not found — apt-get install chromium fonts-noto-cjk !!!!"
HERE = Path(__file__).resolve().parent
_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


def artifact_path(name: str) -> Path:
    """A file under test-artifacts/ (created on demand), e.g. for ``page.screenshot(path=...)``."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: the marker must be on the items before `-m browser` / `-m "not browser"` selects.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report: pytest.TestReport = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


class _SharedConnectionServer(ThreadedWSGIServer):
    """Serves each request in its own thread (so an idle keep-alive or preconnect socket never
    blocks the next request) on the test's connection, one request at a time."""

    def _close_connections(self) -> None:
        # The connection belongs to the test; closing it would end the test's transaction.
        pass


class _OneAtATime:
    """WSGI wrapper: runs the app and reads its whole body under a lock, because the database
    connection is shared and a connection's transaction state is not thread-safe. Hands each
    answer to the axe recorder, which keeps the browser's page navigations."""

    def __init__(self, app: Callable[..., Any], recorder: axe.Recorder) -> None:
        self.app = app
        self.recorder = recorder
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        answered: list[Any] = []

        def remember(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            answered[:] = [status, headers]
            return start_response(status, headers, *args)

        with self.lock:
            body = self.app(environ, remember)
            try:
                chunks = list(body)
            finally:
                if hasattr(body, "close"):
                    body.close()
        if answered:
            self.recorder.offer(environ, answered[0], answered[1], b"".join(chunks))
        return chunks


@dataclass
class LiveSite:
    url: str
    recorder: axe.Recorder


def _test_failed(request: pytest.FixtureRequest) -> bool:
    return any(report.failed for report in request.node.stash.get(_reports, {}).values())


@pytest.fixture
def live_site(db: None, browser: Any, request: pytest.FixtureRequest) -> Iterator[LiveSite]:
    """The app served on http://127.0.0.1:<free port>, sharing this test's database connection.
    When the test has passed, every page the browser was served is checked with axe-core."""
    shared = {alias: connections[alias] for alias in connections}
    for conn in shared.values():
        conn.ensure_connection()
        conn.inc_thread_sharing()
    # Django closes "old" connections around every request; for the shared connection that would
    # end the test's transaction (the test client switches this off the same way).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    server = _SharedConnectionServer(
        ("127.0.0.1", 0), QuietWSGIRequestHandler, allow_reuse_address=False, connections_override=shared
    )
    recorder = axe.Recorder()
    server.set_app(_OneAtATime(StaticFilesHandler(WSGIHandler()), recorder))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    recorder.base_url = f"http://{host}:{port}"
    report = ""
    try:
        with override_settings(ALLOWED_HOSTS=["127.0.0.1", "localhost"]):
            yield LiveSite(url=recorder.base_url, recorder=recorder)
            if not _test_failed(request):
                report = axe.check_documents(browser, recorder)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        for conn in shared.values():
            conn.dec_thread_sharing()
    if report:
        pytest.fail("axe-core found serious or critical violations:\n" + report, pytrace=False)


@pytest.fixture(scope="session")
def browser(django_db_setup: None) -> Iterator[Any]:
    """One chromium per test process. Depends on django_db_setup so that it is torn down before
    the test database is dropped."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # While Playwright runs, the test thread has a running asyncio loop, so Django keeps
            # its connections in a context-local slot instead of the thread-local one that the
            # test database teardown closes. Close them here, or PostgreSQL refuses to drop the
            # test database ("being accessed by other users").
            connections.close_all()


@pytest.fixture
def page(browser: Any, live_site: LiveSite, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a fresh browser context (zh-CN, Asia/Shanghai). On failure a full-page
    screenshot and the browser console go to test-artifacts/<test name>.png/.log."""
    context = browser.new_context(
        base_url=live_site.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    try:
        yield page
        left_on_html = page.url.startswith(live_site.url) and page.evaluate("document.contentType") == "text/html"
        if left_on_html and not _test_failed(request):
            axe.assert_accessible(page, f"{page.url} (as the test left it)")
    finally:
        if _test_failed(request):
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
            try:
                page.screenshot(path=artifact_path(f"{name}.png"), full_page=True)
            finally:
                artifact_path(f"{name}.log").write_text(f"url: {page.url}\n" + "\n".join(console), encoding="utf-8")
        context.close()


@pytest.fixture
def login_as() -> Callable[[Any, str], None]:
    """Log a demo user (admin, city, county, township, street, liaison, deputy, clerk) in through
    the login form and wait until the browser has left the login page."""
    from renda.demo.county import DEMO_PASSWORD

    def login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return login
