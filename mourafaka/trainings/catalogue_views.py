"""Pages of the catalogue of training modules, read by every staff role and the cooperatives."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from mourafaka.accounts import policy

from . import evaluations, queries
from .access import require_catalogue_reader
from .forms import ModuleFilterForm
from .models import Module, Trainer


@login_required
def module_list(request):
    require_catalogue_reader(request.user)
    form = ModuleFilterForm(request.GET or None)
    modules = Module.objects.visible_to(request.user).filter(active=True)
    if form.is_valid():
        for field in ("theme", "audience"):
            if form.cleaned_data[field]:
                modules = modules.filter(**{field: form.cleaned_data[field]})
    modules = sorted(modules, key=lambda module: (_theme_order(module.theme), module.order, module.code))
    themes = [
        (module_group[0].get_theme_display(), module_group)
        for module_group in (
            list(group) for _theme, group in groupby(modules, key=lambda module: module.theme)
        )
    ]
    context = {
        "form": form,
        "themes": themes,
        "count": len(modules),
        "can_manage": bool(policy.check(request.user, "trainings.manage_catalogue")),
    }
    return render(request, "trainings/catalogue/list.html", context)


def _theme_order(theme: str) -> int:
    return (
        list(Module.Theme.values).index(theme) if theme in Module.Theme.values else len(Module.Theme.values)
    )


@login_required
def module_detail(request, pk):
    require_catalogue_reader(request.user)
    module = get_object_or_404(Module.objects.visible_to(request.user), pk=pk)
    trainers = (
        Trainer.objects.visible_to(request.user)
        .filter(modules=module, active=True)
        .prefetch_related("regions")
    )
    context = {
        "module": module,
        "trainers": trainers,
        "sessions": queries.sessions_for(request.user, module=module).select_related("region", "province")[
            :50
        ],
        "averages": evaluations.module_averages(module),
        "can_manage": bool(policy.check(request.user, "trainings.manage_catalogue")),
    }
    return render(request, "trainings/catalogue/detail.html", context)
