"""The dashboard's charts as SVG, drawn by pygal on the server: no JavaScript on the page.

Each function takes plain, already translated labels and numbers and returns the SVG text to
put inline in a page or a PDF. A chart is a picture of the data table printed beside it, so
the SVG is an image with a name (`role="img"`, `aria-label`) and the table carries the
numbers for screen readers and for copying.

Rendering takes pygal some 20 ms a chart; the same data draws the same chart, so each is
kept in a small in-process cache keyed by everything drawn (labels, numbers, title).
"""

from __future__ import annotations

import base64
import math
import sys
from functools import lru_cache
from html import escape

import pygal
from pygal.style import Style

# pygal appends an import hook for its old map plugins (pygal.maps.*) that only knows the
# long-deprecated find_module, so every later failed import anywhere warns. No map is used.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

# The portal's palette (static/portal.css) and fonts that cover Korean as well as Latin.
FONTS = "'Noto Sans CJK KR', 'Noto Sans KR', 'DejaVu Sans', sans-serif"
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1d2733",
    foreground_strong="#1d2733",
    foreground_subtle="#d6d2c8",
    opacity="1",
    opacity_hover="1",
    colors=("#1f4e6b", "#c2762d", "#2f7d4a", "#8a1c14", "#6b5b95", "#4a5866", "#b08d00"),
    font_family=FONTS,
    # Large, since a phone shows the chart at about 60% of its drawn size.
    label_font_size=18,
    major_label_font_size=18,
    legend_font_size=18,
    title_font_size=18,
    value_font_size=13,
    tooltip_font_size=13,
    guide_stroke_color="#d6d2c8",
    major_guide_stroke_color="#b9b4a8",
    guide_stroke_dasharray="3,3",
    major_guide_stroke_dasharray="3,3",
)
WIDTH, HEIGHT = 560, 320

Series = tuple[tuple[str, tuple[float | None, ...]], ...]


def _options(**changes: object) -> dict[str, object]:
    options: dict[str, object] = {
        "style": STYLE,
        "js": [],  # no script: the page works without JavaScript
        "disable_xml_declaration": True,
        "width": WIDTH,
        "height": HEIGHT,
        "explicit_size": False,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 2,
        "truncate_legend": -1,
        "truncate_label": 18,
        "show_y_guides": True,
        "margin": 12,
        "no_data_text": "",
        "print_values": False,
    }
    options.update(changes)
    return options


def _named(svg: str, title: str) -> str:
    """The chart as an image named by its title (its data table follows it on the page); the
    title is the page's heading, so it is not drawn a second time."""
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)


def data_uri(svg: str) -> str:
    """The chart as an image address: pages show it in an <img>, since their Content Security
    Policy forbids the inline <style> an SVG carries (an image keeps its own styles)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@lru_cache(maxsize=256)
def bars(title: str, labels: tuple[str, ...], series: Series, horizontal: bool = False) -> str:
    """Bars for each label, one colour per series (horizontal for long category names)."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    height = max(HEIGHT, 60 + 34 * len(labels)) if horizontal else HEIGHT
    chart = kind(
        **_options(
            height=height,
            show_legend=len(series) > 1,
            x_label_rotation=0 if horizontal or len(labels) <= 6 else 30,
            show_minor_x_labels=len(labels) <= 16,
            x_labels_major_every=None if len(labels) <= 16 else max(1, len(labels) // 8),
        )
    )
    chart.x_labels = list(labels)
    chart.y_labels = _whole_steps(series)
    for name, values in series:
        chart.add(name, list(values))
    return _named(chart.render(is_unicode=True), title)


def _whole_steps(series: Series) -> list[int]:
    """Counts are whole numbers: about eight steps of a whole size from zero."""
    top = max((v for _name, values in series for v in values if v is not None), default=0)
    step = max(1, math.ceil(top / 8))
    return list(range(0, int(top) + step + 1, step))


@lru_cache(maxsize=256)
def lines(title: str, labels: tuple[str, ...], series: Series, percent: bool = True) -> str:
    """Lines over time; shares drawn on a 0 to 100 scale."""
    chart = pygal.Line(
        **_options(
            range=(0, 100) if percent else None,
            x_label_rotation=0 if len(labels) <= 6 else 30,
            show_minor_x_labels=len(labels) <= 16,
            x_labels_major_every=None if len(labels) <= 16 else max(1, len(labels) // 8),
            dots_size=3,
            allow_interruptions=True,
        )
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _named(chart.render(is_unicode=True), title)
