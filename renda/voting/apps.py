from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "renda.voting"
    label = "voting"
    verbose_name = "表决与票决"

    def ready(self) -> None:
        from renda.audit.anchors import CREATION_EVENTS
        from renda.core.scoping import SCOPED_PATHS

        CREATION_EVENTS["voting.vote"] = (("vote.create", "vote.runoff"), {})  # its creation event stays (verify_audit)
        from renda.voting import checks  # noqa: F401 - registers check --deploy's ballot-key check

        SCOPED_PATHS["voting.vote"] = "meeting__region__path"
        SCOPED_PATHS["voting.voteoption"] = "vote__meeting__region__path"
        SCOPED_PATHS["voting.paperbatch"] = "vote__meeting__region__path"
        # Participation (who voted) is listed for staff by vote; Ballot is never listed per person.
        SCOPED_PATHS["voting.participation"] = "vote__meeting__region__path"
