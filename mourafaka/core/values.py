"""Reading the values people type in spreadsheets: dates, yes/no, numbers, phones, IDs, codes.

Plain functions over text, without the database, so that any feature (imports, forms, commands)
can reuse them and hypothesis can test them. Each returns the normalised value, or None / "" for
a blank cell, or raises `InvalidValue`.

`InvalidValue` carries an English message id marked with `gettext_noop` and its parameters, not a
translated text: an import stores its problems and shows them later, to a person whose language
may have changed since; `str(error)` translates at the last moment (Django's documented use of
`gettext_noop`).
"""

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext, gettext_noop

from .text import fold_digits, search_key


class InvalidValue(ValueError):
    """A value that cannot be read; `message` is an English msgid, `params` its placeholders."""

    def __init__(self, message: str, **params):
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return translate(self.message, self.params)


def translate(message: str, params: Mapping | None = None) -> str:
    """The message in the active language, its placeholders filled."""
    text = gettext(message)
    return text % params if params else text


BLANK_MARKERS = frozenset({"", "-", "—", "n/a", "na", "null", "none"})


def text(value) -> str:
    """A cell as text: surrounding and repeated spaces removed (non-breaking ones too)."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def is_blank(value: str) -> bool:
    return value.casefold() in BLANK_MARKERS if len(value) <= 4 else False


ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
DATE_FORMATS = gettext_noop("Write dates as YYYY-MM-DD or DD/MM/YYYY.")


def parse_date(value: str) -> dt.date | None:
    """`YYYY-MM-DD` or `DD/MM/YYYY`, in Western or Arabic-Indic digits."""
    value = fold_digits(text(value))
    if is_blank(value):
        return None
    match = ISO_DATE.match(value)
    if match:
        year, month, day = match.groups()
    else:
        match = FRENCH_DATE.match(value)
        if not match:
            raise InvalidValue(DATE_FORMATS)
        day, month, year = match.groups()
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as error:
        raise InvalidValue(gettext_noop("This date does not exist.")) from error


YES = frozenset({"yes", "y", "oui", "o", "1", "true", "vrai", "نعم"})
NO = frozenset({"no", "n", "non", "0", "false", "faux", "لا"})


def parse_bool(value: str) -> bool | None:
    """yes/no, oui/non, نعم/لا, 1/0, true/false, o/n."""
    value = fold_digits(text(value)).casefold()
    if value in YES:
        return True
    if value in NO:
        return False
    if is_blank(value):
        return None
    raise InvalidValue(gettext_noop("Answer yes or no (oui/non, نعم/لا, 1/0)."))


WHOLE_NUMBER = re.compile(r"^\d+(?:\.0+)?$")


def parse_count(value: str) -> int | None:
    """A whole number, zero or more ("12", "١٢", "12.0" as spreadsheets write numbers)."""
    value = fold_digits(text(value)).replace(" ", "")
    if is_blank(value):
        return None
    if not WHOLE_NUMBER.match(value):
        raise InvalidValue(gettext_noop("Write a whole number, zero or more."))
    return int(value.split(".")[0])


def choice_map(choices: Mapping[str, str]) -> dict[str, str]:
    """Index the spellings of a list of choices by their search key, for `parse_choice`."""
    return {search_key(spelling): code for spelling, code in choices.items()}


@lru_cache(maxsize=4096)
def _choice_key(value: str) -> str:
    """`search_key` of a choice as written: the same few spellings again and again in a file."""
    return search_key(value)


def parse_choice(raw: str, choices: Mapping[str, str], /, *, message: str, **params) -> str | None:
    """The code of a choice given by any of its spellings (`choices` built by `choice_map`)."""
    value = text(raw)
    if is_blank(value):
        return None
    try:
        return choices[_choice_key(value)]
    except KeyError:
        raise InvalidValue(message, **params) from None


SEXES = choice_map(
    {
        "F": "F",
        "M": "M",
        "femme": "F",
        "homme": "M",
        "female": "F",
        "male": "M",
        "féminin": "F",
        "masculin": "M",
        "H": "M",
        "أنثى": "F",
        "ذكر": "M",
        "امرأة": "F",
        "رجل": "M",
    }
)


def parse_sex(value: str) -> str | None:
    """F or M, from F/M, femme/homme, female/male, أنثى/ذكر."""
    return parse_choice(value, SEXES, message=gettext_noop("Write F or M (femme/homme, أنثى/ذكر)."))


PHONE_PUNCTUATION = re.compile(r"[\s.\-/()]")
MOROCCO = 212
# The usual ways of writing a Moroccan number: 0612345678, 612345678, 00212612345678, +212612345678,
# in ASCII digits once Arabic-Indic ones are folded (other scripts' digits go to the full parser,
# which normalises them: `\d` would let them through as they are).
MOROCCAN_FORMS = re.compile(r"^(?:\+212|00212|0)?([1-9][0-9]{8})$")


def _moroccan_rules():
    """The library's validity rules for the numbers it reads as Moroccan (region MA), compiled once.

    `phonenumbers.is_valid_number` finds the region of a +212 number (MA when MA's leading digits
    match, else EH), then checks the national number against that region's general pattern and
    each type's pattern (mobile, fixed line, VoIP, toll free…) one by one through its own helpers:
    about 50 µs a number. Here MA's leading-digits pattern, general pattern and the union of its
    type patterns are taken from the same metadata and compiled into three expressions, which
    give the same answer in about 1 µs (tests/test_values.py compares both with hypothesis).
    Returns None, and the library decides every number, if the metadata is not as expected.
    """
    try:
        from phonenumbers.phonemetadata import PhoneMetadata

        if tuple(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(MOROCCO, ()))[:1] != ("MA",):
            return None
        metadata = PhoneMetadata.metadata_for_region("MA")
        if metadata is None or not metadata.leading_digits or metadata.country_code != MOROCCO:
            return None

        def pattern(desc) -> str | None:  # as `_is_number_matching_desc` reads it, for 9 digits
            if desc is None or not desc.national_number_pattern:
                return None
            if desc.possible_length and 9 not in desc.possible_length:
                return None
            return desc.national_number_pattern

        general = pattern(metadata.general_desc)
        if general is None:
            return None
        kinds = [
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
            metadata.fixed_line,
        ]
        if not metadata.same_mobile_and_fixed_line_pattern:
            kinds.append(metadata.mobile)
        types = [found for found in map(pattern, kinds) if found]
        if not types:
            return None
        return (
            re.compile(metadata.leading_digits),
            re.compile(general),
            re.compile("|".join(f"(?:{found})" for found in types)),
        )
    except Exception:  # noqa: BLE001 - another version of the library: keep to its own functions
        return None


MOROCCAN_RULES = _moroccan_rules()


def moroccan_number_is_valid(national: str) -> bool:
    """Whether +212 followed by `national` (9 digits, the first not 0) is a valid number: exactly
    `phonenumbers.is_valid_number`, through the compiled rules when the number is of region MA."""
    if MOROCCAN_RULES is not None:
        leading, general, types = MOROCCAN_RULES
        if leading.match(national):  # the library's region for this number is MA
            return general.fullmatch(national) is not None and types.fullmatch(national) is not None
    number = phonenumbers.PhoneNumber(country_code=MOROCCO, national_number=int(national))
    return phonenumbers.is_valid_number(number)


def parse_phone(value: str) -> str:
    """A Moroccan phone number in its international form +212XXXXXXXXX.

    Accepts 06…, 6…, 00212…, +212…, with spaces, dots or dashes, in any digits. The usual forms
    skip the (slow) general parser and go straight to the library's validity rules, compiled once
    (`moroccan_number_is_valid`), which is what lets an import check hundreds of thousands of
    numbers quickly; anything else is parsed in full.
    """
    value = PHONE_PUNCTUATION.sub("", fold_digits(text(value)))
    if is_blank(value):
        return ""
    if value.startswith("'"):  # a cell neutralised against formula injection
        value = value[1:]
    usual = MOROCCAN_FORMS.match(value)
    if usual:
        national = usual.group(1)
        if not moroccan_number_is_valid(national):
            raise InvalidValue(gettext_noop("This is not a valid Moroccan phone number."))
        return f"+{MOROCCO}{national}"
    try:
        number = phonenumbers.parse(value, "MA")
    except phonenumbers.NumberParseException as error:
        raise InvalidValue(gettext_noop("This is not a phone number.")) from error
    if number.country_code != MOROCCO:
        raise InvalidValue(gettext_noop("Only Moroccan phone numbers (+212) are accepted."))
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(gettext_noop("This is not a valid Moroccan phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


ICE = re.compile(r"^\d{15}$")


def parse_ice(value: str) -> str:
    """The ICE (identifiant commun de l'entreprise): exactly 15 digits."""
    value = fold_digits(text(value)).replace(" ", "")
    if is_blank(value):
        return ""
    if not ICE.match(value):
        raise InvalidValue(gettext_noop("An ICE has exactly 15 digits."))
    return value


CIN = re.compile(r"^[A-Z]{1,2}\d{3,8}$")
CIN_NOISE = re.compile(r"[\s\-./]")


def parse_cin(value: str) -> str:
    """A national ID number (CIN): one or two letters then 3 to 8 digits, upper case, no spaces.

    No official format is published, so the check stays loose."""
    value = CIN_NOISE.sub("", fold_digits(text(value))).upper()
    if is_blank(value):
        return ""
    if not CIN.match(value):
        raise InvalidValue(gettext_noop("A CIN is one or two letters followed by 3 to 8 digits."))
    return value


def parse_email(value: str) -> str:
    value = text(value)
    if is_blank(value):
        return ""
    try:
        validate_email(value)
    except ValidationError as error:
        raise InvalidValue(gettext_noop("This is not a valid e-mail address.")) from error
    return value


REGION_CODE = re.compile(r"^\d{1,2}$")
PROVINCE_CODE = re.compile(r"^(\d{1,2})[.\s]?(\d{3})$")


def parse_region_code(value: str) -> str:
    """A region's HCP code on two digits: "07", also written "7"."""
    value = fold_digits(text(value))
    if is_blank(value):
        return ""
    if value.endswith(".0"):  # a spreadsheet that stored the code as a number
        value = value[:-2]
    if not REGION_CODE.match(value):
        raise InvalidValue(gettext_noop("A region code has one or two digits, such as 07."))
    return value.zfill(2)


def parse_province_code(value: str) -> str:
    """A province's HCP code RR.PPP: "07.431", also written "07431" or "7.431"."""
    value = fold_digits(text(value))
    if is_blank(value):
        return ""
    match = PROVINCE_CODE.match(value)
    if not match:
        raise InvalidValue(gettext_noop("A province code is written RR.PPP, such as 07.431."))
    region, province = match.groups()
    return f"{region.zfill(2)}.{province}"


LIST_SEPARATORS = re.compile(r"[,;|]")


def split_list(value: str) -> list[str]:
    """The items of a list separated by `,` `;` or `|`, blanks left out."""
    return [item for item in (text(part) for part in LIST_SEPARATORS.split(text(value))) if item]


def amount_text(value, *, cents_when_whole: bool = True) -> str:
    """An amount in dirhams for a message, thousands separated by spaces: "350 000.00" (or
    "350 000" with `cents_when_whole=False`), "12 500.50"."""
    value = Decimal(value)
    whole = not cents_when_whole and value == value.to_integral_value()
    return (f"{value:,.0f}" if whole else f"{value:,.2f}").replace(",", " ")
