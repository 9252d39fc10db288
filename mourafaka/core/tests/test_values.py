import datetime as dt

import phonenumbers
import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from mourafaka.core import values
from mourafaka.core.values import InvalidValue

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The assertions read the English source messages."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-07", dt.date(2024, 3, 7)),
        ("07/03/2024", dt.date(2024, 3, 7)),
        ("7/3/2024", dt.date(2024, 3, 7)),
        (" ٢٠٢٤-٠٣-٠٧ ", dt.date(2024, 3, 7)),
        ("", None),
        ("-", None),
    ],
)
def test_dates_are_read_in_both_formats(text, expected):
    assert values.parse_date(text) == expected


@pytest.mark.parametrize("text", ["03-07-2024", "2024/03/07", "mars 2024", "20240307"])
def test_other_date_formats_are_refused_with_the_expected_formats(text):
    with pytest.raises(InvalidValue) as error:
        values.parse_date(text)
    assert "YYYY-MM-DD" in str(error.value)


def test_a_date_that_does_not_exist_is_refused():
    with pytest.raises(InvalidValue, match="does not exist"):
        values.parse_date("31/02/2024")


@given(dates)
def test_any_date_written_either_way_reads_back(date):
    assert values.parse_date(date.isoformat()) == date
    assert values.parse_date(date.strftime("%d/%m/%Y")) == date


@given(dates, st.sampled_from([ARABIC_INDIC, PERSIAN]))
def test_arabic_indic_digits_read_as_ascii_in_dates(date, digits):
    assert values.parse_date(date.strftime("%d/%m/%Y").translate(digits)) == date


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from([ARABIC_INDIC, PERSIAN]))
def test_arabic_indic_digits_read_as_ascii_in_counts(number, digits):
    assert values.parse_count(str(number).translate(digits)) == number == values.parse_count(str(number))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("yes", True), ("Oui", True), ("نعم", True), ("1", True), ("١", True), ("TRUE", True), ("o", True)]
    + [
        ("no", False),
        ("NON", False),
        ("لا", False),
        ("0", False),
        ("false", False),
        ("n", False),
        ("", None),
    ],
)
def test_yes_and_no_in_three_languages(text, expected):
    assert values.parse_bool(text) is expected


def test_an_unclear_answer_is_refused():
    with pytest.raises(InvalidValue):
        values.parse_bool("peut-être")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("F", "F"), ("m", "M"), ("Femme", "F"), ("homme", "M"), ("female", "F"), ("Male", "M")]
    + [("أنثى", "F"), ("انثى", "F"), ("ذكر", "M"), ("", None)],
)
def test_sex_in_three_languages(text, expected):
    assert values.parse_sex(text) == expected


def test_an_unknown_sex_is_refused():
    with pytest.raises(InvalidValue, match="F or M"):
        values.parse_sex("X")


@pytest.mark.parametrize(
    "text",
    ["0612345678", "06 12 34 56 78", "06.12.34.56.78", "612345678", "00212612345678", "+212612345678"]
    + ["+212 6-12-34-56-78", "٠٦١٢٣٤٥٦٧٨", "+212 (0)6 12 34 56 78"],
)
def test_moroccan_phones_are_normalised(text):
    assert values.parse_phone(text) == "+212612345678"


def test_a_landline_is_normalised():
    assert values.parse_phone("0524 62 34 56") == "+212524623456"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("+33612345678", "Only Moroccan"),
        ("0033612345678", "Only Moroccan"),
        ("0612", "not a valid"),
        ("0112345678", "not a valid"),
        ("call me", "not a phone"),
    ],
)
def test_foreign_or_invalid_phones_are_refused(text, message):
    with pytest.raises(InvalidValue, match=message):
        values.parse_phone(text)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda digits: digits[0] != "0")


@given(nine_digits, st.sampled_from(["0{}", "{}", "00212{}", "+212{}", "+212 {}"]))
def test_phone_normalisation_is_idempotent_and_agrees_with_the_library(digits, form):
    text = form.format(digits)
    try:
        normalised = values.parse_phone(text)
    except InvalidValue:
        number = phonenumbers.parse("+212" + digits)
        assert not phonenumbers.is_valid_number(number)
        return
    assert normalised == "+212" + digits
    assert values.parse_phone(normalised) == normalised
    reference = phonenumbers.parse("0" + digits, "MA")
    assert phonenumbers.is_valid_number(reference)
    assert phonenumbers.format_number(reference, phonenumbers.PhoneNumberFormat.E164) == normalised


def _library_parse_phone(text):
    """What phonenumbers alone makes of a cell (after the same clean-up as parse_phone)."""
    value = values.PHONE_PUNCTUATION.sub("", values.fold_digits(values.text(text)))
    if values.is_blank(value):
        return ""
    if value.startswith("'"):
        value = value[1:]
    try:
        number = phonenumbers.parse(value, "MA")
    except phonenumbers.NumberParseException:
        return "not a phone number"
    if number.country_code != 212:
        return "Only Moroccan"
    if not phonenumbers.is_valid_number(number):
        return "not a valid Moroccan"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse_phone_outcome(text):
    try:
        return values.parse_phone(text)
    except InvalidValue as error:
        return {
            "This is not a phone number.": "not a phone number",
            "Only Moroccan phone numbers (+212) are accepted.": "Only Moroccan",
            "This is not a valid Moroccan phone number.": "not a valid Moroccan",
        }[error.message]


def test_the_compiled_moroccan_rules_are_in_use():
    assert values.MOROCCAN_RULES is not None  # else every number goes through the library (slow)


# Nine digits, the first not 0, biased towards the ranges of Moroccan numbers (5 to 8 first).
national_numbers = st.one_of(
    st.integers(min_value=100_000_000, max_value=999_999_999).map(str),
    st.from_regex(r"[5-8][0-9]{8}", fullmatch=True),
    st.from_regex(r"(?:5[2-9]|6[0-9]|7[0-7]|8[09])[0-9]{7}", fullmatch=True),
)


@settings(max_examples=1000, deadline=None)
@given(national_numbers)
def test_the_compiled_rules_agree_with_the_library(national):
    number = phonenumbers.PhoneNumber(country_code=212, national_number=int(national))
    assert values.moroccan_number_is_valid(national) == phonenumbers.is_valid_number(number)


def test_the_compiled_rules_agree_with_the_library_on_every_five_digit_prefix():
    """Today's Moroccan patterns look at five leading digits at most: try each prefix once."""
    differ = []
    for prefix in range(50_000, 90_000):
        national = f"{prefix}{prefix * 7919 % 10_000:04d}"
        number = phonenumbers.PhoneNumber(country_code=212, national_number=int(national))
        if values.moroccan_number_is_valid(national) != phonenumbers.is_valid_number(number):
            differ.append(national)
    assert not differ


phone_texts = st.one_of(
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["", "0", "00212", "+212", "+212 ", "'0", "+212 (0)", " 0"]),
        national_numbers,
        st.sampled_from(["", " ", "-"]),
    ),
    st.builds(
        "{}{}".format, st.sampled_from(["", "0", "+212"]), st.from_regex(r"[1-9]\d{8}", fullmatch=True)
    ),
    st.text(alphabet="0123456789+ ()-./'٠١٢٣٤٥٦٧٨٩", max_size=18),
    st.text(max_size=12),
)


@settings(max_examples=1000, deadline=None)
@given(phone_texts)
def test_parse_phone_gives_what_the_library_alone_gives(text):
    assert _parse_phone_outcome(text) == _library_parse_phone(text)


def test_ice_has_fifteen_digits():
    assert values.parse_ice("001 234 567 000 089") == "001234567000089"
    assert values.parse_ice("") == ""
    for wrong in ("12345", "1234567890123456", "1.23457E+14"):
        with pytest.raises(InvalidValue, match="15 digits"):
            values.parse_ice(wrong)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ab123456", "AB123456"), (" J 12345 ", "J12345"), ("BK-٦٧٨٩٠", "BK67890"), ("", "")],
)
def test_cin_is_upper_case_without_spaces(text, expected):
    assert values.parse_cin(text) == expected


@pytest.mark.parametrize("text", ["123456", "ABC12345", "A12", "AB123456789", "A-B"])
def test_implausible_cins_are_refused(text):
    with pytest.raises(InvalidValue, match="CIN"):
        values.parse_cin(text)


@given(st.from_regex(r"[A-Z]{1,2}[0-9]{3,8}", fullmatch=True))
def test_cin_parsing_is_idempotent(cin):
    assert values.parse_cin(cin) == cin
    assert values.parse_cin(cin.lower().translate(ARABIC_INDIC)) == cin


def test_region_and_province_codes_take_their_usual_forms():
    assert (
        values.parse_region_code("7")
        == values.parse_region_code("07")
        == values.parse_region_code("٠٧")
        == "07"
    )
    assert values.parse_region_code("7.0") == "07"
    for text in ("07.431", "07431", "7.431", "07 431"):
        assert values.parse_province_code(text) == "07.431"
    with pytest.raises(InvalidValue):
        values.parse_region_code("Safi")
    with pytest.raises(InvalidValue):
        values.parse_province_code("07.43")


def test_lists_split_on_commas_semicolons_and_bars():
    assert values.split_list("INDH, Moazara;PMV | GG") == ["INDH", "Moazara", "PMV", "GG"]
    assert values.split_list("  ") == []


def test_counts_are_whole_numbers():
    assert values.parse_count("12") == 12
    assert values.parse_count("12.0") == 12
    assert values.parse_count("1 200") == 1200
    for wrong in ("-3", "2.5", "douze"):
        with pytest.raises(InvalidValue, match="whole number"):
            values.parse_count(wrong)


def test_email_is_checked():
    assert values.parse_email(" contact@coop.ma ") == "contact@coop.ma"
    with pytest.raises(InvalidValue):
        values.parse_email("contact@")


def test_messages_are_translated_when_shown_not_when_raised():
    error = InvalidValue("Unknown role: %(value)s.", value="chef")
    assert error.message == "Unknown role: %(value)s."
    with translation.override("en"):
        assert str(error) == "Unknown role: chef."


def test_choices_match_any_spelling_by_search_key():
    choices = values.choice_map({"président": "president", "رئيس": "president"})
    assert values.parse_choice("PRESIDENT", choices, message="Unknown") == "president"
    assert values.parse_choice("رئيس", choices, message="Unknown") == "president"
    with pytest.raises(InvalidValue):
        values.parse_choice("chef", choices, message="Unknown")
