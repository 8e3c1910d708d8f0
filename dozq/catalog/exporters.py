"""Writing a catalog as YAML (the import schema) and as XLSX (the annex's table)."""

import io

import yaml

from dozq.catalog.importers.tables import META_SHEET
from dozq.catalog.models import ItemKind, Method
from dozq.catalog.tree import Node

CHILDREN_KEY = {
    ItemKind.DIRECTION: "requirements",
    ItemKind.REQUIREMENT: "criteria",
    ItemKind.CRITERION: "indicators",
}

TABLE_HEADERS = [
    "Вимога/правило організації освітніх і управлінських процесів у закладі дошкільної освіти",
    "Критерії оцінювання",
    "Індикатори оцінювання",
]
METHOD_HEADERS = {
    Method.SURVEY: "Опитування (анкетування)",
    Method.SURVEY_INTERVIEW: "Інтерв’ю",
    Method.SURVEY_FOCUS_GROUP: "Фокус-група",
    Method.OBSERVATION: "Спостереження",
    Method.DOCUMENTS: "Вивчення документації",
}
META_HEADERS = [
    "Код",
    "Рівень",
    "Статус формулювання",
    "Пояснення",
    "Увімкнено",
    "Власний елемент закладу",
    "Цитата з рекомендацій",
    "Джерело",
]


def _node_dict(node: Node) -> dict:
    data: dict = {"code": node.code}
    data["text" if node.kind is ItemKind.INDICATOR else "title"] = node.text
    data["wording_status"] = node.wording_status.value
    if node.seed_quote:
        data["seed_quote"] = node.seed_quote
    if node.source:
        data["source"] = node.source
    if not node.enabled:
        data["enabled"] = False
    if node.is_own:
        data["own"] = True
    if node.kind is ItemKind.INDICATOR:
        data["methods"] = list(node.methods)
    else:
        data[CHILDREN_KEY[node.kind]] = [_node_dict(child) for child in node.children]
    return data


def to_yaml(
    directions: list[Node],
    *,
    name: str,
    origin: str,
    edition: str = "",
    note: str = "",
    source: str = "",
    comment: str = "",
) -> str:
    """The catalog in the schema of starter.yaml; importing it gives the same catalog."""
    document = {"name": name}
    if edition:
        document["version"] = edition
    document["origin"] = origin
    if note:
        document["note"] = note
    if source:
        document["source"] = source
    document["directions"] = [_node_dict(direction) for direction in directions]
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    return header + yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, width=100, default_flow_style=None
    )


def _label(node: Node) -> str:
    return f"{node.code}. {node.text}"


def to_xlsx(directions: list[Node], *, title: str = "Каталог") -> bytes:
    """The annex's table: requirement, criterion and indicator columns with merged cells,
    a tick column per method, a merged row per direction; plus a «Відомості» sheet
    with each item's status, so that importing the file gives the same catalog."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31] or "Каталог"
    methods = list(METHOD_HEADERS)
    headers = TABLE_HEADERS + [METHOD_HEADERS[m] for m in methods]
    width = len(headers)
    sheet.append(headers)
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = wrap

    def put(row: int, column: int, value: str) -> None:
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # text, never a formula
        cell.alignment = wrap

    def merge_down(column: int, first: int, last: int) -> None:
        if last > first:
            sheet.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)

    row = 2
    for direction in directions:
        put(row, 1, f"Напрям {direction.code}. {direction.text}")
        sheet.cell(row=row, column=1).font = Font(bold=True)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1
        for requirement in direction.children:
            requirement_row = row
            put(row, 1, _label(requirement))
            if not requirement.children:
                row += 1
            for criterion in requirement.children:
                criterion_row = row
                put(row, 2, _label(criterion))
                if not criterion.children:
                    row += 1
                for indicator in criterion.children:
                    put(row, 3, _label(indicator))
                    for offset, method in enumerate(methods):
                        if method.value in indicator.methods:
                            put(row, 4 + offset, "+")
                    row += 1
                merge_down(2, criterion_row, row - 1)
            merge_down(1, requirement_row, row - 1)
    for column, size in zip("ABCDEFGH", (45, 45, 60, 14, 12, 12, 16, 16), strict=True):
        sheet.column_dimensions[column].width = size
    sheet.freeze_panes = "A2"

    meta = workbook.create_sheet(META_SHEET)
    meta.append(META_HEADERS)
    for cell in meta[1]:
        cell.font = Font(bold=True)
    for direction in directions:
        for node in direction.walk():
            meta.append(
                [
                    node.code,
                    node.kind.label,
                    node.wording_status.value,
                    node.wording_status.label,
                    "так" if node.enabled else "ні",
                    "так" if node.is_own else "ні",
                    node.seed_quote,
                    node.source,
                ]
            )
            for cell in meta[meta.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    for column, size in zip("ABCDEFGH", (14, 16, 16, 50, 10, 12, 50, 30), strict=True):
        meta.column_dimensions[column].width = size
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
