from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "renda.voting"
    label = "voting"
    verbose_name = "表决与票决"

    def ready(self) -> None:
        # Register this app's region-bound models with the one scoping layer here, e.g.
        # SCOPED_PATHS["voting.<model>"] = "region__path" (renda/core/scoping.py).
        from renda.core.scoping import SCOPED_PATHS  # noqa: F401
