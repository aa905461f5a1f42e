"""The server-drawn SVG charts: a bar and a sparkline, each an image with its text
alternative, drawn to scale, with every text escaped."""

from __future__ import annotations

import re
from datetime import date

from markupsafe import Markup

from app.services import charts

MONTHS = [date(2026, month, 1) for month in range(1, 13)]


def filled_width(svg: str) -> float | None:
    """The width of the bar's filled part (None when nothing is filled)."""
    widths = re.findall(r'<rect x="1" y="1" width="([\d.]+)"', svg)
    return float(widths[0]) if widths else None


def test_a_bar_is_an_image_whose_text_says_what_it_shows(app):
    svg = charts.share_bar(74, 120)

    assert isinstance(svg, Markup)
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'role="img"' in svg
    assert 'aria-label="62 % av 120"' in svg
    assert "<title>62 % av 120</title>" in svg
    assert filled_width(svg) == round(78 * 0.62, 1)


def test_a_bar_is_drawn_to_scale_and_never_beyond_its_frame(app):
    assert filled_width(charts.bar(0, "0 %")) is None
    assert filled_width(charts.bar(None, "inget värde")) is None
    assert filled_width(charts.bar(100, "100 %")) == 78
    assert filled_width(charts.bar(250, "för mycket")) == 78
    assert filled_width(charts.bar(-5, "för lite")) is None
    assert "<title>0 % av 0</title>" in charts.share_bar(0, 0)


def test_the_colours_have_at_least_3_to_1_contrast_against_white():
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for colour in (charts.FILL, charts.OUTLINE):
        assert 1.05 / (luminance(colour) + 0.05) >= 3, colour


def test_a_trend_describes_its_first_and_last_values(app):
    points = [(month, None) for month in MONTHS[:3]] + [
        (month, 40 + 2 * n) for n, month in enumerate(MONTHS[3:])]

    svg = charts.trend(points, "Kvitterade styrdokument")

    description = "Kvitterade styrdokument: från 40 % i april 2026 till 56 % i december 2026"
    assert f'aria-label="{description}"' in svg
    assert f"<title>{description}</title>" in svg
    assert 'role="img"' in svg
    assert len(re.findall(r"<polyline ", svg)) == 1
    # Nine monthly points and the last one marked larger.
    assert len(re.findall(r'<circle [^>]*r="1.8"', svg)) == 9
    assert len(re.findall(r'<circle [^>]*r="3.2"', svg)) == 1


def test_a_month_without_a_value_leaves_a_gap(app):
    points = [(MONTHS[0], 10), (MONTHS[1], 20), (MONTHS[2], None), (MONTHS[3], 30),
              (MONTHS[4], 35)]

    svg = charts.trend(points, "Klassade system")

    lines = re.findall(r'<polyline points="([^"]+)"', svg)
    assert len(lines) == 2
    assert [len(line.split()) for line in lines] == [2, 2]
    # A fixed scale: 0 % on the baseline, 100 % at the top.
    top = charts.trend([(MONTHS[0], 100), (MONTHS[1], 0)], "x")
    assert re.search(r'<polyline points="4.0,4.0 136.0,32.0"', top)


def test_a_trend_with_one_value_or_none_says_so(app):
    single = charts.trend([(MONTHS[10], None), (MONTHS[11], 62)], "Genomförda utbildningar")
    empty = charts.trend([(MONTHS[11], None)], "Avbockade checklistpunkter")

    assert "<title>Genomförda utbildningar: 62 % i december 2026</title>" in single
    assert "<polyline" not in single
    assert "<title>Avbockade checklistpunkter: inga värden ännu</title>" in empty
    assert "<circle" not in empty


def test_every_text_in_a_chart_is_escaped(app):
    label = '<script>alert("x")</script> & "citat"'

    bar = charts.bar(50, label)
    trend = charts.trend([(MONTHS[0], 20), (MONTHS[1], 30)], label)

    for svg in (bar, trend):
        assert "<script>" not in svg
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;citat&#34;" in svg
        assert svg.count("<title>") == 1
