"""A refusal names every wrong field at once (issue #13): the collector services use, and the
action forms' parser."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from renda.core.errors import ValidationFailed
from renda.core.inputs import parse_form
from renda.core.validation import FieldErrors, clean_phone, clean_text
from renda.opinions.inputs import ReassignIn


def test_field_errors_collect_every_field_and_keep_each_fields_first_message() -> None:
    problems = FieldErrors()
    with problems.checking():
        clean_text("", label="姓名", field="name", max_length=5)
    with problems.checking():
        clean_phone("123", label="手机", field="phone")
    problems.add("name", "a second word on the name")
    with pytest.raises(ValidationFailed) as refused:
        problems.raise_any()
    assert refused.value.errors == {
        "name": "姓名不能为空",
        "phone": "手机格式不正确：应为 11 位手机号或带区号的固定电话",
    }
    assert (refused.value.field, refused.value.message) == ("name", "姓名不能为空")


def test_nothing_wrong_raises_nothing_and_a_single_refusal_names_its_field() -> None:
    FieldErrors().raise_any()
    assert ValidationFailed("不对", field="x").errors == {"x": "不对"}


def test_an_action_forms_errors_are_shown_together() -> None:
    post = QueryDict(mutable=True)
    post.update({"unit": "abc", "workdays": "x", "reason": ""})
    with pytest.raises(ValidationFailed) as refused:
        parse_form(ReassignIn, post)
    assert set(refused.value.errors) == {"unit", "workdays"}
    assert refused.value.field == "unit"
    assert "新的承办单位" in refused.value.message and "办理期限（工作日）" in refused.value.message
