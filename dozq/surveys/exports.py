"""Results as files: CSV (UTF-8 with BOM, «;» between fields and decimal commas, as
Ukrainian spreadsheet programs open it) and XLSX. Only what the results page may
show: aggregates, with hidden groups and questions left hidden; written answers
go to the XLSX (a sheet of their own, without groups) when the view is shown."""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from dozq.surveys.charts import decimal
from dozq.surveys.models import QuestionKind
from dozq.surveys.queries import Filters, Results, open_answers

HEADER = [
    "№",
    "Питання",
    "Тип питання",
    "Варіант відповіді",
    "Кількість",
    "Частка респондентів, %",
    "Респондентів",
    "Середній бал",
    "Частка позитивних відповідей, %",
]
HIDDEN = "приховано (замало відповідей)"


def _rows(view: Results) -> list[list]:
    rows = []
    for result in view.questions:
        question = result.question
        common = [result.number, _safe(question.text), question.kind.label]
        if result.hidden:
            rows.append([*common, HIDDEN, "", "", "", "", ""])
            continue
        mean = result.mean
        positive = result.share_positive
        summary = [
            result.respondents,
            round(mean, 2) if mean is not None else "",
            round(positive * 100, 1) if positive is not None else "",
        ]
        if question.kind is QuestionKind.OPEN:
            rows.append([*common, "(відповіді своїми словами)", result.respondents, "", *summary])
            continue
        for item in result.options:
            rows.append(
                [
                    *common,
                    _safe(item.option.label),
                    item.count,
                    round(item.share * 100, 1) if item.share is not None else "",
                    *summary,
                ]
            )
    return rows


def _intro(view: Results) -> list[list]:
    questionnaire = view.questionnaire
    lines = [
        ["Анкета", _safe(questionnaire.title)],
        ["Респондентів", view.total if not view.hidden else HIDDEN],
    ]
    if view.filters.any:
        parts = []
        if view.filters.audience:
            parts.append(
                next((a.label for a in view.audiences if a.value == view.filters.audience), "")
            )
        if view.filters.group_id is not None:
            parts.append(view.group_names.get(view.filters.group_id, "без групи"))
        if view.filters.school_year is not None:
            year = view.filters.school_year
            parts.append(f"{year}/{year + 1} н. р.")
        lines.append(["Відбір", ", ".join(parts)])
    return lines


def _csv_value(value) -> str:
    if isinstance(value, float):
        return decimal(value, 1) if value != int(value) else str(int(value))
    return str(value)


def results_csv(view: Results) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in _intro(view):
        writer.writerow(line)
    writer.writerow([])
    writer.writerow(HEADER)
    for row in _rows(view):
        writer.writerow([_csv_value(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def results_xlsx(view: Results, filters: Filters) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Результати"
    for line in _intro(view):
        sheet.append(line)
    sheet.append([])
    sheet.append(HEADER)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in _rows(view):
        sheet.append(row)
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["D"].width = 40
    written = workbook.create_sheet("Відповіді своїми словами")
    written.append(["№", "Питання", "Відповідь"])
    for cell in written[1]:
        cell.font = Font(bold=True)
    written.column_dimensions["B"].width = 50
    written.column_dimensions["C"].width = 80
    for result in view.questions:
        question = result.question
        if result.hidden or not (
            question.kind is QuestionKind.OPEN
            or any(option.is_other for option in question.options)
        ):
            continue
        texts, _total = open_answers(question, filters, per_page=10_000)
        for text in texts:
            written.append([result.number, _safe(question.text), _safe(text)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _safe(text: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: not ours."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
