from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Subquery
from django.urls import reverse_lazy

from renda.core.scoping import Scope
from renda.core.validation import id_or_none
from renda.opinions.forms import CategoryField
from renda.opinions.models import Opinion
from renda.org.forms import ERRORS
from renda.org.models import Body, Category, Deputy
from renda.suggestions import selectors
from renda.suggestions.models import Period

BODY_ERRORS = {"invalid_choice": "您不是该人民代表大会的代表，请选择您所属的人民代表大会"}
COSIGNER_ERRORS = {
    "invalid_choice": "所选代表不是所选人民代表大会的代表（或已不在任），不能联名",
    "invalid_pk_value": "所选联名代表不正确",
    "invalid_list": "所选联名代表不正确",
}


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
        self.bodies: list[Body] = list(bodies)
        self.fields["body"] = forms.ModelChoiceField(
            queryset=bodies, label="向哪一级人民代表大会提出", error_messages=ERRORS | BODY_ERRORS, disabled=editing,
            empty_label=None,
        )  # fmt: skip
        if len(self.bodies) == 1 and not editing:  # a deputy of one congress has nothing to choose (五级代表 do)
            self.fields["body"].widget = forms.HiddenInput()
        elif not editing:  # the co-signers are the chosen congress's deputies: the picker follows the choice
            self.fields["body"].widget.attrs.update(
                {
                    "hx-get": reverse_lazy("suggestions:cosigners"),
                    "hx-trigger": "change",
                    "hx-target": "#cosigner-results",
                    "hx-include": "#cosigner-picker",
                }
            )
        self.chosen_body = self._chosen_body()
        if self.chosen_body is not None and not self.is_bound:
            self.initial["body"] = self.chosen_body.pk  # shown chosen (or carried, hidden)
        self.fields["category"] = CategoryField(
            queryset=Category.objects.select_related("parent").order_by("parent__sort_order", "sort_order", "code"),
            label="分类",
            error_messages=ERRORS,
        )
        if not editing:
            cosigners = (
                selectors.cosigner_choices(body=self.chosen_body, exclude=list(scope.deputy_ids))
                if self.chosen_body is not None
                else Deputy.objects.none()
            )
            self.fields["cosigners"] = forms.ModelMultipleChoiceField(
                queryset=cosigners,
                label="邀请联名代表（可多选，对方确认后才计入联名）",
                required=False,
                error_messages=COSIGNER_ERRORS,
                widget=forms.CheckboxSelectMultiple,  # drawn by suggestions/_cosigners.html (searchable)
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

    def _chosen_body(self) -> Body | None:
        """The congress the cosigner list is drawn from: the one posted (if the deputy's), else the
        initial one, else the lowest (their own township's: the list is ordered by level)."""
        raw = self.data.get("body") if self.is_bound else None
        wanted = id_or_none(raw if raw is not None else self.initial.get("body"))
        chosen = next((b for b in self.bodies if b.pk == wanted), None)
        return chosen or (self.bodies[0] if self.bodies else None)
