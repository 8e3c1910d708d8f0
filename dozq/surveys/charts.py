"""Charts drawn on the server as accessible SVG.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and summarised by
its ``<desc>`` (``aria-labelledby`` / ``aria-describedby``), carries its numbers as text labels,
and is shown with its table beside it. Colours are presentation attributes
(``fill``), never ``style`` attributes: the Content-Security-Policy forbids those.
"""

from functools import cache, lru_cache

from markupsafe import Markup, escape

WIDTH = 640
VALUE_AREA = 130
FONT = 15
LINE = 19
BAR = 22
GAP = 14
TEXT = "#1f2937"
MUTED = "#4b5563"
TRACK = "#e5e7eb"
BAR_FILL = "#1d4ed8"
#: From «worst» to «best»; dark ends carry white text, light middles dark text.
SCALE_COLOURS = {
    3: ["#b91c1c", "#d1d5db", "#15803d"],
    4: ["#b91c1c", "#fca5a5", "#86efac", "#15803d"],
    5: ["#b91c1c", "#fca5a5", "#d1d5db", "#86efac", "#15803d"],
}
DARK = {"#b91c1c", "#15803d", "#1d4ed8", "#1e3a8a", "#0f766e", "#7c3aed"}
YEAR_COLOURS = ["#93c5fd", "#1d4ed8", "#1e3a8a", "#0f766e", "#7c3aed"]
WRAP = 72


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.0f}\u00a0%"


def decimal(value: float | None, places: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:.{places}f}".replace(".", ",")


def _lines(text: str, width: int = WRAP) -> list[str]:
    """Greedy word wrap (textwrap's generality costs more than a whole chart)."""
    if len(text) <= width:
        # Most labels: one line, only the spaces between words made single.
        return [" ".join(text.split())]
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines


@cache
def _style(size=FONT, fill=TEXT, anchor="start", weight=None) -> str:
    """The attributes of a ``<text>`` after its position, up to its content: charts
    draw dozens of labels in a few styles, so each style is written once."""
    bold = f' font-weight="{weight}"' if weight else ""
    return f'" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{bold}>'


def _text(x, y, content, *, size=FONT, fill=TEXT, anchor="start", weight=None) -> str:
    style = _style(size, fill, anchor, weight)
    return f'<text x="{x:.1f}" y="{y:.1f}{style}{escape(content)}</text>'


#: The style of the «count (share)» after a bar.
_VALUE = _style(weight="600")
#: The styles of a scale's labels (the legend) and of the shares on its bar.
_PLAIN = _style()
_SHARE_ON_DARK = _style(fill="#ffffff", anchor="middle", weight="700")
_SHARE_ON_LIGHT = _style(anchor="middle", weight="700")


def _svg(chart_id: str, title: str, desc: str, height: float, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} '
        f'{height:.0f}" role="img" focusable="false" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


@lru_cache(maxsize=1024)
def _bar_layout(labels: tuple[str, ...]) -> tuple[tuple[tuple[str, str, str], ...], float]:
    """What of a bar chart depends on its labels only, which stay as the answers come:
    per option (its label lines and the track, the ``y`` of its bar, the start of
    its «count (share)»), and the height of the chart."""
    rows = []
    y = 4.0
    bar_width = WIDTH - VALUE_AREA
    for label in labels:
        texts = []
        for line in _lines(label):
            y += LINE
            texts.append(_text(0, y - 4, line))
        y += 4
        texts.append(f'<rect x="0" y="{y:.1f}" width="{bar_width}" height="{BAR}" fill="{TRACK}"/>')
        value = f'<text x="{bar_width + 8:.1f}" y="{y + BAR - 6:.1f}{_VALUE}'
        rows.append(("".join(texts), f"{y:.1f}", value))
        y += BAR + GAP
    return tuple(rows), y


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, int, float | None]]) -> Markup:
    """Horizontal bars: one per option, its label above, «count (share)» after it.
    Shares are of the respondents, so bars of a multiple choice may add up past 100 %."""
    layout, height = _bar_layout(tuple(label for label, _count, _value in rows))
    bar_width = WIDTH - VALUE_AREA
    body = []
    append = body.append
    for (head, y, value_start), (_label, count, value) in zip(layout, rows, strict=True):
        length = bar_width * (value or 0)
        # «count (share)»: digits only, nothing to escape.
        if length > 0:
            append(
                f'{head}<rect x="0" y="{y}" width="{length:.1f}" height="{BAR}" '
                f'fill="{BAR_FILL}"/>{value_start}{count} ({percent(value)})</text>'
            )
        else:
            append(f"{head}{value_start}{count} ({percent(value)})</text>")
    top = max(rows, key=lambda row: row[1], default=None)
    desc = (
        f"Найчастіша відповідь: «{top[0]}», {top[1]} ({percent(top[2])})."
        if top and top[1]
        else "Відповідей ще немає."
    )
    return _svg(chart_id, title, desc, height, body)


def scale_chart(
    chart_id: str, title: str, rows: list[tuple[str, int, float | None]], mean: float | None
) -> Markup:
    """One bar split by the points of a scale (lowest left), with a legend below."""
    colours = SCALE_COLOURS.get(len(rows), SCALE_COLOURS[5])
    shares = [percent(value) for _label, _count, value in rows]
    body = []
    append = body.append
    y = 8.0
    x = 0.0
    for (_label, _count, value), shown, colour in zip(rows, shares, colours, strict=False):
        width = WIDTH * (value or 0)
        if width <= 0:
            continue
        append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BAR + 10}" '
            f'fill="{colour}"/>'
        )
        if width >= 44:
            # The share: digits only, nothing to escape.
            style = _SHARE_ON_DARK if colour in DARK else _SHARE_ON_LIGHT
            append(f'<text x="{x + width / 2:.1f}" y="{y + BAR:.1f}{style}{shown}</text>')
        x += width
    y += BAR + 10 + GAP
    for (label, count, _value), shown, colour in zip(rows, shares, colours, strict=False):
        append(f'<rect x="0" y="{y + 3:.1f}" width="16" height="16" fill="{colour}"/>')
        for line in _lines(f"{label}: {count} ({shown})", WRAP - 4):
            y += LINE
            append(f'<text x="24.0" y="{y - 2:.1f}{_PLAIN}{escape(line)}</text>')
        y += 6
    if mean is not None:
        y += LINE
        append(_text(0, y - 2, f"Середній бал: {decimal(mean)}", weight="700"))
    y += 6
    parts = [
        f"{label} — {shown}" for (label, _count, _value), shown in zip(rows, shares, strict=True)
    ]
    desc = "; ".join(parts) + (f". Середній бал {decimal(mean)}." if mean is not None else ".")
    return _svg(chart_id, title, desc, y, body)


def dynamics_chart(
    chart_id: str,
    title: str,
    years: list[tuple[int, str]],
    rows: list[tuple[str, dict[int, float | None]]],
) -> Markup:
    """Grouped bars: for each question, one bar per school year (share of positive answers)."""
    body = []
    y = 4.0
    bar_width = WIDTH - VALUE_AREA
    colours = {
        year: YEAR_COLOURS[index % len(YEAR_COLOURS)] for index, (year, _) in enumerate(years)
    }
    # Legend first: the colours of the years.
    x = 0.0
    y += LINE
    for year, label in years:
        body.append(
            f'<rect x="{x:.1f}" y="{y - 14:.1f}" width="16" height="16" fill="{colours[year]}"/>'
        )
        body.append(_text(x + 22, y, f"{label} н. р."))
        x += 150
    y += GAP
    summary = []
    for label, values in rows:
        for line in _lines(label):
            y += LINE
            body.append(_text(0, y - 4, line, weight="600"))
        y += 4
        for year, year_label in years:
            value = values.get(year)
            body.append(
                f'<rect x="0" y="{y:.1f}" width="{bar_width}" height="{BAR - 4}" fill="{TRACK}"/>'
            )
            if value:
                body.append(
                    f'<rect x="0" y="{y:.1f}" width="{bar_width * value:.1f}" '
                    f'height="{BAR - 4}" fill="{colours[year]}"/>'
                )
            body.append(
                _text(bar_width + 8, y + BAR - 9, f"{year_label}: {percent(value)}", size=14)
            )
            y += BAR
        y += GAP
        summary.append(
            f"{label}: "
            + ", ".join(f"{year_label} — {percent(values.get(year))}" for year, year_label in years)
        )
    desc = "Частка позитивних відповідей за навчальними роками. " + "; ".join(summary)
    return _svg(chart_id, title, desc, y, body)
