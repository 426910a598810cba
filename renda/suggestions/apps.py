from django.apps import AppConfig


class SuggestionsConfig(AppConfig):
    name = "renda.suggestions"
    label = "suggestions"
    verbose_name = "代表建议"

    def ready(self) -> None:
        # Register this app's region-bound models with the one scoping layer here, e.g.
        # SCOPED_PATHS["suggestions.<model>"] = "region__path" (renda/core/scoping.py).
        from renda.core.scoping import SCOPED_PATHS  # noqa: F401
