from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "renda.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        # core's action skeleton appends its events through this app (core imports no app).
        from renda.audit import checks  # noqa: F401 - registers check --deploy's audit-key check
        from renda.audit.services import audit_entries
        from renda.core.actions import use_audit_writer

        use_audit_writer(audit_entries)
