"""Pages of a cooperative's members, documents and likely duplicates.

Records are fetched with `get_for_user`: outside the user's scope they answer 404. Writes go
through the services (`services`, `documents`, `dedup`), which check the policy again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts import policy
from mourafaka.accounts.access import get_for_user
from mourafaka.core.audit import history_of
from mourafaka.core.files import stored_file_response
from mourafaka.core.masking import MASK, mask, mask_phone

from . import dedup, member_rules
from .documents import delete_document, upload_document
from .member_forms import DocumentForm, MemberForm
from .models import Cooperative, CooperativeDocument, DuplicateCandidate, Member, RegistrySettings
from .services import save_member, set_member_active

PAGE_SIZE = 50
STATUS_FILTERS = {"active": True, "former": False}


# ---------------------------------------------------------------------------
# Personal data on screen


def personal_fields_shown(user) -> dict[str, bool]:
    return {field: policy.sees_personal_field(user, field) for field in ("cin", "phone", "birth_date")}


def masked(member: Member, shown: dict[str, bool]) -> Member:
    """Put on `member` the CIN, phone and birth date the user may read (masked otherwise)."""
    member.shown_cin = (member.cin or "") if shown["cin"] else mask(member.cin)
    member.shown_phone = member.phone if shown["phone"] else mask_phone(member.phone)
    birth_date = member.birth_date.isoformat() if member.birth_date else ""
    member.shown_birth_date = birth_date if shown["birth_date"] else MASK * len(birth_date)
    return member


# ---------------------------------------------------------------------------
# Members


@login_required
def member_list(request, cooperative_pk):
    cooperative = get_for_user(Cooperative, request.user, pk=cooperative_pk)
    status = request.GET.get("status", "active")
    members = Member.objects.filter(cooperative=cooperative).order_by(
        "-active", "full_name_fr", "full_name_ar", "pk"
    )
    if status in STATUS_FILTERS:
        members = members.filter(active=STATUS_FILTERS[status])
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = personal_fields_shown(request.user)
    for member in page:
        masked(member, shown)
    context = {
        "cooperative": cooperative,
        "page": page,
        "status": status,
        "can_change": policy.check(request.user, "cooperatives.change_member", cooperative),
        "can_add": policy.check(request.user, "cooperatives.add_member", cooperative),
    }
    return render(request, "cooperatives/members/list.html", context)


@login_required
def member_detail(request, pk):
    member = get_for_user(Member.objects.select_related("cooperative"), request.user, pk=pk)
    context = {
        "member": masked(member, personal_fields_shown(request.user)),
        "cooperative": member.cooperative,
        "history": history_of(member, limit=20),
        "can_change": policy.check(request.user, "cooperatives.change_member", member.cooperative),
    }
    return render(request, "cooperatives/members/detail.html", context)


def _save_member_form(request, form, member: Member):
    """Save a valid form through the service; its refusals become form errors (nothing saved)."""
    try:
        member = save_member(member=form.save(commit=False), by=request.user)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    except IntegrityError:
        # Another request took this CIN between the check and the save.
        form.add_error("cin", member_rules.CIN_TAKEN)
        return None
    return member


@login_required
def member_edit(request, pk=None, cooperative_pk=None):
    user = request.user
    if pk is None:
        cooperative = get_for_user(Cooperative, user, pk=cooperative_pk, action="cooperatives.add_member")
        member = Member(cooperative=cooperative)
    else:
        member = get_for_user(Member.objects.select_related("cooperative"), user, pk=pk)
        cooperative = member.cooperative
        policy.require(user, "cooperatives.change_member", cooperative)
    form = MemberForm(request.POST or None, instance=member)
    if not policy.sees_personal_field(user, "cin"):
        del form.fields["cin"]  # who may not read a CIN does not write one either
    if request.method == "POST" and form.is_valid():
        saved = _save_member_form(request, form, member)
        if saved is not None:
            messages.success(request, _("The member was saved."))
            return redirect("cooperatives:members:detail", pk=saved.pk)
    context = {"form": form, "member": member, "cooperative": cooperative}
    return render(request, "cooperatives/members/form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def member_set_active(request, pk):
    member = get_for_user(Member.objects.select_related("cooperative"), request.user, pk=pk)
    active = request.POST.get("active") == "1"
    set_member_active(member=member, active=active, by=request.user)
    if active:
        messages.success(request, _("%(name)s is a member again.") % {"name": member.full_name})
    else:
        messages.success(request, _("%(name)s is now a former member.") % {"name": member.full_name})
    return redirect("cooperatives:members:detail", pk=member.pk)


# ---------------------------------------------------------------------------
# Documents


@login_required
def document_list(request, cooperative_pk):
    cooperative = get_for_user(Cooperative, request.user, pk=cooperative_pk)
    max_mb = RegistrySettings.current().max_upload_mb
    can_add = policy.check(request.user, "cooperatives.add_document", cooperative)
    form = DocumentForm(request.POST or None, request.FILES or None, max_mb=max_mb)
    if request.method == "POST":
        policy.require(request.user, "cooperatives.add_document", cooperative)
        if form.is_valid():
            try:
                upload_document(
                    cooperative=cooperative,
                    kind=form.cleaned_data["kind"],
                    title=form.cleaned_data["title"],
                    file=form.cleaned_data["file"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                messages.success(request, _("The document was uploaded."))
                return redirect("cooperatives:documents:list", cooperative_pk=cooperative.pk)
    context = {
        "cooperative": cooperative,
        "documents": cooperative.documents.select_related("uploaded_by"),
        "form": form if can_add else None,
        "can_delete": policy.check(request.user, "cooperatives.delete_document", cooperative),
    }
    return render(request, "cooperatives/documents/list.html", context, status=400 if form.errors else 200)


@login_required
def document_download(request, pk):
    document = get_for_user(CooperativeDocument, request.user, pk=pk)
    return stored_file_response(
        document.file, filename=document.original_name, content_type=document.content_type
    )


@login_required
@require_POST
def document_delete(request, pk):
    document = get_for_user(CooperativeDocument.objects.select_related("cooperative"), request.user, pk=pk)
    cooperative_pk = document.cooperative_id
    delete_document(document=document, by=request.user)
    messages.success(request, _("The document was deleted."))
    return redirect("cooperatives:documents:list", cooperative_pk=cooperative_pk)


# ---------------------------------------------------------------------------
# Likely duplicates


@login_required
def duplicate_list(request):
    policy.require(request.user, "cooperatives.review_duplicates")
    page = Paginator(dedup.open_candidates_for(request.user), 20).get_page(request.GET.get("page"))
    shown = personal_fields_shown(request.user)
    for candidate in page:
        first, second = dedup.sides(candidate)
        if candidate.kind == DuplicateCandidate.Kind.MEMBER:
            masked(first, shown)
            masked(second, shown)
        candidate.pair = [("a", first), ("b", second)]
    return render(request, "cooperatives/duplicates/list.html", {"page": page})


@login_required
@require_POST
def duplicate_decide(request, pk, decision):
    candidate = get_for_user(DuplicateCandidate, request.user, pk=pk, action="cooperatives.review_duplicates")
    try:
        if decision == "merge":
            dedup.merge(candidate, request.user, keep=request.POST.get("keep", "a"))
            messages.success(request, _("The two records were merged."))
        else:
            dedup.dismiss(candidate, request.user)
            messages.success(request, _("The pair was marked as not a duplicate."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("cooperatives:duplicates:list")


@login_required
@require_POST
def duplicate_scan(request):
    """Run the scan in the background over the provinces the user manages."""
    user = request.user
    policy.require(user, "cooperatives.review_duplicates")
    provinces = list(
        policy.visible(user, Cooperative.objects.all()).values_list("province_id", flat=True).distinct()
    )
    job = dedup.start_scan(owner=user, province_ids=provinces)
    return redirect("jobs:detail", pk=job.pk)
