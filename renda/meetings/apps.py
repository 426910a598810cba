from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "renda.meetings"
    label = "meetings"
    verbose_name = "人代会与会议"

    def ready(self) -> None:
        from renda.core.scoping import SCOPED_PATHS

        SCOPED_PATHS["meetings.meeting"] = "region__path"
        SCOPED_PATHS["meetings.attendee"] = "meeting__region__path"
        SCOPED_PATHS["meetings.agendaitem"] = "meeting__region__path"
        SCOPED_PATHS["meetings.meetingdocument"] = "meeting__region__path"
