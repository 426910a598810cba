"""Template rules the site's CSP and page titles depend on (issue #13): no inline event handler
(the CSP blocks it, so the control silently does nothing: the suggestion board's year filter was
dead), and a page title is text, never markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "renda" / "templates"
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
TITLE = re.compile(r"{% block title %}(.*?){% endblock %}", re.DOTALL)


def test_no_template_has_an_inline_event_handler():
    found = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.html") if HANDLER.search(p.read_text(encoding="utf-8"))]
    assert found == []


def test_no_page_loads_axe_core():
    """axe-core (static/vendor/axe-core) is the browser tests' tool; users' pages never load it."""
    code = Path(__file__).resolve().parent.parent / "renda"
    found = [
        str(p.relative_to(code))
        for p in [*code.rglob("*.html"), *code.rglob("*.py")]
        if "axe-core" in p.read_text(encoding="utf-8") or "axe.min.js" in p.read_text(encoding="utf-8")
    ]
    assert found == []


def test_every_list_table_can_be_scrolled_from_the_keyboard():
    """On a phone a list table scrolls sideways inside its panel (renda.css); a keyboard reaches it
    only when it takes the focus (axe: scrollable-region-focusable)."""
    tables = re.compile(r"<table\b[^>]*class=\"list[^\"]*\"[^>]*>")
    found = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.html")
        for tag in tables.findall(p.read_text(encoding="utf-8"))
        if 'tabindex="0"' not in tag
    ]
    assert found == []


def test_every_title_block_is_text():
    markup = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.html")
        for title in TITLE.findall(p.read_text(encoding="utf-8"))
        if "<" in title
    ]
    assert markup == []


# The forms a person fills in, per role: the staff's entry and edit forms, the list filters, a case
# with its action forms, and the citizen's forms.
FORM_PAGES = {
    "township": [
        "/opinions/new/",
        "/opinions/",
        "/opinions/slots/",
        "/org/deputies/new/",
        "/org/deputies/",
        "/org/stations/",
        "/org/units/",
        "/projects/",
        "/projects/proposals/new/",
        "/projects/proposals/",
        "/projects/all/",
        "/meetings/",
        "/audit/",
    ],
    "deputy": ["/suggestions/new/", "/suggestions/"],
    "county": ["/suggestions/", "/suggestions/stats/", "/meetings/new/"],
}
LABEL_OPEN = re.compile(r"<label\b(?P<attrs>[^>]*)>(?P<inner>.*?)(?=<input|<select|<textarea|</label>)", re.DOTALL)
TEMPLATE_TAG = re.compile(r"{%.*?%}|{#.*?#}", re.DOTALL)
MARKUP = re.compile(r"<[^>]+>")


def _form_pages(client_as) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from django.test import Client

    from renda.core.scoping import scope_for_user
    from renda.opinions.models import Opinion
    from renda.org.models import Deputy, Station

    township = client_as("township")
    scope = scope_for_user(township.get("/").wsgi_request.user)
    station = scope.filter(Station.objects.filter(is_active=True)).order_by("pk").first()
    deputy = scope.filter(Deputy.objects.filter(is_active=True)).order_by("pk").first()
    case = scope.filter(Opinion.objects.all()).order_by("-pk").first()
    extra = [f"/org/stations/{station.public_id}/edit/"] if station else []
    extra += [f"/org/deputies/{deputy.public_id}/edit/", f"/org/deputies/{deputy.public_id}/move/"] if deputy else []
    extra += [f"/opinions/{case.pk}/"] if case else []
    pages: dict[str, str] = {}
    for who, paths in FORM_PAGES.items():
        client = township if who == "township" else client_as(who)
        for path in paths + (extra if who == "township" else []):
            answer = client.get(path)
            if answer.status_code == 200:
                pages[f"{who} {path}"] = answer.content.decode()
    citizen = Client()
    public = [f"/s/{station.public_id}/opinion/", f"/s/{station.public_id}/book/"] if station else []
    for path in [*public, "/track/", "/booking/cancel/", "/accounts/login/"]:
        answer = citizen.get(path)
        if answer.status_code == 200:
            pages[f"citizen {path}"] = answer.content.decode()
    return pages


class _Labels(HTMLParser):
    """Each <label>'s own words before its box, for labels of a text box, a select or a file."""

    def __init__(self) -> None:
        super().__init__()
        self.types: dict[str, str] = {}
        self.labels: list[tuple[str, str, bool]] = []  # (for, words, holds a checkbox/radio)
        self._open: list[str] | None = None
        self._for = ""
        self._check = False
        self._words_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in ("input", "select", "textarea"):
            kind = (named.get("type") or tag) if tag == "input" else tag
            if named.get("id"):
                self.types[str(named["id"])] = kind
            if self._open is not None:
                self._words_done = True
                self._check = self._check or kind in ("checkbox", "radio")
        if tag == "label":
            self._open, self._for, self._check, self._words_done = [], named.get("for") or "", False, False
            if "nav-button" in (named.get("class") or ""):
                self._check = True  # the phone menu's button, not a form's label

    def handle_data(self, data: str) -> None:
        if self._open is not None and not self._words_done:
            self._open.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._open is not None:
            self.labels.append((self._for, "".join(self._open).strip(), self._check))
            self._open = None


@pytest.mark.django_db
def test_no_form_offers_djangos_dashes(client_as):
    """A select's empty choice says what to choose, never Django's "---------" (issue #13)."""
    pages = _form_pages(client_as)
    assert len(pages) >= 15, sorted(pages)
    assert [name for name, html in pages.items() if "---------" in html] == []


@pytest.mark.django_db
def test_every_rendered_form_label_ends_in_a_full_width_colon(client_as):
    """姓名：, never 姓名 or 姓名: (issue #13); a checkbox's or a radio button's words follow it."""
    missing = []
    for name, html in _form_pages(client_as).items():
        parser = _Labels()
        parser.feed(html)
        for target, words, check in parser.labels:
            if check or parser.types.get(target) in ("checkbox", "radio"):
                continue
            if not words.endswith("："):
                missing.append(f"{name}: {words!r}")
    assert missing == []


def test_every_label_in_the_templates_ends_in_a_full_width_colon():
    """The same rule read from the templates themselves, so a form no test renders keeps it too."""
    missing = []
    for path in ROOT.rglob("*.html"):
        for found in LABEL_OPEN.finditer(path.read_text(encoding="utf-8")):
            if "nav-button" in found["attrs"] or 'class="check' in found["attrs"]:
                continue  # the phone menu's button; a checkbox's words after its box
            words = MARKUP.sub("", TEMPLATE_TAG.sub("", found["inner"])).strip()
            if words and not words.endswith("："):
                missing.append(f"{path.relative_to(ROOT)}: {words!r}")
    assert missing == []


@pytest.mark.parametrize(("yuan", "shown"), [(880000, "88.00"), ("12345678.9", "1,234.57"), (0, "0.00"), ("x", "")])
def test_money_is_shown_in_wan_yuan_with_two_decimals(yuan, shown):
    from renda.site.templatetags.renda import wan

    assert wan(yuan) == shown


def test_a_printed_page_carries_no_menu_forms_or_buttons() -> None:
    """The print stylesheet hides what paper does not need (issue #13)."""
    css = (Path(__file__).resolve().parent.parent / "static" / "css" / "renda.css").read_text(encoding="utf-8")
    block = css[css.index("@media print") :]
    for selector in (".topbar", ".mainnav", "form", "button", ".actions-card"):
        assert selector in block.split("{ display: none")[0], selector
    assert "size: A4" in block
