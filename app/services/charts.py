"""Small charts drawn on the server as plain SVG: a bar beside a percentage and a sparkline
of a key figure over the year. No JavaScript and no inline style (the Content-Security-
Policy forbids both; SVG presentation attributes are not style). Every chart is an image
with its text alternative, and the numbers themselves stand in the table beside it, so
nothing is said only in a picture.

Colours have at least 3:1 contrast against white (WCAG 1.4.11): the filled bar and the line
#00507a (8.6:1), the bar's outline and the baseline #6b7580 (4.8:1).
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup

from app.services.audience_report import Tally

FILL = "#00507a"
OUTLINE = "#6b7580"
TRACK = "#ffffff"

BAR_WIDTH, BAR_HEIGHT = 80, 12
TREND_WIDTH, TREND_HEIGHT, TREND_PAD = 140, 36, 4


_SVG = Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{w}" height="{h}" '
              'viewBox="0 0 {w} {h}" role="img" aria-label="{label}" focusable="false">'
              '<title>{label}</title>{body}</svg>')
_RECT = Markup('<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"{stroke}/>')
_LINE = Markup('<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{stroke}" stroke-width="1"/>')
_POLYLINE = Markup('<polyline points="{points}" fill="none" stroke="{stroke}" stroke-width="2" '
                   'stroke-linejoin="round"/>')
_CIRCLE = Markup('<circle cx="{x}" cy="{y}" r="{r}" fill="{fill}"/>')


def _svg(width: int, height: int, label: str, body: list[Markup]) -> Markup:
    """The chart as one image; `format` escapes the label (and would escape any text)."""
    return _SVG.format(w=width, h=height, label=label, body=Markup("").join(body))


def _clamped(percent: float | None) -> float:
    return 0.0 if percent is None else max(0.0, min(100.0, float(percent)))


def bar(percent: float | None, label: str) -> Markup:
    """A horizontal bar filled to `percent` (0–100) whose text alternative is `label`
    (the caller says what it shows, e.g. "62 % av 120")."""
    filled = round((BAR_WIDTH - 2) * _clamped(percent) / 100, 1)
    body = [_RECT.format(x=0.5, y=0.5, w=BAR_WIDTH - 1, h=BAR_HEIGHT - 1, fill=TRACK,
                         stroke=Markup(' stroke="{}"').format(OUTLINE))]
    if filled > 0:
        body.append(_RECT.format(x=1, y=1, w=filled, h=BAR_HEIGHT - 2, fill=FILL, stroke=""))
    return _svg(BAR_WIDTH, BAR_HEIGHT, label, body)


def percent(done: int, total: int) -> int:
    """Done out of total in whole percent, rounded as everywhere in the portal."""
    return Tally("", total, done).percent


def share_bar(done: int, total: int) -> Markup:
    """The bar of `done` out of `total`, described as "62 % av 120"."""
    share = percent(done, total)
    return bar(share, _("%(percent)d %% av %(total)d", percent=share, total=total))


def month_label(month: date) -> str:
    """"januari 2026"."""
    return format_date(month, "LLLL y")


def describe(points: list[tuple[date, float | None]], label: str) -> str:
    """The sparkline in words: the first and the last value and their months."""
    known = [(month, value) for month, value in points if value is not None]
    if not known:
        return _("%(label)s: inga värden ännu", label=label)
    (first_month, first), (last_month, last) = known[0], known[-1]
    if len(known) == 1:
        return _("%(label)s: %(value)d %% i %(month)s", label=label, value=round(last),
                 month=month_label(last_month))
    return _("%(label)s: från %(first)d %% i %(first_month)s till %(last)d %% i "
             "%(last_month)s", label=label, first=round(first),
             first_month=month_label(first_month), last=round(last),
             last_month=month_label(last_month))


def _position(index: int, count: int, value: float) -> tuple[float, float]:
    span_x = TREND_WIDTH - 2 * TREND_PAD
    span_y = TREND_HEIGHT - 2 * TREND_PAD
    x = TREND_PAD + (span_x * index / (count - 1) if count > 1 else span_x)
    y = TREND_PAD + span_y * (100 - _clamped(value)) / 100
    return round(x, 1), round(y, 1)


def trend(points: list[tuple[date, float | None]], label: str) -> Markup:
    """A sparkline of percentages (0–100, a fixed scale so a flat year looks flat) over the
    months in `points`; a month without a value leaves a gap in the line."""
    bottom = TREND_HEIGHT - TREND_PAD + 0.5
    body = [_LINE.format(x1=TREND_PAD, x2=TREND_WIDTH - TREND_PAD, y=bottom, stroke=OUTLINE)]
    runs: list[list[tuple[float, float]]] = [[]]
    for index, (_month, value) in enumerate(points):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(_position(index, len(points), value))
    for run in runs:
        if len(run) > 1:
            body.append(_POLYLINE.format(points=" ".join(f"{x},{y}" for x, y in run),
                                         stroke=FILL))
        body += [_CIRCLE.format(x=x, y=y, r=1.8, fill=FILL) for x, y in run]
    last = next((run for run in reversed(runs) if run), None)
    if last:
        x, y = last[-1]
        body.append(_CIRCLE.format(x=x, y=y, r=3.2, fill=FILL))
    return _svg(TREND_WIDTH, TREND_HEIGHT, describe(points, label), body)
