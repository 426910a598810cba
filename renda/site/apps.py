from django.apps import AppConfig


class SiteConfig(AppConfig):
    """Project glue that knows every app: home page, health check, the schedule of sweeps,
    the ``seed_demo``/``serve``/``run_sweeps`` commands, the ``renda`` template tags and the
    audited admin of core's calendar and rules. Nothing in another app imports it."""

    name = "renda.site"
    label = "renda_site"  # not "site"/"sites": django.contrib.sites and admin.site are other things
    verbose_name = "站点"
