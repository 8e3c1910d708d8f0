"""Server-rendered accessible SVG charts (the data is also given in a table beside)."""

from dataclasses import dataclass


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    label_x: float


@dataclass
class BarChart:
    width: int
    height: int
    bars: list
    baseline: float
    title: str


def trend_chart(points, title: str, maximum: float = 4.0) -> BarChart:
    """Bars of (label, value, value text) on a 0..maximum axis, stretched to the largest
    value when a scale of the institutions' own goes beyond it."""
    maximum = max([maximum, *(float(value or 0) for _label, value, _text in points)])
    width, height, top, bottom = 480, 200, 20, 30
    usable = height - top - bottom
    count = max(len(points), 1)
    slot = width / count
    bars = []
    for index, (label, value, text) in enumerate(points):
        bar_height = usable * float(value or 0) / maximum if maximum else 0
        x = index * slot + slot * 0.2
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(top + usable - bar_height, 1),
                width=round(slot * 0.6, 1),
                height=round(bar_height, 1),
                label=label,
                value_text=text,
                label_x=round(x + slot * 0.3, 1),
            )
        )
    return BarChart(width, height, bars, top + usable, title)
