"""The rules a member record obeys, shared by the forms, the API, the import and the services.

* CIN (national ID card): one or two letters then digits ("EE123456"), stored upper case
  without spaces. No official format is published, so the check is loose on lengths.
* Phone: a Moroccan number, stored in international form (+212…), parsed with `phonenumbers`.
* Birth date and consent date: not in the future. Consent given without a date is dated today;
  a withdrawn consent loses its date.
* A CIN belongs to one person: another member holding it is refused with that reason.
"""

import datetime as dt
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CIN_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9]{3,8}$")
CIN_SEPARATORS = re.compile(r"[\s\-./]+")
MOROCCO = "MA"
MOROCCO_CODE = 212

INVALID_CIN = _("A national ID (CIN) is one or two letters followed by digits, e.g. EE123456.")
# The holder is not named: they may belong to a cooperative the user may not see.
CIN_TAKEN = _("This national ID (CIN) is already used by another person in the registry.")
INVALID_PHONE = _("Give a Moroccan phone number, e.g. 0612345678 or +212 612 345 678.")
FUTURE_BIRTH = _("A birth date cannot be in the future.")
FUTURE_CONSENT = _("The date of consent cannot be in the future.")


def normalise_cin(value: str | None) -> str | None:
    """ " ee 123-456 " → "EE123456"; empty → None. Raises ValidationError on another shape."""
    if value is None:
        return None
    cleaned = CIN_SEPARATORS.sub("", str(value)).upper()
    if not cleaned:
        return None
    if not CIN_PATTERN.match(cleaned):
        raise ValidationError(INVALID_CIN, code="invalid_cin")
    return cleaned


def normalise_phone(value: str | None) -> str:
    """ "06 12 34 56 78" → "+212612345678"; empty → "". Raises ValidationError when not Moroccan."""
    if not value or not str(value).strip():
        return ""
    try:
        number = phonenumbers.parse(str(value), MOROCCO)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(INVALID_PHONE, code="invalid_phone") from error
    if number.country_code != MOROCCO_CODE or not phonenumbers.is_valid_number(number):
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_cin_free(cin: str | None, *, exclude_pk=None) -> None:
    from .models import Member

    if cin and Member.objects.filter(cin=cin).exclude(pk=exclude_pk).exists():
        raise ValidationError(CIN_TAKEN, code="cin_taken")


def check_birth_date(birth_date: dt.date | None) -> None:
    if birth_date and birth_date > timezone.localdate():
        raise ValidationError(FUTURE_BIRTH, code="future")


def consent_date_for(consent: bool, consent_date: dt.date | None) -> dt.date | None:
    """Consent given without a date is dated today; a withdrawn consent keeps no date."""
    if not consent:
        return None
    consent_date = consent_date or timezone.localdate()
    if consent_date > timezone.localdate():
        raise ValidationError(FUTURE_CONSENT, code="future")
    return consent_date


def validate_member(member) -> None:
    """Normalise `member` in place and raise one ValidationError listing every problem by field."""
    errors: dict[str, list] = {}

    def attempt(field: str, check):
        try:
            return check()
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.error_list)
            return getattr(member, field)

    member.cin = attempt("cin", lambda: normalise_cin(member.cin))
    member.phone = attempt("phone", lambda: normalise_phone(member.phone))
    attempt("birth_date", lambda: check_birth_date(member.birth_date))
    member.consent_date = attempt(
        "consent_date", lambda: consent_date_for(member.consent, member.consent_date)
    )
    if "cin" not in errors:
        attempt("cin", lambda: check_cin_free(member.cin, exclude_pk=member.pk))
    if errors:
        raise ValidationError(errors)
