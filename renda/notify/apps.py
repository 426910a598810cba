from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "renda.notify"
    label = "notify"
    verbose_name = "通知"
