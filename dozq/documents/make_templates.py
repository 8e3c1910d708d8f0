"""Build the default DOCX templates under ``dozq/documents/docx/`` with python-docx.

    .venv/bin/python -m dozq.documents.make_templates

The files carry docxtpl tags and the official formatting (ДСТУ 4163-2020): A4,
Times New Roman 14, margins left 30 mm, right 10 mm, top and bottom 20 mm,
approval blocks and signature lines. The output is reproducible byte for byte
(fixed document properties and zip timestamps), and the generated files are
committed: an institution downloads one, adjusts it in Word or LibreOffice and
uploads it back as its own letterhead.
"""

import io
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

DOCX_DIR = Path(__file__).parent / "docx"
FONT = "Times New Roman"
#: The text width of an A4 page with 30 + 10 mm margins.
TEXT_WIDTH = 170
FIXED_TIME = datetime(2025, 1, 1)

BODY = "Dozq Body"
HEADING = "Dozq Heading"
TITLE = "Dozq Title"
CENTER = "Dozq Center"
RIGHT_BLOCK = "Dozq Approval"
PLAIN = "Dozq Plain"
TABLE_TEXT = "Dozq Table"


# The document and its styles.


def _fonts(style, size: int = 14, bold: bool = False, italic: bool = False) -> None:
    style.font.name = FONT
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = italic
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "uk-UA")


def _paragraph_style(
    document,
    name,
    *,
    align=None,
    bold=False,
    italic=False,
    size=14,
    first_line=None,
    left=None,
    before=0,
    after=0,
    keep_next=False,
):
    style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    _fonts(style, size, bold, italic)
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = first_line
    fmt.left_indent = left
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.0
    fmt.keep_with_next = keep_next
    fmt.widow_control = True
    return style


def new_document(title: str):
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(30), Mm(10)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.header_distance = section.footer_distance = Mm(10)
    normal = document.styles["Normal"]
    _fonts(normal)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    _paragraph_style(document, BODY, align=justify, first_line=Cm(1.25))
    _paragraph_style(
        document,
        HEADING,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        bold=True,
        before=12,
        after=6,
        keep_next=True,
    )
    _paragraph_style(document, TITLE, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, keep_next=True)
    _paragraph_style(document, CENTER, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(document, RIGHT_BLOCK, left=Mm(95))
    _paragraph_style(document, PLAIN, align=WD_ALIGN_PARAGRAPH.LEFT)
    _paragraph_style(document, TABLE_TEXT, align=WD_ALIGN_PARAGRAPH.LEFT, size=12)
    properties = document.core_properties
    properties.title = title
    properties.author = "dozq"
    properties.last_modified_by = "dozq"
    properties.comments = "Шаблон dozq (docxtpl)"
    properties.created = properties.modified = properties.last_printed = FIXED_TIME
    properties.revision = 1
    return document


def page_numbers(document) -> None:
    """Page numbers at the top centre, from the second page on (ДСТУ 4163)."""
    section = document.sections[0]
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run._r.append(field)


def para(document, text: str = "", style: str = BODY, bold: bool = False):
    paragraph = document.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        if bold:
            run.bold = True
    return paragraph


def tag(document, text: str):
    """A paragraph holding only a structural tag ({%p …%}); docxtpl removes it."""
    return document.add_paragraph(text, style=PLAIN)


def page_break(document) -> None:
    document.add_paragraph(style=PLAIN).add_run().add_break(WD_BREAK.PAGE)


def _cell_text(cell, lines, style=PLAIN, bold_first=False):
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph(style=style)
        paragraph.style = style
        run = paragraph.add_run(line)
        if bold_first and index == 0:
            run.bold = True


def _widths(table, widths_mm) -> None:
    table.autofit = False
    grid = table._tbl.tblGrid
    for column, width in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=True):
        column.set(qn("w:w"), str(int(Mm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def plain_table(document, rows: int, widths_mm):
    """A table without borders, for approval blocks and signature lines."""
    table = document.add_table(rows=rows, cols=len(widths_mm))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _widths(table, widths_mm)
    return table


def grid_table(document, header: list[str], row: list[str], widths_mm, loop: str):
    """A bordered table: a header row, then one row per item of ``loop``
    («row in rows»), written as docxtpl's {%tr for %} … {%tr endfor %}."""
    table = document.add_table(rows=4, cols=len(header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, widths_mm)
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell_text(cell, [text], TABLE_TEXT, bold_first=True)
    _repeat_header(table.rows[0])
    _cell_text(table.rows[1].cells[0], [f"{{%tr for {loop} %}}"], TABLE_TEXT)
    for cell, text in zip(table.rows[2].cells, row, strict=True):
        _cell_text(cell, [text], TABLE_TEXT)
    _cell_text(table.rows[3].cells[0], ["{%tr endfor %}"], TABLE_TEXT)
    return table


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    properties.append(header)


def approval_blocks(document, left: list[str] | None, right: list[str]) -> None:
    """«СХВАЛЕНО …» on the left (optional) and «ЗАТВЕРДЖЕНО …» on the right."""
    table = plain_table(document, 1, [85, 85])
    if left:
        _cell_text(table.rows[0].cells[0], left, PLAIN, bold_first=True)
    _cell_text(table.rows[0].cells[1], right, PLAIN, bold_first=True)


def signature(document, rows: list[tuple[str, str]]) -> None:
    """«Посада ____________ Ім'я ПРІЗВИЩЕ» lines."""
    table = plain_table(document, len(rows), [75, 45, 50])
    for row, (position, name) in zip(table.rows, rows, strict=True):
        _cell_text(row.cells[0], [position])
        _cell_text(row.cells[1], ["____________"])
        _cell_text(row.cells[2], [name])


COUNCIL_BLOCK = [
    "СХВАЛЕНО",
    "Протокол засідання",
    "педагогічної ради",
    "від {{ council.date|date_uk|blank(10) }} № {{ council.number|blank }}",
]
ORDER_BLOCK = [
    "ЗАТВЕРДЖЕНО",
    "Наказ {{ institution.short_genitive }}",
    "від {{ order.date|date_uk|blank(10) }} № {{ order.number|blank }}",
]
DIRECTOR_SIGNATURE = (
    "{{ institution.director_title|capitalise }}",
    "{{ institution.director_signature }}",
)


# The templates, one function per kind.


def regulation():
    document = new_document("Положення про внутрішню систему забезпечення якості освіти")
    page_numbers(document)
    approval_blocks(document, COUNCIL_BLOCK, ORDER_BLOCK)
    para(document, style=PLAIN)
    para(document, "ПОЛОЖЕННЯ", TITLE)
    para(document, "{{ subtitle }}", TITLE)
    tag(document, "{%p if edition_label %}")
    para(document, "({{ edition_label }})", CENTER)
    tag(document, "{%p endif %}")
    tag(document, "{%p for section in sections %}")
    para(document, "{{ section.number }}. {{ section.title|upper }}", HEADING)
    tag(document, "{%p for paragraph in section.paragraphs %}")
    para(document, "{{ paragraph.prefix }}{{ paragraph.text }}", BODY)
    tag(document, "{%p endfor %}")
    tag(document, "{%p endfor %}")
    page_break(document)
    para(document, "Додаток", RIGHT_BLOCK)
    para(document, "до Положення про внутрішню систему", RIGHT_BLOCK)
    para(document, "забезпечення якості освіти", RIGHT_BLOCK)
    para(document, "КРИТЕРІЇ, ІНДИКАТОРИ ТА МЕТОДИ ЗБОРУ ІНФОРМАЦІЇ", HEADING)
    para(document, "для самооцінювання освітніх і управлінських процесів", CENTER)
    tag(document, "{%p if annex_source %}")
    para(document, "({{ annex_source }})", CENTER)
    tag(document, "{%p endif %}")
    para(document, style=PLAIN)
    grid_table(
        document,
        ["Код", "Напрям, вимога, критерій, індикатор", "Методи збору інформації"],
        ["{{ row.code }}", "{{ row.label }}: {{ row.text }}", "{{ row.methods }}"],
        [22, 98, 50],
        "row in annex",
    )
    tag(document, "{%p if not annex %}")
    para(document, "Каталог критеріїв та індикаторів не визначено.", PLAIN)
    tag(document, "{%p endif %}")
    return document


def _order(title: str):
    document = new_document(title)
    page_numbers(document)
    para(document, "{{ founder.name|upper }}", CENTER)
    para(document, "{{ institution.full_name|upper }}", TITLE)
    tag(document, "{%p if institution.edrpou %}")
    para(document, "Код ЄДРПОУ {{ institution.edrpou }}", CENTER)
    tag(document, "{%p endif %}")
    para(document, style=PLAIN)
    para(document, "НАКАЗ", TITLE)
    para(document, style=PLAIN)
    table = plain_table(document, 1, [57, 56, 57])
    _cell_text(table.rows[0].cells[0], ["{{ order.date|date_uk|blank(10) }}"])
    _cell_text(table.rows[0].cells[1], ["{{ order.place }}"])
    table.rows[0].cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _cell_text(table.rows[0].cells[2], ["№ {{ order.number|blank }}"])
    table.rows[0].cells[2].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    para(document, style=PLAIN)
    para(document, "{{ order.subject }}", PLAIN, bold=True)
    para(document, style=PLAIN)
    para(document, "{{ order.preamble }}", BODY)
    para(document, style=PLAIN)
    para(document, "НАКАЗУЮ:", PLAIN, bold=True)
    para(document, style=PLAIN)
    tag(document, "{%p for item in order.points %}")
    para(document, "{{ loop.index }}. {{ item.text }}", BODY)
    tag(document, "{%p for line in item.lines %}")
    para(document, "– {{ line }}", BODY)
    tag(document, "{%p endfor %}")
    tag(document, "{%p if item.deadline %}")
    para(document, "Термін: {{ item.deadline }}.", BODY)
    tag(document, "{%p endif %}")
    tag(document, "{%p endfor %}")
    para(document, style=PLAIN)
    signature(document, [DIRECTOR_SIGNATURE])
    para(document, style=PLAIN)
    tag(document, "{%p if acquainted %}")
    para(document, "З наказом ознайомлені:", PLAIN)
    tag(document, "{%p endif %}")
    table = plain_table(document, 3, [75, 45, 50])
    _cell_text(table.rows[0].cells[0], ["{%tr for person in acquainted %}"])
    _cell_text(table.rows[1].cells[0], ["{{ person.name }}"])
    _cell_text(table.rows[1].cells[1], ["____________"])
    _cell_text(table.rows[1].cells[2], ["{{ person.date|date_uk|blank(10) }}"])
    _cell_text(table.rows[2].cells[0], ["{%tr endfor %}"])
    tag(document, "{%p if schedule %}")
    page_break(document)
    para(document, "Додаток", RIGHT_BLOCK)
    para(
        document,
        "до наказу від {{ order.date|date_uk|blank(10) }} № {{ order.number|blank }}",
        RIGHT_BLOCK,
    )
    para(document, "{{ schedule_title|upper }}", HEADING)
    grid_table(
        document,
        ["№", "Захід", "Терміни", "Відповідальні"],
        ["{{ step.number }}", "{{ step.title }}", "{{ step.dates }}", "{{ step.responsible }}"],
        [12, 88, 35, 35],
        "step in schedule",
    )
    tag(document, "{%p endif %}")
    return document


def regulation_order():
    return _order("Наказ про затвердження Положення про внутрішню систему")


def self_assessment_order():
    return _order("Наказ про проведення самооцінювання")


def council_extract():
    document = new_document("Витяг з протоколу засідання педагогічної ради")
    para(document, "{{ institution.full_name|upper }}", TITLE)
    para(document, style=PLAIN)
    para(document, "ВИТЯГ", TITLE)
    para(document, "з протоколу засідання педагогічної ради", CENTER)
    para(document, "від {{ meeting.date|date_uk|blank(10) }} № {{ meeting.number|blank }}", CENTER)
    para(document, style=PLAIN)
    para(document, "Голова – {{ meeting.chair|blank(20) }}", PLAIN)
    para(document, "Секретар – {{ meeting.secretary|blank(20) }}", PLAIN)
    para(document, "Присутні: {{ meeting.attendance|blank(20) }}", PLAIN)
    para(document, style=PLAIN)
    para(document, "ПОРЯДОК ДЕННИЙ:", PLAIN, bold=True)
    tag(document, "{%p for item in agenda %}")
    para(document, "{{ loop.index }}. {{ item }}", BODY)
    tag(document, "{%p endfor %}")
    para(document, style=PLAIN)
    para(document, "СЛУХАЛИ:", PLAIN, bold=True)
    para(document, "{{ heard }}", BODY)
    para(document, "ВИСТУПИЛИ:", PLAIN, bold=True)
    para(document, "{{ spoke|blank(40) }}", BODY)
    para(document, "УХВАЛИЛИ:", PLAIN, bold=True)
    tag(document, "{%p for item in decisions %}")
    para(document, "{{ loop.index }}. {{ item }}", BODY)
    tag(document, "{%p endfor %}")
    para(document, style=PLAIN)
    signature(
        document,
        [
            ("Голова педагогічної ради", "{{ meeting.chair_signature }}"),
            ("Секретар", "{{ meeting.secretary_signature|blank(14) }}"),
        ],
    )
    para(document, style=PLAIN)
    para(document, "Згідно з оригіналом", PLAIN)
    signature(document, [DIRECTOR_SIGNATURE])
    para(document, "{{ today|date_uk }}", PLAIN)
    return document


def acknowledgement_sheet():
    document = new_document("Аркуш ознайомлення")
    page_numbers(document)
    para(document, "АРКУШ ОЗНАЙОМЛЕННЯ", TITLE)
    para(document, "{{ subject }}", CENTER)
    para(document, style=PLAIN)
    grid_table(
        document,
        ["№", "Прізвище, ім'я, по батькові", "Посада", "Дата ознайомлення", "Підпис"],
        [
            "{{ row.number }}",
            "{{ row.name }}",
            "{{ row.position }}",
            "{{ row.date|date_uk|blank(10) }}",
            "",
        ],
        [10, 60, 40, 30, 30],
        "row in rows",
    )
    return document


def monitoring_programme():
    document = new_document("Програма внутрішнього моніторингу")
    page_numbers(document)
    approval_blocks(
        document,
        None,
        [
            "{{ approval.title }}",
            "{{ approval.document }}",
            "від {{ approval.date|date_uk|blank(10) }} № {{ approval.number|blank }}",
        ],
    )
    para(document, style=PLAIN)
    para(document, "ПРОГРАМА", TITLE)
    para(document, "внутрішнього моніторингу", TITLE)
    para(document, "{{ programme.title }}", TITLE)
    tag(document, "{%p if programme.period %}")
    para(document, "{{ programme.period }}", CENTER)
    tag(document, "{%p endif %}")
    para(document, style=PLAIN)
    para(document, "1. Предмет моніторингу", PLAIN, bold=True)
    para(document, "{{ programme.object }}", BODY)
    para(document, "2. Мета моніторингу", PLAIN, bold=True)
    para(document, "{{ programme.goal|blank(40) }}", BODY)
    para(document, "3. Завдання моніторингу", PLAIN, bold=True)
    tag(document, "{%p for task in programme.tasks %}")
    para(document, "– {{ task }}", BODY)
    tag(document, "{%p endfor %}")
    para(document, "4. Показники (індикатори) та методи збору інформації", PLAIN, bold=True)
    tag(document, "{%p if programme.methods %}")
    para(document, "{{ programme.methods }}", BODY)
    tag(document, "{%p endif %}")
    grid_table(
        document,
        ["Код", "Показник (індикатор)", "Методи збору інформації"],
        ["{{ row.code }}", "{{ row.text }}", "{{ row.methods }}"],
        [22, 98, 50],
        "row in indicators",
    )
    tag(document, "{%p if not indicators %}")
    para(document, "Показники не визначено: оберіть індикатори з каталогу.", BODY)
    tag(document, "{%p endif %}")
    para(document, "5. Терміни проведення", PLAIN, bold=True)
    para(document, "{{ programme.timeline|blank(40) }}", BODY)
    tag(document, "{%p for step in schedule %}")
    para(document, "– {{ step.title }}: {{ step.dates }}", BODY)
    tag(document, "{%p endfor %}")
    para(document, "6. Відповідальні", PLAIN, bold=True)
    tag(document, "{%p for person in responsible %}")
    para(document, "– {{ person }}", BODY)
    tag(document, "{%p endfor %}")
    para(document, "7. Очікувані результати", PLAIN, bold=True)
    tag(document, "{%p for result in programme.results %}")
    para(document, "– {{ result }}", BODY)
    tag(document, "{%p endfor %}")
    para(document, "8. Оприлюднення результатів", PLAIN, bold=True)
    para(document, "{{ programme.publication }}", BODY)
    return document


def self_assessment_report():
    document = new_document("Звіт про самооцінювання")
    page_numbers(document)
    para(document, "ЗВІТ", TITLE)
    para(document, "про самооцінювання освітніх і управлінських процесів", TITLE)
    para(document, "{{ institution.genitive }}", CENTER)
    para(document, "за {{ report.school_year }} навчальний рік", CENTER)
    tag(document, "{%p if report.approval %}")
    para(document, "({{ report.approval }})", CENTER)
    tag(document, "{%p endif %}")
    para(document, "1. ЗАГАЛЬНІ ВІДОМОСТІ", HEADING)
    tag(document, "{%p for line in report.general %}")
    para(document, "{{ line }}", BODY)
    tag(document, "{%p endfor %}")
    para(document, "2. РОБОЧА ГРУПА", HEADING)
    grid_table(
        document,
        ["Прізвище, ім'я, по батькові", "Роль у групі", "Відповідальність"],
        ["{{ member.name }}", "{{ member.role }}", "{{ member.responsibility }}"],
        [60, 45, 65],
        "member in members",
    )
    para(document, "3. РІВНІ ЗА НАПРЯМАМИ І ВИМОГАМИ", HEADING)
    grid_table(
        document,
        ["Код", "Напрям, вимога", "Бал", "Рівень"],
        ["{{ row.code }}", "{{ row.title }}", "{{ row.score }}", "{{ row.level }}"],
        [20, 95, 20, 35],
        "row in levels",
    )
    tag(document, "{%p if chart %}")
    para(document, style=PLAIN)
    para(document, "{{ chart }}", CENTER)
    para(document, "Бали за напрямами і вимогами", CENTER)
    tag(document, "{%p endif %}")
    para(document, "4. ВИСНОВКИ", HEADING)
    tag(document, "{%p for finding in findings %}")
    para(document, "{{ finding.title }}", PLAIN, bold=True)
    tag(document, "{%p for line in finding.lines %}")
    para(document, "{{ line }}", BODY)
    tag(document, "{%p endfor %}")
    tag(document, "{%p endfor %}")
    tag(document, "{%p if not findings %}")
    para(document, "Висновки ще не сформульовано.", BODY)
    tag(document, "{%p endif %}")
    para(document, "5. УПРАВЛІНСЬКІ РІШЕННЯ", HEADING)
    grid_table(
        document,
        ["№", "Рішення", "Відповідальні", "Термін"],
        [
            "{{ decision.number }}",
            "{{ decision.what }}",
            "{{ decision.responsible }}",
            "{{ decision.due }}",
        ],
        [12, 93, 40, 25],
        "decision in decisions",
    )
    para(document, style=PLAIN)
    signature(
        document,
        [
            ("Голова робочої групи", "{{ report.head_signature|blank(14) }}"),
            DIRECTOR_SIGNATURE,
        ],
    )
    return document


def questionnaire():
    document = new_document("Анкета")
    page_numbers(document)
    para(document, "{{ institution.full_name }}", CENTER)
    para(document, style=PLAIN)
    para(document, "{{ questionnaire.title|upper }}", TITLE)
    tag(document, "{%p if questionnaire.introduction %}")
    para(document, "{{ questionnaire.introduction }}", BODY)
    tag(document, "{%p endif %}")
    tag(document, "{%p for section in questionnaire.sections %}")
    tag(document, "{%p if section.title %}")
    para(document, "{{ section.title }}", HEADING)
    tag(document, "{%p endif %}")
    tag(document, "{%p for question in section.questions %}")
    para(document, "{{ question.number }}. {{ question.text }}", PLAIN, bold=True)
    tag(document, "{%p if question.hint %}")
    para(document, "({{ question.hint }})", PLAIN)
    tag(document, "{%p endif %}")
    tag(document, "{%p for option in question.options %}")
    para(document, "☐ {{ option }}", PLAIN)
    tag(document, "{%p endfor %}")
    tag(document, "{%p for line in question.lines %}")
    para(document, "_" * 62, PLAIN)
    tag(document, "{%p endfor %}")
    tag(document, "{%p endfor %}")
    tag(document, "{%p endfor %}")
    para(document, style=PLAIN)
    para(document, "Дякуємо за участь в опитуванні!", CENTER)
    return document


def annual_report_section():
    document = new_document("Розділ звіту керівника про внутрішню систему")
    page_numbers(document)
    para(document, "{{ institution.full_name }}", CENTER)
    para(document, style=PLAIN)
    para(document, "ЗВІТ КЕРІВНИКА ПРО ДІЯЛЬНІСТЬ ЗАКЛАДУ", TITLE)
    para(document, "за {{ report.school_year }} навчальний рік", CENTER)
    para(document, "(розділ «Внутрішня система забезпечення якості освіти»)", CENTER)
    tag(document, "{%p for part in report.parts %}")
    para(document, "{{ part.title }}", HEADING)
    tag(document, "{%p for line in part.lines %}")
    para(document, "{{ line }}", BODY)
    tag(document, "{%p endfor %}")
    tag(document, "{%p endfor %}")
    tag(document, "{%p if directions %}")
    para(document, "Рівні за напрямами", HEADING)
    grid_table(
        document,
        ["Напрям", "Бал", "Рівень"],
        ["{{ row.title }}", "{{ row.score }}", "{{ row.level }}"],
        [110, 20, 40],
        "row in directions",
    )
    tag(document, "{%p endif %}")
    para(document, style=PLAIN)
    signature(document, [DIRECTOR_SIGNATURE])
    return document


BUILDERS = {
    "regulation": regulation,
    "regulation_order": regulation_order,
    "self_assessment_order": self_assessment_order,
    "monitoring_programme": monitoring_programme,
    "self_assessment_report": self_assessment_report,
    "questionnaire": questionnaire,
    "council_extract": council_extract,
    "acknowledgement_sheet": acknowledgement_sheet,
    "annual_report_section": annual_report_section,
}


def reproducible(data: bytes) -> bytes:
    """The same zip with fixed timestamps and order: identical bytes on every run."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return output.getvalue()


def build(kind: str) -> bytes:
    output = io.BytesIO()
    BUILDERS[kind]().save(output)
    return reproducible(output.getvalue())


def main() -> None:
    DOCX_DIR.mkdir(exist_ok=True)
    for kind in BUILDERS:
        path = DOCX_DIR / f"{kind}.docx"
        path.write_bytes(build(kind))
        print(f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    main()
