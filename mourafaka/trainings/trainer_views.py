"""Pages of the trainers: the list (head office, the delegates for the trainers covering their
regions), a profile (a trainer reads their own), creation and changes (`trainings.manage_trainers`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Max, Min
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mourafaka.accounts import policy
from mourafaka.accounts.models import Role

from .access import get_trainer_for_user, require_staff_reader
from .forms import TrainerFilterForm, TrainerForm
from .models import Session, Trainer
from .trainer_profiles import save_trainer


@login_required
def trainer_list(request):
    user = request.user
    require_staff_reader(user)
    if policy.role_of(user) == Role.TRAINER:
        own = Trainer.objects.filter(user=user).first()
        if own is not None:
            return redirect("trainings:trainer", pk=own.pk)
    form = TrainerFilterForm(request.GET or None)
    trainers = Trainer.objects.visible_to(user).prefetch_related("regions", "modules").order_by("full_name")
    if form.is_valid():
        if form.cleaned_data["region"]:
            trainers = trainers.filter(regions=form.cleaned_data["region"])
        if form.cleaned_data["module"]:
            trainers = trainers.filter(modules=form.cleaned_data["module"])
    context = {
        "form": form,
        "trainers": trainers.distinct(),
        "can_add": bool(policy.check(user, "trainings.manage_trainers")),
    }
    return render(request, "trainings/trainers/list.html", context)


@login_required
def trainer_detail(request, pk):
    trainer = get_trainer_for_user(request.user, pk)
    sessions = (
        trainer.sessions.select_related("module", "region", "province")
        .annotate(first_day=Min("days__date"), last_day=Max("days__date"))
        .order_by("-first_day")
    )
    context = {
        "trainer": trainer,
        "regions": trainer.regions.order_by("code"),
        "modules": trainer.modules.all(),
        "sessions": sessions.filter(pk__in=_visible_session_ids(request.user)),
        "can_change": bool(policy.check(request.user, "trainings.manage_trainers", trainer)),
    }
    return render(request, "trainings/trainers/detail.html", context)


def _visible_session_ids(user):
    return Session.objects.visible_to(user).values("pk")


def _edit(request, trainer: Trainer):
    form = TrainerForm(request.POST or None, instance=trainer)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_trainer(
                trainer=form.save(commit=False),
                regions=form.cleaned_data["regions"],
                modules=form.cleaned_data["modules"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The trainer's profile is saved."))
            return redirect("trainings:trainer", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "trainings/trainers/form.html", {"form": form, "trainer": trainer}, status=status)


@login_required
def trainer_create(request):
    policy.require(request.user, "trainings.manage_trainers")
    return _edit(request, Trainer())


@login_required
def trainer_edit(request, pk):
    trainer = get_trainer_for_user(request.user, pk, write_action="trainings.manage_trainers")
    return _edit(request, trainer)
