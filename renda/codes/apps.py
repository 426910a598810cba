from django.apps import AppConfig


class CodesConfig(AppConfig):
    name = "renda.codes"
    label = "codes"
    verbose_name = "二码"
