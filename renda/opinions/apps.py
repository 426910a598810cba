from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "renda.opinions"
    label = "opinions"
    verbose_name = "民意处理"

    def ready(self) -> None:
        from renda.audit.anchors import CREATION_EVENTS
        from renda.opinions import checks  # noqa: F401 - registers check --deploy's governance-secrets check

        # Every case has its submission event, once its after-submit work is done (verify_audit).
        CREATION_EVENTS["opinions.opinion"] = (("opinion.submit",), {"intake_pending": False})
