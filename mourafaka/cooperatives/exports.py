"""Exports of cooperative lists. The columns are those of the import template, so that an
exported file can be corrected and imported again."""

from django.core.files.base import ContentFile
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from mourafaka.accounts import policy
from mourafaka.accounts.models import User
from mourafaka.core.exports import log_personal_data_access, xlsx_bytes
from mourafaka.core.jobs import report_progress, run_job
from mourafaka.core.masking import mask_phone

from .filters import filters_from_parameters
from .queries import cooperatives_for

CHUNK = 2000
COLUMNS = [
    "registration_number", "name_fr", "name_ar", "creation_date", "activity_start_date", "region_code",
    "province_code", "sector", "rural", "members_total", "members_women", "members_youth", "president_name",
    "phone", "email", "ice", "legal_status_ok", "national_programmes",
]  # fmt: skip


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def export_rows(user, queryset, *, on_progress=None):
    """The rows of `queryset` in the import layout; phones masked for roles that may not read them."""
    phone_in_clear = policy.sees_personal_field(user, "phone")
    queryset = queryset.select_related("region", "province", "sector").prefetch_related("national_programmes")
    for index, cooperative in enumerate(queryset.iterator(chunk_size=CHUNK), start=1):
        yield [
            cooperative.registration_number,
            cooperative.name_fr,
            cooperative.name_ar,
            cooperative.creation_date.isoformat() if cooperative.creation_date else "",
            cooperative.activity_start_date.isoformat() if cooperative.activity_start_date else "",
            cooperative.region.code,
            cooperative.province.code,
            cooperative.sector.code if cooperative.sector else "",
            _yes_no(cooperative.rural),
            cooperative.members_total,
            cooperative.members_women,
            cooperative.members_youth,
            cooperative.president_name,
            cooperative.phone if phone_in_clear else mask_phone(cooperative.phone),
            cooperative.email,
            cooperative.ice,
            _yes_no(cooperative.legal_status_ok),
            ";".join(programme.code for programme in cooperative.national_programmes.all()),
        ]
        if on_progress and index % CHUNK == 0:
            on_progress(index)


def _export_xlsx(job) -> dict:
    user = User.objects.get(pk=job.owner_id)
    with translation.override(job.parameters.get("language") or "fr"):
        queryset = cooperatives_for(user, **filters_from_parameters(job.parameters))
        total = queryset.count()
        report_progress(job.pk, done=0, total=total)
        content, rows = xlsx_bytes(
            sheet_title=_("Cooperatives"),
            header=COLUMNS,
            rows=export_rows(user, queryset, on_progress=lambda done: report_progress(job.pk, done=done)),
        )
    job.result_file.save(f"cooperatives-{job.pk}.xlsx", ContentFile(content), save=True)
    log_personal_data_access(user=user, action="cooperatives.export_xlsx", filters=job.parameters, rows=rows)
    return {"rows": rows}


@task()
def export_cooperatives_task(job_id: int) -> dict:
    return run_job(job_id, _export_xlsx)
