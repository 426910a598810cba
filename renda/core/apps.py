from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "renda.core"
    label = "core"
    verbose_name = "公共"

    def ready(self) -> None:
        from renda.core import checks  # noqa: F401 - registers check --deploy's personal-data-key check
