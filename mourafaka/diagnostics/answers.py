"""Turn what a form or the API sends into the stored value of an answer, or refuse it with the reason."""

import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Question

MAX_TEXT = 4000
YES = {"yes", "true", "1", "on", "oui", "نعم"}
NO = {"no", "false", "0", "off", "non", "لا"}


def is_blank(raw) -> bool:
    return raw is None or raw == "" or raw == [] or (isinstance(raw, str) and not raw.strip())


def clean_value(question: Question, raw):
    """The JSON value to store for `raw`, or ValidationError saying why it is refused.

    A blank `raw` is not handled here: the caller clears the answer instead.
    """
    cleaner = CLEANERS[question.type]
    return cleaner(question, raw)


def _yes_no(question, raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValidationError(_("Answer yes or no."), code="yes_no")


def _scale(question, raw) -> int:
    if isinstance(raw, bool):
        raise ValidationError(_("Choose a level from 0 to 4."), code="scale")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationError(_("Choose a level from 0 to 4."), code="scale") from None
    if value != value.to_integral_value() or not 0 <= value <= 4:
        raise ValidationError(_("Choose a level from 0 to 4."), code="scale")
    return int(value)


def _number(question, raw) -> float | int:
    if isinstance(raw, bool):
        raise ValidationError(_("Answer with a number."), code="number")
    try:
        value = Decimal(str(raw).strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ValidationError(_("Answer with a number."), code="number") from None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise ValidationError(_("Answer with a number."), code="number")
    if question.min_value is not None and value < question.min_value:
        raise ValidationError(
            _("The number must be at least %(minimum)s."), code="min", params={"minimum": question.min_value}
        )
    if question.max_value is not None and value > question.max_value:
        raise ValidationError(
            _("The number must be at most %(maximum)s."), code="max", params={"maximum": question.max_value}
        )
    number = float(value)
    return int(value) if value == value.to_integral_value() and math.isfinite(number) else number


def _choice_codes(question) -> set[str]:
    return {choice["code"] for choice in question.choices}


def _single(question, raw) -> str:
    if not isinstance(raw, str) or raw not in _choice_codes(question):
        raise ValidationError(_("Choose one of the options offered."), code="choice")
    return raw


def _multiple(question, raw) -> list[str]:
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list | tuple) or not all(isinstance(value, str) for value in values):
        raise ValidationError(_("Choose among the options offered."), code="choices")
    unknown = set(values) - _choice_codes(question)
    if unknown:
        raise ValidationError(_("Choose among the options offered."), code="choices")
    order = [choice["code"] for choice in question.choices]
    return [code for code in order if code in set(values)]


def _text(question, raw) -> str:
    if not isinstance(raw, str):
        raise ValidationError(_("Enter a text."), code="text")
    text = raw.strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(
            _("Keep the answer under %(limit)s characters."), code="text_length", params={"limit": MAX_TEXT}
        )
    return text


CLEANERS = {
    Question.Type.YES_NO: _yes_no,
    Question.Type.SCALE_0_4: _scale,
    Question.Type.NUMBER: _number,
    Question.Type.SINGLE_CHOICE: _single,
    Question.Type.MULTIPLE_CHOICE: _multiple,
    Question.Type.TEXT: _text,
}
