from django.apps import AppConfig


class SuggestionsConfig(AppConfig):
    name = "renda.suggestions"
    label = "suggestions"
    verbose_name = "代表建议"

    def ready(self) -> None:
        from renda.core.scoping import SCOPED_PATHS

        SCOPED_PATHS["suggestions.suggestion"] = "region__path"
        SCOPED_PATHS["suggestions.suggestionfigures"] = "region__path"
