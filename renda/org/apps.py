from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "renda.org"
    label = "org"
    verbose_name = "组织体系"
