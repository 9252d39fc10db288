from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinancingConfig(AppConfig):
    name = "mourafaka.financing"
    verbose_name = _("Project financing")

    def ready(self):
        from auditlog.registry import auditlog

        from mourafaka.calls.models import Call
        from mourafaka.calls.services import FACT_PROVIDERS

        from . import models, timeline_sources  # noqa: F401  (registers the timeline sources)
        from .proposals import proposal_facts

        FACT_PROVIDERS[Call.Kind.FINANCING] = proposal_facts
        for model in (
            models.Round,
            models.RegionCap,
            models.Proposal,
            models.BudgetLine,
            models.AllocationOverride,
            models.Allocation,
            models.Agreement,
            models.Tranche,
            models.TrancheCondition,
            models.Milestone,
            models.FollowUpReport,
            models.AgreementDocument,
            models.Disbursement,
        ):
            auditlog.register(model)
