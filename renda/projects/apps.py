from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "renda.projects"
    label = "projects"
    verbose_name = "民生实事项目"

    def ready(self) -> None:
        # Register this app's region-bound models with the one scoping layer here, e.g.
        # SCOPED_PATHS["projects.<model>"] = "region__path" (renda/core/scoping.py).
        from renda.core.scoping import SCOPED_PATHS  # noqa: F401
