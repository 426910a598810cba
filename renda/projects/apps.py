from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "renda.projects"
    label = "projects"
    verbose_name = "民生实事项目"

    def ready(self) -> None:
        from renda.core.scoping import SCOPED_PATHS

        SCOPED_PATHS["projects.proposal"] = "region__path"
        SCOPED_PATHS["projects.candidatelist"] = "region__path"
        SCOPED_PATHS["projects.candidate"] = "candidate_list__region__path"
        SCOPED_PATHS["projects.project"] = "region__path"
        SCOPED_PATHS["projects.progressreport"] = "project__region__path"
        SCOPED_PATHS["projects.projectrating"] = "project__region__path"

        # 代表定单: the published result of a project vote makes the elected candidates projects.
        from renda.projects.lists import on_vote_decided
        from renda.voting.signals import vote_decided

        vote_decided.connect(on_vote_decided, dispatch_uid="projects.on_vote_decided")
