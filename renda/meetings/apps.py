from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "renda.meetings"
    label = "meetings"
    verbose_name = "人代会与会议"

    def ready(self) -> None:
        from renda.audit.anchors import CREATION_EVENTS
        from renda.core.scoping import SCOPED_PATHS

        CREATION_EVENTS["meetings.meeting"] = (
            ("meeting.create",),
            {},
        )  # its creation event must stay in the log (verify_audit)

        SCOPED_PATHS["meetings.meeting"] = "region__path"
        SCOPED_PATHS["meetings.attendee"] = "meeting__region__path"
        SCOPED_PATHS["meetings.agendaitem"] = "meeting__region__path"
        SCOPED_PATHS["meetings.meetingdocument"] = "meeting__region__path"
