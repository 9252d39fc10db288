"""The public verification page of a training certificate (/verify/<code>/, no sign-in).

It confirms a certificate and says nothing more: the holder's name, the module, the first and last
day, the date of issue and whether it is valid or revoked (with the date, never the reason). An
unknown code answers 404 with one plain sentence, the same whatever was typed."""

from dataclasses import dataclass
from datetime import date, datetime

from django.shortcuts import render

from .certificates import find_certificate


@dataclass(frozen=True)
class VerifiedCertificate:
    """All the page may show of a certificate (nothing here reaches the template by accident)."""

    holder_name: str
    module_title: str
    first_day: date
    last_day: date
    issued_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def verify(request, code):
    certificate = find_certificate(code)
    if certificate is None:
        response = render(request, "trainings/verify.html", {"found": None}, status=404)
    else:
        found = VerifiedCertificate(
            holder_name=certificate.holder_name,
            module_title=certificate.module_title,
            first_day=certificate.first_day,
            last_day=certificate.last_day,
            issued_at=certificate.issued_at,
            revoked_at=certificate.revoked_at,
        )
        response = render(request, "trainings/verify.html", {"found": found})
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
