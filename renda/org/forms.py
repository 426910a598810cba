"""Forms parse and type-check input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms

from renda.core.forms import PhoneField
from renda.core.scoping import Scope
from renda.org.models import CongressLevel, Deputy, DeputyKind, Gender, Station, StationKind
from renda.regions.models import Region, RegionLevel
from renda.regions.selectors import region_choices

ERRORS = {
    "required": "此项不能为空",
    "invalid": "格式不正确",
    "invalid_choice": "请选择有效的选项",
    "max_length": "不能超过 %(limit_value)d 个字",
    "min_value": "不能小于 %(limit_value)s",
    "max_value": "不能大于 %(limit_value)s",
}


class RegionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "请选择区划")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        indent: str = "　" * max(0, int(obj.level) - 3)
        return indent + str(obj.name)


def scoped_region_field(scope: Scope, *, label: str, min_level: int, max_level: int) -> RegionChoiceField:
    qs = region_choices(scope=scope, max_level=max_level).filter(level__gte=min_level).order_by("path")
    return RegionChoiceField(queryset=qs, label=label, error_messages=ERRORS)


class DeputyForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, error_messages=ERRORS)
    kind = forms.ChoiceField(label="类别", choices=DeputyKind.choices, error_messages=ERRORS)
    gender = forms.ChoiceField(
        label="性别", choices=[("", "请选择…"), *Gender.choices], required=False, error_messages=ERRORS
    )
    birth_year = forms.IntegerField(
        label="出生年份", required=False, min_value=1900, max_value=2010, error_messages=ERRORS
    )
    ethnicity = forms.CharField(label="民族", max_length=20, required=False, error_messages=ERRORS)
    party = forms.CharField(label="政治面貌", max_length=20, required=False, error_messages=ERRORS)
    occupation = forms.CharField(label="工作单位及职务", max_length=200, required=False, error_messages=ERRORS)
    phone = PhoneField(label="手机", max_length=20, required=False, error_messages=ERRORS)
    reason = forms.CharField(label="变更说明", max_length=200, required=False, error_messages=ERRORS)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"] = scoped_region_field(
            scope, label="所属区划（村/社区）", min_level=RegionLevel.TOWNSHIP, max_level=RegionLevel.VILLAGE
        )
        for level in CongressLevel:
            # In the levels table the row's 层级 cell and the column head say what a box is; a
            # screen reader is told by the box's own name.
            self.fields[f"term_{level.value}"] = forms.IntegerField(
                label=f"{level.label}届次",
                required=False,
                min_value=1,
                max_value=99,
                error_messages=ERRORS,
                widget=forms.NumberInput(attrs={"aria-label": f"{level.label}届次"}),
            )
            self.fields[f"constituency_{level.value}"] = forms.CharField(
                label=f"{level.label}选区",
                max_length=100,
                required=False,
                error_messages=ERRORS,
                widget=forms.TextInput(attrs={"aria-label": f"{level.label}选区/选举单位"}),
            )

    def level_rows(self) -> list[tuple[str, Any, Any]]:
        return [(lv.label, self[f"term_{lv.value}"], self[f"constituency_{lv.value}"]) for lv in CongressLevel]

    @staticmethod
    def initial_for(deputy: Deputy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            f: getattr(deputy, f)
            for f in ["name", "kind", "gender", "birth_year", "ethnicity", "party", "occupation", "phone"]
        }
        initial["region"] = deputy.region_id
        for m in deputy.mandates.all():
            initial[f"term_{m.level}"] = m.term
            initial[f"constituency_{m.level}"] = m.constituency
        return initial


class MoveStationForm(forms.Form):
    on = forms.DateField(label="进站日期", error_messages=ERRORS, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="原因", max_length=200, error_messages=ERRORS)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = (
            scope.filter(Station.objects.filter(is_active=True))
            .select_related("region")
            .order_by("region__path", "code")
        )
        self.fields["station"] = forms.ModelChoiceField(
            queryset=qs, label="调入站点", error_messages=ERRORS, empty_label="请选择站点"
        )


class StationForm(forms.Form):
    code = forms.CharField(label="站点编码", max_length=32, error_messages=ERRORS)
    name = forms.CharField(label="名称", max_length=100, error_messages=ERRORS)
    kind = forms.ChoiceField(label="类型", choices=StationKind.choices, error_messages=ERRORS)
    address = forms.CharField(label="地址", max_length=200, required=False, error_messages=ERRORS)
    opening_hours = forms.CharField(label="接待时间", max_length=200, required=False, error_messages=ERRORS)
    industry = forms.CharField(label="联系行业（联系点）", max_length=100, required=False, error_messages=ERRORS)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    head_name = forms.CharField(label="站长姓名", max_length=50, required=False, error_messages=ERRORS)
    head_phone = PhoneField(label="站长电话", max_length=20, required=False, error_messages=ERRORS)
    liaison1_name = forms.CharField(label="联络员一姓名", max_length=50, required=False, error_messages=ERRORS)
    liaison1_phone = PhoneField(label="联络员一电话", max_length=20, required=False, error_messages=ERRORS)
    liaison2_name = forms.CharField(label="联络员二姓名", max_length=50, required=False, error_messages=ERRORS)
    liaison2_phone = PhoneField(label="联络员二电话", max_length=20, required=False, error_messages=ERRORS)
    reason = forms.CharField(label="变更说明", max_length=200, required=False, error_messages=ERRORS)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"] = scoped_region_field(
            scope, label="所在区划", min_level=RegionLevel.TOWNSHIP, max_level=RegionLevel.VILLAGE
        )


def region_of(form: forms.Form) -> Region:
    region = form.cleaned_data["region"]
    assert isinstance(region, Region)
    return region
