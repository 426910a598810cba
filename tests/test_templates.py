"""Template rules the site's CSP and page titles depend on (issue #13): no inline event handler
(the CSP blocks it, so the control silently does nothing: the suggestion board's year filter was
dead), and a page title is text, never markup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "renda" / "templates"
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
TITLE = re.compile(r"{% block title %}(.*?){% endblock %}", re.DOTALL)


def test_no_template_has_an_inline_event_handler():
    found = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.html") if HANDLER.search(p.read_text(encoding="utf-8"))]
    assert found == []


def test_every_title_block_is_text():
    markup = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.html")
        for title in TITLE.findall(p.read_text(encoding="utf-8"))
        if "<" in title
    ]
    assert markup == []


@pytest.mark.django_db
def test_no_form_offers_djangos_dashes(client_as):
    """A select's empty choice says what to choose, never Django's "---------" (issue #13)."""

    pages = {
        "township": ["/opinions/new/", "/org/deputies/new/", "/org/stations/new/", "/org/units/new/", "/projects/new/"],
        "deputy": ["/suggestions/new/"],
    }
    found = []
    for who, paths in pages.items():
        client = client_as(who)
        for path in paths:
            answer = client.get(path)
            if answer.status_code == 200 and "---------" in answer.content.decode():
                found.append(path)
    assert found == []


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
