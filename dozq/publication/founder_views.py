"""The founder's dashboard: institutions side by side, filters, an XLSX export."""

import io

from flask import Blueprint, Response, g, get_template_attribute, request, url_for
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from dozq.publication.charts import trend_chart
from dozq.publication.founder import founder_board
from dozq.tenancy.access import requires
from dozq.tenancy.models import Role
from dozq.web.cache import KeptCache, kept_parts
from dozq.web.htmx import render

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


#: The rendered rows of the heat map, each at its institution's data version, for a
#: founder, a school year and the board's columns: some 70 kB for a hundred
#: institutions, so some 5 MB for sixty-four such boards.
rendered_rows = KeptCache(64)


def _rows_html(board) -> Markup:
    """The rows of the heat map: those kept at their institution's version reused,
    the others rendered."""
    version_of = dict(g.institution_versions)
    row_of = {row.institution.id: row for row in board.rows}
    codes = board.codes

    def render_rows(institution_ids) -> dict[int, Markup]:
        board_row = get_template_attribute(T + "_founder_board_row.html", "board_row")
        # One URL built, the slug put in for each row: url_for costs more than the row.
        public_link = url_for("public_pages.institution", institution_slug="SLUG")
        return {
            institution_id: board_row(
                row_of[institution_id],
                codes,
                public_link.replace("SLUG", row_of[institution_id].institution.slug),
            )
            for institution_id in institution_ids
        }

    rendered = kept_parts(
        rendered_rows,
        (g.founder.id, board.school_year, codes),
        tuple((institution_id, version_of[institution_id]) for institution_id in row_of),
        render_rows,
    )
    return Markup("").join(rendered[row.institution.id] for row in board.rows)


@bp.get("/")
@requires(Role.FOUNDER_ADMIN)
def index():
    """All institutions (alphabetically): regulation, cycle, levels, questionnaires, trends.

    Each institution's part of the board, and its rendered row, is kept at its
    ``data_version`` (renewed by every transaction that writes the institution's
    data): no change is ever missed, and after a write only the institutions that
    wrote are read and rendered again."""
    school_year, direction, errors = _filters()
    board = founder_board(school_year, direction, g.institution_versions)
    if direction is not None and direction not in dict(board.trend_directions):
        errors.append("Оберіть напрям зі списку.")
        board = founder_board(school_year, None, g.institution_versions)
    chart = trend_chart(
        [
            (year_label(year), value, f"{value:.2f}".replace(".", ","))
            for year, value, _count in board.trend
        ],
        "Середній бал за напрямами за роками (оприлюднені результати)",
    )
    return render(
        T + "founder_dashboard.html",
        T + "_founder_board.html",
        status=422 if errors else 200,
        board=board,
        rows_html=_rows_html(board),
        errors=errors,
        chart=chart,
        year_label=year_label,
    )


def _cycle_state(row) -> str:
    if row.cycle_status is None:
        return ""
    if row.levels_title:
        return f"{row.cycle_status.label}; рівні — за «{row.levels_title}»"
    return row.cycle_status.label


@bp.get("/export.xlsx")
@requires(Role.FOUNDER_ADMIN)
def export():
    """The same table as a spreadsheet."""
    school_year, direction, _errors = _filters()
    board = founder_board(school_year, direction, g.institution_versions)
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
            _cycle_state(row),
        ]
        fills = []
        for cell in board.cells(row).values():
            values.append(cell.text)
            fills.append(XLSX_FILLS.get(cell.css))
        values.append("; ".join(f"{t}: {n}, {r}" for t, n, r in row.surveys))
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":
                # Institutions' own words (a title that starts with «=»): text, never run.
                cell.data_type = "s"
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
