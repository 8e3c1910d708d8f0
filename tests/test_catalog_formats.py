"""Catalog files: YAML, XLSX, CSV and DOCX tables in the annex's layout, and exports.

Each table file is built here from one list of items, in the shapes institutions
have (methods named in one column or ticked per method; a direction as a
paragraph before its table or as a merged row inside it; codes at the start of
cells; merged cells repeating a requirement or criterion); importing it must give
exactly those items. A malformed file names its place and changes nothing.
"""

import csv
import io

import docx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from dozq.catalog import importers, queries, services
from dozq.catalog.exporters import to_xlsx, to_yaml
from dozq.catalog.generate import generated_catalog
from dozq.catalog.importers.tables import interpret, read_table_file, recognise
from dozq.catalog.models import (
    CatalogItem,
    CatalogTemplate,
    CatalogTemplateItem,
    InstitutionCatalog,
    ItemKind,
    Origin,
    WordingStatus,
)
from dozq.catalog.tree import ImportFailure
from dozq.db import db
from dozq.tenancy.models import Role
from dozq.tenancy.scope import Scope, tenant_scope
from tests.factories import sign_in_as

DIR, REQ, CRI, IND = (
    ItemKind.DIRECTION,
    ItemKind.REQUIREMENT,
    ItemKind.CRITERION,
    ItemKind.INDICATOR,
)

#: (kind, code, text, methods) in reading order: the items every table file holds.
SAMPLE = [
    (DIR, "1", "Освітнє середовище закладу дошкільної освіти", []),
    (REQ, "1.1", "Створення безпечних умов розвитку, виховання, навчання дітей і праці", []),
    (CRI, "1.1.1", "Територія і приміщення закладу безпечні та доступні", []),
    (
        IND,
        "1.1.1.1",
        "Приміщення утримуються в чистоті, огляд обладнання задокументовано",
        ["observation", "documents"],
    ),
    (IND, "1.1.1.2", "Батьки вважають перебування дитини в закладі безпечним", ["survey"]),
    (CRI, "1.1.2", "У закладі дотримано норм охорони праці", []),
    (
        IND,
        "1.1.2.1",
        "Працівники знають порядок дій у надзвичайній ситуації",
        ["survey_interview", "documents"],
    ),
    (REQ, "1.2", "Створення освітнього середовища, вільного від насильства", []),
    (CRI, "1.2.1", "План заходів щодо протидії булінгу виконується", []),
    (IND, "1.2.1.1", "План затверджено й оприлюднено", ["documents"]),
    (DIR, "2", "Здобувачі дошкільної освіти. Забезпечення всебічного розвитку дитини", []),
    (REQ, "2.1", "Організація освітнього процесу на засадах дитиноцентризму", []),
    (CRI, "2.1.1", "Освітній процес ураховує інтереси дітей", []),
    (
        IND,
        "2.1.1.1",
        "Педагоги створюють умови для вибору дітьми діяльності",
        ["survey_focus_group", "observation"],
    ),
    (IND, "2.1.1.2", "Діти мають вільний доступ до матеріалів", []),
]

METHOD_ORDER = ["survey", "survey_interview", "survey_focus_group", "observation", "documents"]
TICK_HEADERS = ["Опитування (анкетування)", "Інтерв’ю", "Фокус-група", "Спостереження",
                "Вивчення документації"]  # fmt: skip
NAMES = {
    "survey": "анкетування",
    "survey_interview": "опитування (інтерв’ю)",
    "survey_focus_group": "фокус-група",
    "observation": "спостереження",
    "documents": "вивчення документації",
}
HEADERS = [
    "Вимога/правило організації освітніх і управлінських процесів у закладі дошкільної освіти",
    "Критерії оцінювання",
    "Індикатори оцінювання",
]
TICKS = ["+", "✓", "х", "x", "v"]


def flat(catalog) -> list[tuple]:
    return [(n.kind, n.code, n.text, list(n.methods)) for n in catalog.walk()]


def sample_rows():
    """One row per indicator: (direction, requirement, criterion, indicator) texts with codes."""
    rows, direction, requirement, criterion = [], None, None, None
    for kind, code, text, methods in SAMPLE:
        label = f"{code}. {text}"
        if kind is DIR:
            direction = (code, text)
        elif kind is REQ:
            requirement = label
        elif kind is CRI:
            criterion = label
        else:
            rows.append((direction, requirement, criterion, label, methods))
    return rows


def method_cells(methods, shape, row_number):
    if shape == "named":
        return [", ".join(NAMES[m] for m in methods)]
    mark = TICKS[row_number % len(TICKS)]
    return [mark if m in methods else "" for m in METHOD_ORDER]


def method_headers(shape):
    return ["Методи збору інформації"] if shape == "named" else TICK_HEADERS


# -- file builders ------------------------------------------------------------


def build_csv(shape: str, delimiter=";") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    width = 3 + len(method_headers(shape))
    writer.writerow(["Додаток 1. Орієнтовні критерії та індикатори"] + [""] * (width - 1))
    writer.writerow(HEADERS + method_headers(shape))
    last = (None, None, None)
    for number, (direction, requirement, criterion, indicator, methods) in enumerate(sample_rows()):
        if direction != last[0]:
            writer.writerow([f"Напрям {direction[0]}. {direction[1]}"] + [""] * (width - 1))
        writer.writerow(
            [
                requirement if requirement != last[1] else "",
                criterion if criterion != last[2] else "",
                indicator,
                *method_cells(methods, shape, number),
            ]
        )
        last = (direction, requirement, criterion)
    return out.getvalue().encode("utf-8-sig")


def build_xlsx(shape: str) -> bytes:
    """Merged requirement and criterion cells, a direction as a merged row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Додаток 1"
    headers = HEADERS + method_headers(shape)
    sheet.append(headers)
    width = len(headers)
    row = 2
    last = (None, None, None)
    starts = {}
    for number, (direction, requirement, criterion, indicator, methods) in enumerate(sample_rows()):
        if direction != last[0]:
            sheet.cell(row=row, column=1, value=f"Напрям {direction[0]}. {direction[1]}")
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            row += 1
        if requirement != last[1]:
            sheet.cell(row=row, column=1, value=requirement)
            starts[requirement] = row
        if criterion != last[2]:
            sheet.cell(row=row, column=2, value=criterion)
            starts[criterion] = row
        sheet.cell(row=row, column=3, value=indicator)
        for offset, value in enumerate(method_cells(methods, shape, number)):
            if value:
                sheet.cell(row=row, column=4 + offset, value=value)
        starts.setdefault(("end", requirement), row)
        starts[("end", requirement)] = row
        starts[("end", criterion)] = row
        last = (direction, requirement, criterion)
        row += 1
    for key, first in list(starts.items()):
        if isinstance(key, str):
            end = starts[("end", key)]
            column = 1 if any(key == r[1] for r in sample_rows()) else 2
            if end > first:
                sheet.merge_cells(
                    start_row=first, start_column=column, end_row=end, end_column=column
                )
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def build_docx(shape: str) -> bytes:
    """The annex as institutions have it: a paragraph «Напрям 1. …» before the table, the
    second direction as a merged row inside it, methods under a merged header."""
    document = docx.Document()
    document.add_paragraph("Додаток 1 до Методичних рекомендацій")
    document.add_paragraph("Орієнтовні критерії та індикатори для самооцінювання")
    rows = sample_rows()
    first_direction = rows[0][0]
    document.add_paragraph(f"Напрям {first_direction[0]}. {first_direction[1]}")
    methods = method_headers(shape)
    width = 3 + len(methods)
    header_rows = 2 if shape == "ticks" else 1
    directions = len({r[0] for r in rows})
    table = document.add_table(rows=header_rows + len(rows) + directions - 1, cols=width)
    for column, text in enumerate(HEADERS):
        table.cell(0, column).text = text
    if shape == "ticks":
        merged = table.cell(0, 3).merge(table.cell(0, width - 1))
        merged.text = "Методи збору інформації"
        for column in range(3):
            table.cell(0, column).merge(table.cell(1, column))
        for offset, text in enumerate(methods):
            table.cell(1, 3 + offset).text = text.lower()
    else:
        table.cell(0, 3).text = methods[0]
    index = header_rows
    last = (first_direction, None, None)
    spans: dict[str, list[int]] = {}
    for number, (direction, requirement, criterion, indicator, row_methods) in enumerate(rows):
        if direction != last[0]:
            merged = table.cell(index, 0).merge(table.cell(index, width - 1))
            merged.text = f"Напрям {direction[0]}. {direction[1]}"
            index += 1
        spans.setdefault(f"r:{requirement}", []).append(index)
        spans.setdefault(f"c:{criterion}", []).append(index)
        table.cell(index, 2).text = indicator
        for offset, value in enumerate(method_cells(row_methods, shape, number)):
            table.cell(index, 3 + offset).text = value
        last = (direction, requirement, criterion)
        index += 1
    for key, indexes in spans.items():
        column = 0 if key.startswith("r:") else 1
        cell = table.cell(indexes[0], column)
        if len(indexes) > 1:
            cell = cell.merge(table.cell(indexes[-1], column))
        cell.text = key[2:]
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


BUILDERS = {"csv": build_csv, "xlsx": build_xlsx, "docx": build_docx}


# -- reading ------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["ticks", "named"])
@pytest.mark.parametrize("suffix", ["docx", "xlsx", "csv"])
def test_table_files_give_exactly_their_items(suffix, shape):
    data = BUILDERS[suffix](shape)
    preview = importers.parse(importers.stage(f"додаток.{suffix}", data))
    assert flat(preview.catalog) == SAMPLE
    assert preview.catalog.warnings == []
    roles = preview.recognition.roles
    assert roles[:3] == ["requirement", "criterion", "indicator"]
    if shape == "named":
        assert roles[3] == "methods"
    else:
        assert roles[3:] == [f"method:{m}" for m in METHOD_ORDER]


def sample_tree():
    """SAMPLE as a tree of nodes."""
    from dozq.catalog.tree import Node

    roots, stack = [], []
    for kind, code, text, methods in SAMPLE:
        node = Node(kind, code, text, methods=list(methods))
        del stack[kind.depth :]
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def test_yaml_gives_exactly_its_items():
    text = to_yaml(sample_tree(), name="Зразок", origin="imported")
    preview = importers.parse(importers.stage("зразок.yaml", text.encode()))
    assert preview.recognition is None
    assert flat(preview.catalog) == SAMPLE
    assert preview.catalog.name == "Зразок"


def test_cells_without_codes_get_codes_from_their_place():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Напрям", "Вимога", "Критерій", "Індикатор", "Методи"])
    writer.writerow(
        ["Освітнє середовище", "Безпечні умови", "Приміщення безпечні", "Огляд", "спостереження"]
    )
    writer.writerow(["", "", "", "Опитування батьків", "анкетування батьків і педагогів"])
    catalog = importers.parse(importers.stage("без-кодів.csv", out.getvalue().encode())).catalog
    assert [(n.code, n.text, n.methods) for n in catalog.walk()] == [
        ("1", "Освітнє середовище", []),
        ("1.1", "Безпечні умови", []),
        ("1.1.1", "Приміщення безпечні", []),
        ("1.1.1.1", "Огляд", ["observation"]),
        ("1.1.1.2", "Опитування батьків", ["survey"]),
    ]  # fmt: skip


def test_several_indicators_in_one_cell_are_split_by_their_codes():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*HEADERS, "Методи збору інформації"])
    writer.writerow(["Напрям 3. Фахова діяльність", "", "", ""])
    writer.writerow(
        [
            "3.1. Вимога",
            "3.1.1. Критерій",
            "3.1.1.1. Перший\n3.1.1.2. Другий,\nз продовженням",
            "спостереження",
        ]
    )
    catalog = importers.parse(importers.stage("a.csv", out.getvalue().encode())).catalog
    assert [(n.code, n.text) for n in catalog.walk()][-2:] == [
        ("3.1.1.1", "Перший"),
        ("3.1.1.2", "Другий, з продовженням"),
    ]  # fmt: skip


def test_the_reference_yaml_and_the_starter_read_as_they_are():
    from tests.test_catalog_starter import REFERENCE

    reference = importers.read_path(REFERENCE)
    assert [n.code for n in reference.walk()] == ["1", "2", "3", "4", "4.1", "4.1.1", "4.1.1.1"]
    indicator = list(reference.walk())[-1]
    assert indicator.methods == ["documents"]
    assert indicator.wording_status is WordingStatus.QUOTED_BY_ZDO


def test_column_mapping_can_be_corrected():
    """A header dozq does not know: the user says which column is which."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Напрям 1. Середовище", "", "", ""])
    writer.writerow(["Що оцінюємо", "Підстава", "Ознака", "Як збираємо"])
    writer.writerow(["1.1. Умови", "1.1.1. Приміщення", "1.1.1.1. Чисто", "спостереження"])
    staged = importers.stage("свій.csv", out.getvalue().encode())
    with pytest.raises(ImportFailure) as failure:
        importers.parse(staged)
    assert "не знайдено рядка заголовків" in str(failure.value)
    source = read_table_file("свій.csv", out.getvalue().encode())
    assert recognise(source).header_place == ""
    catalog, _ = interpret(source, ["requirement", "criterion", "indicator", "methods"])
    assert [(n.code, n.methods) for n in catalog.walk()] == [
        ("1", []), ("1.1", []), ("1.1.1", []), ("1.1.1.1", ["observation"])
    ]  # fmt: skip


# -- malformed files ----------------------------------------------------------


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


MALFORMED = [
    (
        "unknown tick",
        "a.csv",
        _csv(
            [
                [*HEADERS, "Спостереження"],
                ["Напрям 1. Н", "", "", ""],
                ["1.1. В", "1.1.1. К", "1.1.1.1. І", "може"],
            ]
        ),
        "Рядок 3, стовпець 4 («Спостереження»)",
        "незрозуміла позначка «може»",
    ),
    (
        "unknown method",
        "a.csv",
        _csv(
            [
                [*HEADERS, "Методи збору інформації"],
                ["Напрям 1. Н", "", "", ""],
                ["1.1. В", "1.1.1. К", "1.1.1.1. І", "тестування"],
            ]
        ),
        "Рядок 3, стовпець 4 («Методи збору інформації»)",
        "не вдалося розпізнати метод",
    ),
    (
        "no direction",
        "a.csv",
        _csv([HEADERS, ["1.1. В", "1.1.1. К", "1.1.1.1. І"]]),
        "Рядок 2, стовпець 1",
        "не належить жодному елементу рівня «напрям»",
    ),
    (
        "duplicate code",
        "a.csv",
        _csv(
            [
                HEADERS,
                ["Напрям 1. Н", "", ""],
                ["1.1. В", "1.1.1. К", "1.1.1.1. І"],
                ["", "", "1.1.1.1. Ще раз"],
            ]
        ),
        "Рядок 4, стовпець 3",
        "код «1.1.1.1» повторюється (уперше — Рядок 3, стовпець 3",
    ),
    (
        "no header",
        "a.csv",
        _csv([["а", "б"], ["в", "г"]]),
        "Рядок 1",
        "не знайдено рядка заголовків",
    ),
    (
        "yaml syntax",
        "a.yaml",
        b"directions:\n  - code: '1'\n    title: [unclosed\n",
        "YAML, рядок",
        "не є коректним YAML",
    ),
    (
        "yaml missing title",
        "a.yaml",
        b"directions:\n  - code: '1'\n    title: T\n    requirements:\n      - code: '1.1'\n",
        "YAML, шлях directions[0].requirements[0].title",
        "значення відсутнє",
    ),
    (
        "yaml float code",
        "a.yaml",
        b"directions:\n  - code: 1.1\n    title: T\n",
        "YAML, шлях directions[0].code",
        "візьміть його в лапки",
    ),
    (
        "yaml unknown method",
        "a.yaml",
        (
            b"directions:\n- code: '1'\n  title: T\n  requirements:\n  - code: '1.1'\n"
            b"    title: R\n    criteria:\n    - code: '1.1.1'\n      title: C\n      indicators:\n"
            b"      - code: '1.1.1.1'\n        text: I\n        methods: [telepathy]\n"
        ),
        "YAML, шлях directions[0].requirements[0].criteria[0].indicators[0].methods[0]",
        "невідомий метод «telepathy»",
    ),
    ("not a docx", "a.docx", b"PK\x03\x04 not really a zip", "", "файл пошкоджено"),
    ("pdf", "a.pdf", b"%PDF-1.4", "", "PDF не підтримується"),
    ("empty", "a.csv", b"", "", "файл порожній"),
]


@pytest.mark.parametrize(
    "filename,data,place,reason", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_files_name_the_place(filename, data, place, reason):
    with pytest.raises(ImportFailure) as failure:
        importers.parse(importers.stage(filename, data))
    assert reason in str(failure.value)
    assert str(failure.value).startswith(place)


def test_docx_errors_name_table_row_and_column():
    data = build_docx("ticks")
    document = docx.Document(io.BytesIO(data))
    document.tables[0].cell(3, 4).text = "?"
    output = io.BytesIO()
    document.save(output)
    with pytest.raises(ImportFailure) as failure:
        importers.parse(importers.stage("додаток.docx", output.getvalue()))
    assert str(failure.value).startswith("Таблиця 1, рядок 4, стовпець 5 («Методи збору")


def test_xlsx_errors_name_the_cell():
    workbook = load_workbook(io.BytesIO(build_xlsx("ticks")))
    workbook.active["F4"] = "так, мабуть"
    output = io.BytesIO()
    workbook.save(output)
    with pytest.raises(ImportFailure) as failure:
        importers.parse(importers.stage("додаток.xlsx", output.getvalue()))
    assert str(failure.value).startswith("Аркуш «Додаток 1», рядок 4, клітинка F4 («Фокус-група»)")


# -- the command line ---------------------------------------------------------


def _counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count(CatalogTemplate.id))),
            db.session.scalar(select(func.count(CatalogTemplateItem.id))),
        )


def test_cli_imports_every_format_as_versions_and_exports(app, tmp_path):
    runner = app.test_cli_runner()
    for number, (suffix, builder) in enumerate(BUILDERS.items(), start=1):
        path = tmp_path / f"annex.{suffix}"
        path.write_bytes(builder("ticks" if number % 2 else "named"))
        result = runner.invoke(args=["dozq", "catalog", "import", str(path), "--name", "Додаток"])
        assert result.exit_code == 0, result.output
        if number == 1:
            assert (
                "Збережено «Додаток, версія 1»: 2 напрями, 3 вимоги, 4 критерії, 6 індикаторів."
                in result.output
            )
        else:
            # The same items again: no new version.
            assert "нову версію не створено" in result.output
    assert _counts(app) == (1, len(SAMPLE))
    out = tmp_path / "out.yaml"
    result = runner.invoke(args=["dozq", "catalog", "export", "Додаток", str(out)])
    assert result.exit_code == 0, result.output
    assert flat(importers.read_path(out)) == SAMPLE
    result = runner.invoke(args=["dozq", "catalog", "export", "Немає такого", str(out)])
    assert result.exit_code != 0
    assert "шаблону «Немає такого» немає" in result.output


def test_cli_refuses_a_malformed_file_and_changes_nothing(app, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "bad.csv"
    path.write_bytes(MALFORMED[0][2])
    result = runner.invoke(args=["dozq", "catalog", "import", str(path), "--name", "Зіпсований"])
    assert result.exit_code == 1
    assert "Помилка: Рядок 3, стовпець 4 («Спостереження»): незрозуміла позначка" in result.output
    assert _counts(app) == (0, 0)
    missing = runner.invoke(
        args=["dozq", "catalog", "import", str(tmp_path / "no.yaml"), "--name", "X"]
    )
    assert missing.exit_code == 1


def test_cli_imports_the_starter_by_name(app):
    runner = app.test_cli_runner()
    path = "dozq/catalog/data/starter.yaml"
    result = runner.invoke(
        args=["dozq", "catalog", "import", path, "--name", "Стартовий каталог dozq"]
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["dozq", "catalog", "starter"])
    assert again.exit_code == 0
    assert "уже є" in again.output
    with app.app_context():
        template = queries.latest_template("Стартовий каталог dozq")
        assert template.origin is Origin.DOZQ_STARTER
        assert template.version_number == 1


def test_a_new_import_under_the_same_name_is_the_next_version(app, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "a.csv"
    path.write_bytes(build_csv("named"))
    assert (
        runner.invoke(args=["dozq", "catalog", "import", str(path), "--name", "А"]).exit_code == 0
    )
    path.write_bytes(build_csv("named").replace("Діти мають".encode(), "Усі діти мають".encode()))
    result = runner.invoke(args=["dozq", "catalog", "import", str(path), "--name", "А"])
    assert "версія 2" in result.output
    with app.app_context():
        assert [t.version_number for t in queries.all_template_versions()] == [2, 1]


# -- export → import ----------------------------------------------------------


def scope_of(tenant) -> Scope:
    return Scope(tenant.founder_id, (tenant.institution_id,), tenant.institution_id)


def _institution_catalog(app, tenant, actor_role=Role.DIRECTOR):
    """An institution's catalog with every kind of change an institution makes."""
    from dozq.auth.models import User

    with app.app_context():
        institution = scope_of(tenant)
        actor = db.session.get(User, tenant.users[actor_role])
        with tenant_scope(db.session, institution):
            template, _ = services.save_template(actor, generated_catalog((2, 3, 4, 6)), "Зразок")
            catalog = services.adopt(actor, template)
            items = {
                item.code: item
                for item in db.session.scalars(
                    select(CatalogItem).where(CatalogItem.catalog_id == catalog.id)
                )
            }
            services.update_item(
                actor,
                items["1.1.1.1"],
                "Моє формулювання",
                ["survey", "documents"],
                items["1.1.1.1"].version,
            )
            services.set_enabled(actor, items["1.2"], False)
            services.set_enabled(actor, items["2.1.1.1"], False)
            services.add_item(
                actor,
                items["2.1.1"],
                "2.1.1.С9",
                "Власний індикатор = «з лапками»",
                ["observation"],
            )
            services.add_item(actor, items["1.1"], "1.1.9", "Власний критерій без індикаторів")
            services.move(actor, items["1.1.1.2"], -1)
            db.session.commit()
            return catalog.id, institution


def _tree_content(app, institution, catalog_id):
    with app.app_context(), tenant_scope(db.session, institution):
        return [row.to_node().content() for row in queries.catalog_tree(catalog_id)]


@pytest.mark.parametrize("fmt", ["yaml", "xlsx"])
def test_export_then_import_gives_the_same_catalog(app, client, world, fmt):
    catalog_id, institution = _institution_catalog(app, world.a)
    before = _tree_content(app, institution, catalog_id)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    response = client.get(f"/i/{world.a.slug}/catalog/catalogs/{catalog_id}/export.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    with app.app_context(), tenant_scope(db.session, institution):
        from dozq.auth.models import User

        parsed = importers.parse(importers.stage(f"export.{fmt}", response.data)).catalog
        actor = db.session.get(User, world.a.users[Role.DIRECTOR])
        again = services.import_catalog(actor, parsed, "Повернений")
        db.session.commit()
        again_id = again.id
    assert _tree_content(app, institution, again_id) == before


def test_exports_protect_spreadsheet_formulas_and_read_back():
    catalog = generated_catalog((1, 1, 1, 1))
    node = list(catalog.walk())[-1]
    node.text = '=HYPERLINK("http://example.com")'
    data = to_xlsx(catalog.directions)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.active["C3"].data_type == "s"
    back = importers.parse(importers.stage("a.xlsx", data)).catalog
    assert list(back.walk())[-1].text == node.text
    text = to_yaml(catalog.directions, name="x", origin="imported")
    assert importers.parse(importers.stage("a.yaml", text.encode())).catalog.content_hash() == (
        importers.parse(importers.stage("b.yaml", text.encode())).catalog.content_hash()
    )


def test_institution_catalog_export_by_cli(app, world, tmp_path):
    _institution_catalog(app, world.a)
    runner = app.test_cli_runner()
    out = tmp_path / "own.yaml"
    result = runner.invoke(
        args=["dozq", "catalog", "export", "Зразок", str(out), "--institution", world.a.slug]
    )
    assert result.exit_code == 0, result.output
    parsed = importers.read_path(out)
    assert parsed.name == "Зразок"
    assert [n.code for n in parsed.walk() if not n.enabled] == ["1.2", "2.1.1.1"]
    wrong = runner.invoke(
        args=["dozq", "catalog", "export", "Чужий", str(out), "--institution", world.a.slug]
    )
    assert wrong.exit_code != 0 and "немає каталогу «Чужий»" in wrong.output
    nobody = runner.invoke(
        args=["dozq", "catalog", "export", "Зразок", str(out), "--institution", "no-such"]
    )
    assert nobody.exit_code != 0


def test_statuses_claimed_by_a_file_are_believed_only_for_known_wording(app):
    text = """
directions:
  - code: "1"
    title: "Освітнє середовище закладу дошкільної освіти"
    wording_status: official_text
    requirements:
      - code: "1.1"
        title: "Будь-що, назване офіційним"
        wording_status: official_text
"""
    catalog = importers.parse(importers.stage("claims.yaml", text.encode())).catalog
    with app.app_context():
        template, _ = services.save_template(None, catalog, "Претензії")
        statuses = {
            row.code: row.wording_status
            for row in queries.flatten(queries.template_tree(template.id))
        }
    assert statuses == {"1": WordingStatus.OFFICIAL_TEXT, "1.1": WordingStatus.IMPORTED}


def test_institution_import_archives_the_previous_catalog(app, world):
    _catalog_id, institution = _institution_catalog(app, world.a)
    with app.app_context():
        from dozq.auth.models import User

        with tenant_scope(db.session, institution):
            actor = db.session.get(User, world.a.users[Role.METHODOLOGIST])
            parsed = importers.parse(importers.stage("a.docx", build_docx("ticks"))).catalog
            services.import_catalog(actor, parsed, "Додаток закладу")
            db.session.commit()
            catalogs = db.session.scalars(
                select(InstitutionCatalog).order_by(InstitutionCatalog.id)
            ).all()
            assert [(c.name, c.is_active) for c in catalogs][-2:] == [
                ("Зразок", False),
                ("Додаток закладу", True),
            ]
            assert all(
                status is WordingStatus.IMPORTED
                for status in db.session.scalars(
                    select(CatalogItem.wording_status).where(
                        CatalogItem.catalog_id == catalogs[-1].id
                    )
                )
            )
