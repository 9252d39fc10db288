"""Pages of personal-data requests: a member's data exported (access request) or erased.

The member is fetched with `get_for_user` (outside one's scope: 404); the policy then says who may
export (head office, the delegate of the province) and who may erase (head office): others get 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.cooperatives.models import Member

from . import personal_data
from .models import ErasureRecord

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(member: Member, user, file_format: str) -> HttpResponse:
    if file_format == "xlsx":
        content = personal_data.export_member_data_xlsx(member=member, by=user)
        response = HttpResponse(content, content_type=XLSX)
    else:
        file_format = "json"
        content = personal_data.export_member_data(member=member, by=user)
        response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="member-{member.pk}-data.{file_format}"'
    return response


@login_required
@require_POST
def member_export(request, pk):
    member = get_for_user(Member, request.user, pk=pk, action="trust.export_member_data")
    return export_response(member, request.user, request.POST.get("format", "json"))


class AnonymiseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("E.g. the request of the person, with its date and reference."),
        max_length=2000,
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the names, national ID and phone are erased for good."),
    )


@login_required
def member_anonymise(request, pk):
    member = get_for_user(
        Member.objects.select_related("cooperative"), request.user, pk=pk, action="trust.anonymise_member"
    )
    if ErasureRecord.objects.filter(member=member).exists():
        messages.info(request, str(personal_data.ALREADY_ANONYMISED))
        return redirect("cooperatives:members:detail", pk=member.pk)
    form = AnonymiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            personal_data.anonymise_member(member=member, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The member's personal data were erased."))
            return redirect("cooperatives:members:detail", pk=member.pk)
    context = {"member": member, "cooperative": member.cooperative, "form": form}
    return render(request, "trust/anonymise.html", context, status=400 if form.errors else 200)


@login_required
def erasure_list(request):
    """Erasures done (head office): who, when, why — never the erased values."""
    policy.require(request.user, "trust.anonymise_member")
    erasures = ErasureRecord.objects.select_related("by", "member__cooperative")[:200]
    return render(request, "trust/erasures.html", {"erasures": erasures})
