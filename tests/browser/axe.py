"""axe-core on every page the browser tests open (issue #13, HOUSE_STYLE "axe-core finds no serious
violation").

Every HTML document the live server answers to a browser navigation (``Sec-Fetch-Dest: document``:
a ``goto``, a link followed, a form posted, a redirect's target; not htmx's partials) is kept, and
when the test ends ``check_documents`` opens each one again in a clean page of its own, at the
desktop and at the phone size: the document is answered from what was kept, its CSS and scripts
from the live server, every other request (htmx's ``load`` triggers) is refused, so a replay
writes nothing. axe-core (static/vendor/axe-core, injected by ``page.evaluate``, which the CSP does
not govern) then runs on it, and any violation of impact serious or critical fails the test with
the page, the rule, the elements' selectors and axe's help text. ``assert_accessible(page)``
checks a live page in the state a test brought it to (a menu opened, an htmx swap); the ``page``
fixture calls it on its last state.

Why a replay and not a check at each page load: a test fills and submits the login form faster
than axe reads the page, so a check run at ``load`` loses the race for the very pages that pass
quickly; the server-side copy sees every document, whichever context or page asked for it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

AXE_JS = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")
VIEWPORTS = ({"width": 1366, "height": 900}, {"width": 390, "height": 844})

# Rules switched off, each with the reason it is a false positive here. Keep it empty unless axe is
# wrong about a page; a real violation is fixed in the template or the CSS.
DISABLED_RULES: dict[str, str] = {}

# What a page is, for the cache: the CSRF token and the nonce-like values change on every answer
# though the page does not.
_VOLATILE = re.compile(rb'(name="csrfmiddlewaretoken" value=|name="csrf-token" content=|"X-CSRFToken": )"[^"]*"')

_RUN = """async (disabled) => {
  const rules = {};
  for (const id of disabled) rules[id] = { enabled: false };
  const result = await axe.run(document, { resultTypes: ["violations"], rules });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), impact: n.impact, summary: n.failureSummary })),
  }));
}"""


@dataclass
class Document:
    """One HTML answer the live server gave to a browser navigation."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    def key(self) -> str:
        return hashlib.sha256(self.url.encode() + b"\0" + _VOLATILE.sub(rb"\1", self.body)).hexdigest()


@dataclass
class Recorder:
    """Collects the documents of one test; the live server's WSGI wrapper calls ``offer``."""

    base_url: str = ""
    documents: list[Document] = field(default_factory=list)

    def offer(self, environ: dict[str, Any], status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        if environ.get("HTTP_SEC_FETCH_DEST") != "document" or environ.get("HTTP_HX_REQUEST"):
            return
        named = {name.lower(): value for name, value in headers}
        if not named.get("content-type", "").startswith("text/html") or not body:
            return
        path = environ.get("PATH_INFO", "/")
        query = environ.get("QUERY_STRING", "")
        url = self.base_url + path + (f"?{query}" if query else "")
        self.documents.append(Document(url=url, status=int(status.split()[0]), headers=named, body=body))


_passed: set[str] = set()  # documents (by key) already found clean in this process


def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def violations_on(page: Any) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    found: list[dict[str, Any]] = page.evaluate(_RUN, sorted(DISABLED_RULES))
    return [v for v in found if v["impact"] in FAILING_IMPACTS]


def describe(where: str, violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str = "") -> None:
    """Fail on axe's serious or critical violations on the live page in its current state."""
    found = violations_on(page)
    assert not found, "axe-core found violations:\n" + describe(where or page.url, found)


def check_documents(browser: Any, recorder: Recorder) -> str:
    """Replay each kept document at both sizes and run axe on it; the report of what failed ("" if
    nothing did)."""
    reports: list[str] = []
    todo: dict[str, Document] = {}
    for document in recorder.documents:
        key = document.key()
        if key not in _passed:
            todo.setdefault(key, document)
    if not todo:
        return ""
    failed: set[str] = set()
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=VIEWPORTS[0])
    context.set_default_timeout(15_000)
    try:
        for key, document in todo.items():
            for size, found in _replay(context, document):
                failed.add(key)
                reports.append(describe(f"{document.url} (HTTP {document.status}, {size} px)", found))
    finally:
        context.close()
    _passed.update(todo.keys() - failed)
    return "\n".join(reports)


def _replay(context: Any, document: Document) -> list[tuple[int, list[dict[str, Any]]]]:
    """The document's violations at each size (the page is loaded once, then resized)."""
    page = context.new_page()
    static = _origin(document.url) + settings.STATIC_URL

    def answer(route: Any) -> None:
        request = route.request
        if request.url.split("#")[0] == document.url and request.resource_type == "document":
            route.fulfill(status=document.status, headers=document.headers, body=document.body)
        elif request.url.startswith(static):
            route.continue_()
        else:
            route.abort()

    found: list[tuple[int, list[dict[str, Any]]]] = []
    try:
        page.route("**/*", answer)
        page.goto(document.url, wait_until="load")
        for viewport in VIEWPORTS:
            page.set_viewport_size(viewport)
            if violations := violations_on(page):
                found.append((viewport["width"], violations))
        return found
    finally:
        page.close()


def _origin(url: str) -> str:
    return "/".join(url.split("/")[:3])
