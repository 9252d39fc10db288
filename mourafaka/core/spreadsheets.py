"""Helpers shared by every spreadsheet export."""

import re

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d[\d .,]*")


def safe_cell(value):
    """Neutralise text that a spreadsheet would run as a formula (CSV/formula injection).

    Text starting with = + - @ (or a tab/carriage return) gets a leading apostrophe, except plain
    numbers such as "+212612345678" or "-12.5", which a spreadsheet reads as numbers, never as code.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
