"""Demo plans of the demo diagnostics: the capacity-building plan proposed from the answers, with one
consultant's edit, and a development plan of two objectives.

The draft diagnostic gets its plans through the real services (its consultant edits them). Submitted
and validated demo diagnostics are already frozen by the time this runs, so their plans are written as
they stood when submitted (same proposal rule, no permission check), then the progress of the
validated one is recorded through the real service. Idempotent: a diagnostic that has plans is left
as it is.
"""

from decimal import Decimal

from django.db import transaction

from . import plans
from .models import DevelopmentAction, DevelopmentObjective, Diagnostic

# (axis code, objective, [(what, who, start month, end month, cost MAD, indicator, target)])
OBJECTIVES = [
    (
        "management",
        "Tenir une comptabilité régulière et connaître les coûts",
        [
            ("Former le trésorier à la comptabilité simplifiée", "Consultant et trésorier", 1, 3, "6000",
             "Journal de caisse tenu chaque mois", "12 mois sur 12"),
            ("Calculer le coût de revient des trois produits principaux", "Président et consultant", 3, 6, "3000",
             "Fiches de coût de revient", "3 fiches"),
        ],
    ),
    (
        "marketing",
        "Vendre à des clients réguliers hors du souk",
        [
            ("Refaire l'emballage et l'étiquette", "Bureau de la coopérative", 4, 9, "15000",
             "Étiquette conforme", "1 gamme"),
            ("Participer à deux foires régionales", "Commission commerciale", 6, 18, "12000",
             "Nouveaux clients réguliers", "5"),
        ],
    ),
]  # fmt: skip


def _write_frozen_plan(diagnostic: Diagnostic, consultant) -> None:
    plans._apply_proposals(diagnostic, plans.proposals_of(diagnostic), consultant)
    axes = {axis.code: axis for axis in diagnostic.template.axes.all()}
    for order, (axis_code, title, actions) in enumerate(OBJECTIVES, start=1):
        objective = DevelopmentObjective.objects.create(
            diagnostic=diagnostic, axis=axes.get(axis_code), title=title, order=order
        )
        for what, who, start, end, cost, indicator, target in actions:
            action = DevelopmentAction(objective=objective, what=what, who=who, start_month=start, end_month=end,
                                       cost_mad=Decimal(cost), indicator=indicator, target=target)  # fmt: skip
            action.full_clean()
            action.save()


def _write_draft_plan(diagnostic: Diagnostic, consultant) -> None:
    items = plans.propose_capacity_plan(diagnostic=diagnostic, by=consultant)
    if len(items) > 1:
        plans.move_item(item=items[-1], priority=1, by=consultant)  # the consultant's own judgement
    axes = {axis.code: axis for axis in diagnostic.template.axes.all()}
    axis_code, title, actions = OBJECTIVES[0]
    objective = plans.add_objective(
        diagnostic=diagnostic, title=title, axis=axes.get(axis_code), by=consultant
    )
    what, who, start, end, cost, indicator, target = actions[0]
    plans.save_action(
        objective=objective,
        values={"what": what, "who": who, "start_month": start, "end_month": end, "cost_mad": Decimal(cost),
                "indicator": indicator, "target": target},
        by=consultant,
    )  # fmt: skip


@transaction.atomic
def load_plans() -> int:
    """Plans for the demo diagnostics that have none. Returns how many diagnostics got plans."""
    from .demo import PLANS

    numbers = [number for number, *_ in PLANS]
    done = 0
    diagnostics = Diagnostic.objects.filter(
        enrolment__cooperative__registration_number__in=numbers, stage=Diagnostic.Stage.BASELINE
    ).select_related("consultant", "template")
    for diagnostic in diagnostics:
        if diagnostic.capacity_items.exists() or diagnostic.objectives.exists():
            continue
        if diagnostic.is_editable:
            _write_draft_plan(diagnostic, diagnostic.consultant)
        else:
            _write_frozen_plan(diagnostic, diagnostic.consultant)
        if diagnostic.status == Diagnostic.Status.VALIDATED:
            first = DevelopmentAction.objects.filter(objective__diagnostic=diagnostic).order_by("pk").first()
            plans.update_action_progress(
                action=first,
                percent=60,
                status=DevelopmentAction.Status.IN_PROGRESS,
                by=diagnostic.consultant,
            )
        done += 1
    return done
