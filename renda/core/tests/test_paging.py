"""Querystring filters: anything that is not a plain number is no filter, never a 500."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from renda.core.paging import int_param


@pytest.mark.parametrize(
    ("raw", "wanted"), [("12", 12), (" 7 ", 7), ("²", None), ("٣", None), ("-1", None), ("1" * 12, None), ("", None)]
)
def test_int_param_takes_ascii_digits_only(raw, wanted):
    assert int_param(RequestFactory().get("/", {"year": raw}), "year") == wanted


@pytest.mark.django_db
def test_a_superscript_digit_in_a_list_filter_is_ignored_not_a_500(client_as):
    assert client_as("township").get("/projects/proposals/", {"region": "²", "year": "²"}).status_code == 200
