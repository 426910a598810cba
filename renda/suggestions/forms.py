from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Subquery

from renda.core.scoping import Scope
from renda.opinions.forms import CategoryField
from renda.opinions.models import Opinion
from renda.org.forms import ERRORS
from renda.org.models import Category, Deputy
from renda.suggestions import selectors
from renda.suggestions.models import Period


class DeputyChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.region.name}）"


class OpinionChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        mark = "【转代表】" if obj.referred_to_deputies else ""
        return f"{mark}{obj.receipt_code} {obj.title}（{obj.region.name}）"


class SuggestionForm(forms.Form):
    """A deputy drafts or revises a suggestion (the service checks the rest)."""

    title = forms.CharField(label="标题", max_length=100, error_messages=ERRORS)
    content = forms.CharField(
        label="建议内容", widget=forms.Textarea(attrs={"rows": 6}), max_length=10_000, error_messages=ERRORS
    )
    problem = forms.CharField(
        label="存在的问题", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, required=False
    )
    proposal = forms.CharField(
        label="具体建议", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, required=False
    )
    period = forms.ChoiceField(label="提出时间", choices=Period.choices, error_messages=ERRORS)
    wide_or_hard = forms.BooleanField(label="涉及面广、处理难度大（答复期限 6 个月）", required=False)

    def __init__(self, *args: Any, scope: Scope, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bodies = selectors.congress_bodies_for(scope=scope)
        self.fields["body"] = forms.ModelChoiceField(
            queryset=bodies, label="向哪一级人民代表大会提出", error_messages=ERRORS, disabled=editing,
            empty_label="请选择人民代表大会",
        )  # fmt: skip
        self.fields["category"] = CategoryField(
            queryset=Category.objects.select_related("parent").order_by("parent__sort_order", "sort_order", "code"),
            label="分类",
            error_messages=ERRORS,
        )
        body = bodies.first()
        if not editing:
            cosigners = (
                selectors.cosigner_choices(body=body, exclude=list(scope.deputy_ids)).select_related("region")
                if body is not None
                else Deputy.objects.none()
            )
            self.fields["cosigners"] = DeputyChoiceField(
                queryset=cosigners,
                label="邀请联名代表（可多选，对方确认后才计入联名）",
                required=False,
                error_messages=ERRORS,
                widget=forms.SelectMultiple(attrs={"size": 6}),
            )
        linkable = selectors.linkable_opinions(scope=scope).values("pk")[:300]
        self.fields["opinions"] = OpinionChoiceField(
            queryset=Opinion.objects.filter(pk__in=Subquery(linkable))
            .select_related("region")
            .order_by("-referred_to_deputies", "-id"),
            label="依据的民意（可多选）",
            required=False,
            error_messages=ERRORS,
            widget=forms.SelectMultiple(attrs={"size": 6}),
        )
