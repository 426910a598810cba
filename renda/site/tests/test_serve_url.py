"""The newcomer's ``make run PORT=8311`` (issue #13): QR codes, posters and SMS links follow the
port served unless PUBLIC_BASE_URL says otherwise."""

from __future__ import annotations

import pytest

from renda.site.management.commands.serve import public_base_url


@pytest.mark.parametrize(
    ("addrport", "expected"),
    [
        ("127.0.0.1:8311", "http://127.0.0.1:8311"),
        ("8311", "http://127.0.0.1:8311"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000"),
        ("192.168.1.20:8000", "http://192.168.1.20:8000"),
    ],
)
def test_the_public_address_follows_the_port(addrport, expected, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert public_base_url(addrport) == expected


def test_an_explicit_public_address_wins(monkeypatch, settings):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://renda.example.gov.cn")
    settings.PUBLIC_BASE_URL = "https://renda.example.gov.cn"
    assert public_base_url("127.0.0.1:8311") == "https://renda.example.gov.cn"
