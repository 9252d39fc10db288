from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render

from mourafaka.accounts.access import get_for_user
from mourafaka.core.audit import history_of

from .models import Edition, Phase, Programme


@login_required
def programme_list(request):
    programmes = Programme.objects.visible_to(request.user).prefetch_related("editions")
    return render(request, "programmes/list.html", {"programmes": programmes})


@login_required
def edition_detail(request, pk):
    edition = get_for_user(
        Edition.objects.select_related("programme").prefetch_related(
            Prefetch("phases", queryset=Phase.objects.prefetch_related("regions")),
            "quotas__region",
        ),
        request.user,
        pk=pk,
    )
    quotas = list(edition.quotas.all())
    context = {
        "edition": edition,
        "quotas": quotas,
        "quota_total": sum(quota.places for quota in quotas),
        "history": history_of(edition, limit=10),
    }
    return render(request, "programmes/edition_detail.html", context)
