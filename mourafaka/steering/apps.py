from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SteeringConfig(AppConfig):
    name = "mourafaka.steering"
    verbose_name = _("Steering committee")

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        for model in (models.Meeting, models.AgendaItem, models.Attendee, models.Decision, models.ActionItem):
            auditlog.register(model)
