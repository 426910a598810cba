"""The upload form of a roster import."""

from __future__ import annotations

from django import forms


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="名册文件（.xlsx）",
        error_messages={"required": "请选择要导入的 .xlsx 文件", "empty": "文件是空的，没有任何内容"},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
