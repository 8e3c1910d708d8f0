"""The founder's dashboard: institutions side by side, filters, an XLSX export."""

import io

from flask import Blueprint, Response, g, render_template, request
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from dozq.publication.charts import trend_chart
from dozq.publication.founder import founder_board
from dozq.tenancy.access import requires
from dozq.tenancy.models import Role
from dozq.web.cache import RenderedCache
from dozq.web.htmx import render_around

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

T = "publication/"

#: Fill colours of the heat map in the spreadsheet (the same palette as dozq.css).
XLSX_FILLS = {"level-1": "C6EFCE", "level-2": "CDEBEF", "level-3": "FFEB9C", "level-4": "FFC7CE"}


def _filters() -> tuple[int | None, str | None, list[str]]:
    errors = []
    school_year = None
    raw_year = (request.args.get("school_year") or "").strip()
    if raw_year:
        if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100:
            school_year = int(raw_year)
        else:
            errors.append("Оберіть навчальний рік зі списку.")
    direction = (request.args.get("direction") or "").strip() or None
    if direction is not None and len(direction) > 40:
        errors.append("Оберіть напрям зі списку.")
        direction = None
    return school_year, direction, errors


def year_label(year: int) -> str:
    return f"{year}/{year + 1}"


#: The rendered board of each founder, institutions' data versions and filters
#: (some 100 kB each with a hundred institutions).
boards = RenderedCache(64)


@bp.get("/")
@requires(Role.FOUNDER_ADMIN)
def index():
    """All institutions (alphabetically): regulation, cycle, levels, questionnaires, trends.

    The board is kept while no institution of the founder writes anything: its key
    holds each institution's ``data_version`` (renewed by every transaction that
    writes the institution's data), so no change is ever missed."""
    school_year, direction, errors = _filters()
    key = (g.founder.id, g.founder.slug, g.institution_versions, school_year, direction)
    kept = None if errors else boards.get(key)
    if kept is None:
        board = founder_board(school_year, direction)
        if direction is not None and direction not in dict(board.trend_directions):
            errors.append("Оберіть напрям зі списку.")
            board = founder_board(school_year, None)
        chart = trend_chart(
            [
                (year_label(year), value, f"{value:.2f}".replace(".", ","))
                for year, value, _count in board.trend
            ],
            "Середній бал за напрямами за роками (оприлюднені результати)",
        )
        fragment = Markup(
            render_template(
                T + "_founder_board.html",
                board=board,
                errors=errors,
                chart=chart,
                year_label=year_label,
            )
        )
        kept = board, fragment
        if not errors:
            boards.put(key, kept)
    board, fragment = kept
    return render_around(
        T + "founder_dashboard.html",
        fragment,
        status=422 if errors else 200,
        board=board,
        board_fragment=fragment,
        year_label=year_label,
    )


@bp.get("/export.xlsx")
@requires(Role.FOUNDER_ADMIN)
def export():
    """The same table as a spreadsheet."""
    school_year, direction, _errors = _filters()
    board = founder_board(school_year, direction)
    book = Workbook()
    sheet = book.active
    sheet.title = "Заклади"
    header = ["Заклад", "Положення", "Самооцінювання", "Стан циклу"]
    header += [f"{code} {text}" for code, text in board.directions]
    header += ["Анкетування (відповіді, охоплення)"]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in board.rows:
        values = [
            row.institution.short_name,
            row.regulation,
            row.cycle_title or "немає циклу",
            row.cycle_status.label if row.cycle_status else "",
        ]
        fills = []
        for cell in row.cells.values():
            values.append(cell.text)
            fills.append(XLSX_FILLS.get(cell.css))
        values.append("; ".join(f"{t}: {n}, {r}" for t, n, r in row.surveys))
        sheet.append(values)
        for offset, colour in enumerate(fills):
            if colour:
                sheet.cell(sheet.max_row, 5 + offset).fill = PatternFill(
                    "solid", start_color=colour, end_color=colour
                )
    trend = book.create_sheet("Динаміка")
    trend.append(["Навчальний рік", "Середній бал", "Закладів з оприлюдненими результатами"])
    for year, value, count in board.trend:
        trend.append([year_label(year), float(value), count])
    out = io.BytesIO()
    book.save(out)
    name = f"{g.founder.slug}-dashboard-{board.school_year or 'all'}.xlsx"
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
