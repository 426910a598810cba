"""Forms of the meetings pages (input parsing only; rules live in the services)."""

from __future__ import annotations

from typing import Any

from django import forms

from renda.core.scoping import Perm, Scope
from renda.meetings.models import AgendaItem, DocumentKind, Meeting
from renda.meetings.selectors import bodies_for_meetings
from renda.org.models import Body, Deputy
from renda.voting.models import VoteMethod


class MeetingForm(forms.Form):
    body = forms.ModelChoiceField(label="召开机构", queryset=Body.objects.none(), empty_label="请选择")
    title = forms.CharField(label="会议名称（不填则按届次自动生成）", max_length=120, required=False)
    start_date = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    venue = forms.CharField(label="会场", max_length=120, required=False)
    agenda = forms.CharField(
        label="议程（每行一项）",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        initial="听取和审议政府工作报告\n听取和审议财政预算执行情况报告\n票决民生实事项目",
    )
    deputies = forms.ModelMultipleChoiceField(
        label="应出席代表（不选则为该机构全体在任代表；主席团会议请选择主席团成员）",
        queryset=Deputy.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bodies = bodies_for_meetings(scope=scope)
        self.fields["body"].queryset = bodies  # type: ignore[attr-defined]
        self.fields["body"].label_from_instance = lambda b: f"{b.region.name} · {b.get_kind_display()}"  # type: ignore[attr-defined]
        deputies = scope.filter(Deputy.objects.filter(is_active=True), perm=Perm.MEETING_MANAGE)
        self.fields["deputies"].queryset = deputies.order_by("name_pinyin")  # type: ignore[attr-defined]

    def agenda_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("agenda", "").splitlines() if line.strip()]


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="文件类别", choices=DocumentKind.choices)
    title = forms.CharField(label="标题", max_length=200)
    text = forms.CharField(
        label="正文/摘要", required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )
    file = forms.FileField(label="附件（可选）", required=False)


class VoteForm(forms.Form):
    agenda_item = forms.ModelChoiceField(
        label="议程（可选）", queryset=AgendaItem.objects.none(), required=False, empty_label="不关联议程"
    )
    title = forms.CharField(label="表决事项", max_length=200)
    method = forms.ChoiceField(label="表决方式", choices=VoteMethod.choices)
    seats = forms.IntegerField(label="应选名额（差额票决必填）", required=False, min_value=1, max_value=100)
    options = forms.CharField(
        label="选项（每行一项，可写“名称｜说明”）",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    description = forms.CharField(
        label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].queryset = meeting.agenda.all()  # type: ignore[attr-defined]

    def option_lines(self) -> list[tuple[str, str]]:
        rows = []
        for line in self.cleaned_data.get("options", "").splitlines():
            if not line.strip():
                continue
            label, _, description = line.replace("|", "｜").partition("｜")
            rows.append((label.strip(), description.strip()))
        return rows
