"""The evaluations of a session (pre-test and post-test scores, one small form per participant saved
with htmx; the satisfaction questionnaire) and its completion: who completed under the rule, the
certificates issued to them, their PDFs and their revocation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import attendance, certificates, evaluations, queries
from .access import get_registration_for_user, get_session_for_user
from .forms import IssueForm, ScoresForm, satisfaction_form_class
from .models import Registration, Session
from .session_pages import session_header


def _participants(session: Session) -> list[Registration]:
    """Who is evaluated: the people invited or confirmed (the services refuse the others)."""
    return list(queries.registrations_of(session).filter(status__in=Registration.HOLDS_A_PLACE))


def _scores_form(registration: Registration) -> ScoresForm:
    return ScoresForm(
        initial={"pre": registration.pre_test_score, "post": registration.post_test_score},
        prefix=f"r{registration.pk}",
    )


@login_required
def evaluations_page(request, pk):
    session = get_session_for_user(request.user, pk)
    participants = _participants(session)
    for registration in participants:
        registration.scores_form = _scores_form(registration)
    template = evaluations.satisfaction_template()
    context = {
        **session_header(request.user, session),
        "tab": "evaluations",
        "participants": participants,
        "averages": evaluations.session_averages(session),
        "questions": list(template.questions.order_by("axis__order", "order", "code")) if template else [],
        "has_questionnaire": template is not None,
    }
    return render(request, "trainings/evaluations/page.html", context)


@login_required
@require_POST
def save_scores(request, pk, registration_pk):
    """Save one participant's scores; htmx gets the row back (422 with the reason when refused)."""
    session = get_session_for_user(request.user, pk, write_action="trainings.run")
    registration = get_registration_for_user(request.user, registration_pk, session=session)
    prefix = f"r{registration.pk}"
    pre, post = request.POST.get(f"{prefix}-pre"), request.POST.get(f"{prefix}-post")
    error, saved = "", False
    try:
        registration = evaluations.record_scores(
            registration=registration, pre=pre, post=post, by=request.user
        )
        saved = True
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    if not request.htmx:
        if error:
            messages.error(request, f"{registration.person_name}: {error}")
        else:
            messages.success(request, _("Scores of %(name)s saved.") % {"name": registration.person_name})
        return redirect(reverse("trainings:evaluations", args=[session.pk]) + f"#r-{registration.pk}")
    registration = queries.registrations_of(session).get(pk=registration.pk)
    registration.scores_form = (
        ScoresForm(request.POST, prefix=prefix) if error else _scores_form(registration)
    )
    context = {
        "session": session,
        "registration": registration,
        "error": error,
        "saved": saved,
        "can_run": True,
    }
    return render(request, "trainings/evaluations/partials/row.html", context, status=422 if error else 200)


@login_required
def satisfaction(request, pk, registration_pk):
    session = get_session_for_user(request.user, pk, write_action="trainings.run")
    registration = get_registration_for_user(request.user, registration_pk, session=session)
    template = registration.satisfaction_template or evaluations.satisfaction_template()
    if template is None:
        messages.error(request, _("No satisfaction questionnaire is published."))
        return redirect("trainings:evaluations", pk=session.pk)
    form_class = satisfaction_form_class(template)
    initial = {code: _initial(value) for code, value in (registration.satisfaction or {}).items()}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        answers = {code: value for code, value in form.cleaned_data.items() if value not in ("", [], None)}
        try:
            evaluations.record_satisfaction(registration=registration, answers=answers, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Answers of %(name)s saved.") % {"name": registration.person_name})
            return redirect(reverse("trainings:evaluations", args=[session.pk]) + f"#r-{registration.pk}")
    context = {
        **session_header(request.user, session),
        "tab": "evaluations",
        "registration": registration,
        "template": template,
        "form": form,
    }
    return render(
        request, "trainings/evaluations/satisfaction.html", context, status=400 if form.errors else 200
    )


def _initial(value):
    """A stored answer as the form shows it (yes/no answers are stored as booleans)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    return value


# ---------------------------------------------------------------------------
# Completion and certificates


@login_required
def completion(request, pk):
    session = get_session_for_user(request.user, pk)
    progress = attendance.session_progress(session)
    rows = []
    for registration in queries.registrations_of(session).exclude(status=Registration.Status.CANCELLED):
        found = progress.get(registration.pk)
        if found is None or (
            registration.status not in Registration.HOLDS_A_PLACE and not found.days_present
        ):
            continue
        registration.progress = found
        # A missing reverse one-to-one raises an AttributeError subclass: hasattr reads it as "none".
        registration.issued = registration.certificate if hasattr(registration, "certificate") else None
        rows.append(registration)
    completed = [row for row in rows if row.progress.completed]
    header = session_header(request.user, session)
    context = {
        **header,
        "tab": "completion",
        "rows": rows,
        "completed_count": len(completed),
        "to_issue": sum(1 for row in completed if row.issued is None),
        "issue_form": IssueForm(),
        "can_revoke": header["can_plan"],
        "rate": session.completion_rate,
    }
    return render(request, "trainings/evaluations/completion.html", context)


@login_required
@require_POST
def issue(request, pk):
    session = get_session_for_user(request.user, pk, write_action="trainings.run")
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the language of the certificates."))
        return redirect("trainings:completion", pk=session.pk)
    try:
        issued = certificates.issue_certificates(
            session=session, language=form.cleaned_data["language"], by=request.user
        )
    except (ValidationError, PermissionDenied) as refusal:
        for message in getattr(refusal, "messages", [str(refusal)]):
            messages.error(request, message)
    else:
        if issued:
            count = len(issued)
            messages.success(
                request,
                ngettext("%(count)s certificate issued.", "%(count)s certificates issued.", count)
                % {"count": count},
            )
        else:
            messages.warning(request, _("No certificate to issue: everyone who completed already has one."))
    return redirect("trainings:completion", pk=session.pk)
