"""A radar chart of axis scores as inline SVG, drawn on the server (no JavaScript, CSP-safe)."""

import math

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

SIZE = 320
CENTRE = SIZE / 2
RADIUS = 110


def _point(index: int, count: int, value: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    distance = RADIUS * max(0.0, min(100.0, value)) / 100
    return CENTRE + distance * math.cos(angle), CENTRE + distance * math.sin(angle)


def _polygon(values: list[float], count: int) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in (_point(i, count, v) for i, v in enumerate(values)))


def radar_svg(labels: list[str], series: list[tuple[str, list[float | None]]], *, title: str) -> SafeString:
    """`series` is [(css class, scores 0..100 or None per axis)]; the first is the diagnostic itself.

    `labels` are short (the axis numbers of the table beside the chart), so that they stay
    readable on a phone and in either direction of writing."""
    count = len(labels)
    if count < 3:
        return SafeString("")
    rings = format_html_join(
        "",
        '<polygon class="radar-ring" points="{}"/>',
        ((_polygon([level] * count, count),) for level in (25, 50, 75, 100)),
    )
    spokes = format_html_join(
        "",
        '<line class="radar-spoke" x1="{}" y1="{}" x2="{}" y2="{}"/>',
        ((CENTRE, CENTRE, *(f"{c:.1f}" for c in _point(i, count, 100))) for i in range(count)),
    )
    shapes = format_html_join(
        "",
        '<polygon class="{}" points="{}"/>',
        (
            (css, _polygon([v or 0 for v in values], count))
            for css, values in series
            if any(v is not None for v in values)
        ),
    )
    texts = []
    for i, label in enumerate(labels):
        x, y = _point(i, count, 114)
        texts.append((f"{x:.1f}", f"{y + 6:.1f}", "middle", label))
    text_markup = format_html_join(
        "", '<text class="radar-label" x="{}" y="{}" text-anchor="{}">{}</text>', texts
    )
    return format_html(
        '<svg class="radar" viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title>{}{}{}{}</svg>",
        SIZE,
        SIZE,
        title,
        title,
        rings,
        spokes,
        shapes,
        text_markup,
    )
