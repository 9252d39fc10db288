from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingsConfig(AppConfig):
    name = "mourafaka.trainings"
    verbose_name = _("Group training")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models, timeline_sources  # noqa: F401  (registers the timeline sources)

        auditlog.register(models.Module)
        auditlog.register(models.Trainer, m2m_fields={"regions", "modules"})
        auditlog.register(models.Session, m2m_fields={"trainers"})
        auditlog.register(models.SessionDay)
        auditlog.register(models.Registration)
        auditlog.register(models.Attendance)
        auditlog.register(models.Certificate)
