"""The training figures that feed the indicators: members trained (each once) by sex, age band and
region, trainers trained and staff trained. Head office reads the country or a region; a delegate
reads a region of its delegation."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from mourafaka.cooperatives.models import Member
from mourafaka.territory.models import Region

from . import counts
from .access import require_counts_reader
from .forms import CountsForm

AGE_BAND_LABELS = {
    "under_25": _("under 25"),
    "25_34": _("25 to 34"),
    "35_44": _("35 to 44"),
    "45_plus": _("45 and over"),
    "unknown": _("birth date unknown"),
}


@login_required
def counts_page(request):
    require_counts_reader(request.user)
    form = CountsForm(request.GET or None, user=request.user)
    filters = form.filters()
    members = counts.members_trained_breakdown(**filters)
    regions = {region.code: region for region in Region.objects.filter(code__in=members["by_region"])}
    sex_labels = dict(Member.Sex.choices)
    context = {
        "form": form,
        "region": filters["region"],
        "members": members,
        "by_sex": [(sex_labels.get(sex, sex), count) for sex, count in members["by_sex"].items()],
        "by_age_band": [(AGE_BAND_LABELS[band], count) for band, count in members["by_age_band"].items()],
        "by_region": [(regions.get(code), code, count) for code, count in members["by_region"].items()],
        "trainers": counts.trainers_trained(**filters),
        "staff": counts.staff_trained(**filters),
    }
    return render(request, "trainings/counts/page.html", context)
