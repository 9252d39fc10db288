from hypothesis import given
from hypothesis import strategies as st

from mourafaka.core.spreadsheets import safe_cell

DANGEROUS = ("=", "+", "-", "@")


@given(st.sampled_from(DANGEROUS), st.text())
def test_text_that_could_run_as_a_formula_is_neutralised(prefix, rest):
    value = prefix + rest
    result = safe_cell(value)
    if result == value:  # only plain numbers are left as they are
        assert rest.strip(" .,0123456789") == "" and any(char.isdigit() for char in rest[:1])
    else:
        assert result == "'" + value


@given(st.text().filter(lambda text: not text.startswith(("=", "+", "-", "@", "\t", "\r"))))
def test_other_text_is_unchanged(value):
    assert safe_cell(value) == value


def test_examples():
    assert safe_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert safe_cell("+212612345678") == "+212612345678"
    assert safe_cell("-12.5") == "-12.5"
    assert safe_cell(42) == 42
