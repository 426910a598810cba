from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "renda.meetings"
    label = "meetings"
    verbose_name = "人代会与会议"

    def ready(self) -> None:
        # Register this app's region-bound models with the one scoping layer here, e.g.
        # SCOPED_PATHS["meetings.<model>"] = "region__path" (renda/core/scoping.py).
        from renda.core.scoping import SCOPED_PATHS  # noqa: F401
