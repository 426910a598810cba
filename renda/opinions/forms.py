from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from renda.core.forms import PhoneField
from renda.core.scoping import Scope
from renda.opinions.models import OFFLINE_SOURCES
from renda.org.forms import ERRORS, RegionChoiceField
from renda.org.models import Category, Deputy, Station
from renda.regions.models import RegionLevel
from renda.regions.selectors import region_choices


class CategoryField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A category, offered grouped by its first level (城乡建设 › 路灯, 道路设施, ...); a first-level
    class itself is the group's first option (其他城乡建设问题)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "请选择分类")
        super().__init__(*args, **kwargs)
        rows = list(self.queryset.select_related("parent")) if self.queryset is not None else []
        parents = [c for c in rows if c.parent_id is None]
        grouped: list[Any] = [("", "请选择分类")]
        for parent in sorted(parents, key=lambda c: (c.sort_order, c.code)):
            children = sorted((c for c in rows if c.parent_id == parent.pk), key=lambda c: (c.sort_order, c.code))
            options = [(c.pk, c.name) for c in children]
            if not any(c.name == parent.name for c in children):
                options.insert(0, (parent.pk, f"其他{parent.name}问题" if children else parent.name))
            grouped.append((parent.name, options))
        self.choices = grouped

    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one box (the services check each: type, size, EXIF removed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files]


class OfflineOpinionForm(forms.Form):
    """A liaison or deputy enters what was gathered at a reception day, visit, box or event."""

    source = forms.ChoiceField(
        label="来源", choices=[(s.value, s.label) for s in OFFLINE_SOURCES], error_messages=ERRORS
    )
    text = forms.CharField(
        label="反映内容",
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=5,
        max_length=2000,
        error_messages=ERRORS | {"min_length": "反映内容太短，请把事情说清楚（至少 5 个字）"},
    )
    citizen_name = forms.CharField(label="群众姓名", max_length=50, required=False, error_messages=ERRORS)
    citizen_phone = PhoneField(label="群众电话", max_length=20, required=False, error_messages=ERRORS)
    anonymous = forms.BooleanField(label="未留联系方式（匿名）", required=False)
    received_on = forms.DateField(
        label="接待日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=ERRORS,
        help_text="不填为今天",
    )
    photos = PhotosField(label="照片（可多选）", required=False, error_messages=ERRORS)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Who received the citizen: the user, or a deputy of their stations (on duty that day).
        me = str(scope.user) if scope.user is not None else "本人"
        receivers = [("", f"本人（{me}）")]
        stations = (
            Station.objects.filter(pk__in=scope.station_ids)
            if scope.station_ids
            else scope.filter(Station.objects.filter(is_active=True))
        )
        near = Q(memberships__station__in=stations, memberships__end_date__isnull=True)
        if scope.deputy_ids:
            near |= Q(pk__in=scope.deputy_ids)
        deputies = Deputy.objects.filter(near, is_active=True).distinct()
        receivers += [(str(d.pk), f"{d.name}代表") for d in deputies.order_by("name")[:200]]
        self.fields["receiver"] = forms.ChoiceField(
            label="接待人", choices=receivers, required=False, error_messages=ERRORS
        )
        self.fields["region"] = RegionChoiceField(
            queryset=region_choices(scope=scope, max_level=RegionLevel.VILLAGE)
            .filter(level__gte=RegionLevel.VILLAGE)
            .order_by("path"),
            label="所在村/社区",
            error_messages=ERRORS,
        )
        self.fields["category"] = CategoryField(
            queryset=Category.objects.select_related("parent").order_by("parent__sort_order", "sort_order", "code"),
            label="分类",
            error_messages=ERRORS,
        )
        stations = scope.filter(Station.objects.filter(is_active=True)).order_by("region__path", "code")
        if scope.station_ids:
            stations = stations.filter(pk__in=scope.station_ids)
        self.fields["station"] = forms.ModelChoiceField(
            queryset=stations, label="联络站", required=False, error_messages=ERRORS, empty_label="不经联络站"
        )
