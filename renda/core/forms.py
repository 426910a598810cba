"""Django form fields that check what the services check, so a page's form names a wrong value
together with its other errors instead of only after the form is otherwise right (issue #13)."""

from __future__ import annotations

from typing import Any

from django import forms

from renda.core.errors import ValidationFailed
from renda.core.validation import clean_phone


class PhoneField(forms.CharField):
    """A mobile or landline number, checked as ``core.validation.clean_phone`` checks it."""

    def clean(self, value: Any) -> str:
        text = str(super().clean(value) or "")
        try:
            return clean_phone(text, label=str(self.label or "电话"), field="")
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None
