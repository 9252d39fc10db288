"""Pages of a certificate: its PDF (French or Arabic) and its revocation. A certificate is seen by
head office, the delegate of the session's province, the session's trainers and the cooperative of
its holder; anybody else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mourafaka.accounts.access import get_for_user

from . import certificates
from .models import Certificate


def get_certificate_for_user(user, pk, *, action: str | None = None) -> Certificate:
    """The certificate `pk` if `user` may see it (404 otherwise), with `action` checked (403)."""
    return get_for_user(
        Certificate.objects.select_related(
            "registration__session__module",
            "registration__session__region",
            "registration__session__province",
        ),
        user,
        action=action,
        pk=pk,
    )


@login_required
def download(request, pk):
    certificate = get_certificate_for_user(request.user, pk)
    language = certificates.pdf_language(request.GET.get("lang"), certificate)
    content = certificates.certificate_pdf(certificate, language=language)
    response = HttpResponse(content, content_type="application/pdf")
    filename = certificates.certificate_filename(certificate, language)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def revoke(request, pk):
    certificate = get_certificate_for_user(request.user, pk, action="trainings.revoke_certificate")
    try:
        certificates.revoke_certificate(
            certificate=certificate, reason=request.POST.get("reason", ""), by=request.user
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The certificate %(code)s is revoked.") % {"code": certificate.code})
    return redirect("trainings:session", pk=certificate.registration.session_id)
