"""Masking of personal data for the roles that may not read it in clear."""

MASK = "•"


def mask(value: str | None, *, keep_start: int = 2, keep_end: int = 2) -> str:
    """ "AB123456" → "AB••••56"; short values are masked whole; empty stays empty."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= keep_start + keep_end + 1:
        return MASK * len(value)
    return value[:keep_start] + MASK * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_phone(value: str | None) -> str:
    """ "+212612345678" → "+2126••••••78": the country code and operator digit stay readable."""
    return mask(value, keep_start=5, keep_end=2)
