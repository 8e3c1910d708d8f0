"""Every kind of document renders from real data, re-opens in python-docx with the
institution's name, numbers and dates, converts with LibreOffice, and uses only
variables its context builder provides; names with «&» keep it."""

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Pt
from sqlalchemy import select

from dozq.db import db
from dozq.demo import load_demo
from dozq.documents import services
from dozq.documents.make_templates import build
from dozq.documents.models import DocumentKind
from dozq.documents.render import render, template_variables
from dozq.regulation.compose import SECTIONS
from dozq.regulation.models import EditionStatus, RegulationEdition
from dozq.tenancy.models import Institution
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from dozq.tenancy.services import all_institutions
from tests.conftest import STRICT
from tests.factories import make_founder, make_institution

DEMO_PASSWORD = "demo-documents-password-1"


def text_of(data: bytes) -> str:
    """All the text of a document: paragraphs, tables (nested too), headers."""
    document = Document(io.BytesIO(data))
    parts = [paragraph.text for paragraph in document.paragraphs]

    def cells(table):
        for row in table.rows:
            for cell in row.cells:
                parts.extend(paragraph.text for paragraph in cell.paragraphs)
                for inner in cell.tables:
                    cells(inner)

    for table in document.tables:
        cells(table)
    return "\n".join(parts)


def scope_of(institution):
    return tenant_scope(db.session, Scope.for_institution(institution))


def demo_institution():
    load_demo(DEMO_PASSWORD)
    db.session.commit()
    return next(i for i in all_institutions() if i.slug == "zdo-1-sonechko")


def published_edition():
    return db.session.scalar(
        select(RegulationEdition).where(RegulationEdition.status == EditionStatus.PUBLISHED)
    )


def rendered(institution, kind: DocumentKind, subject=None) -> bytes:
    data, _own = services.render_kind(institution, kind, subject)
    return data


def test_each_kind_renders_for_the_demo_and_reopens_with_its_facts(app):
    with app.app_context():
        institution = demo_institution()
        with scope_of(institution):
            edition = published_edition()
            texts = {}
            for kind in DocumentKind:
                subject = (
                    edition if kind.value in {k.value for k in services.REGULATION_KINDS} else None
                )
                data = rendered(institution, kind, subject)
                texts[kind] = text_of(data)
                document = Document(io.BytesIO(data))
                section = document.sections[0]
                sizes = [
                    round(length.mm)
                    for length in (
                        section.page_width,
                        section.page_height,
                        section.left_margin,
                        section.right_margin,
                        section.top_margin,
                        section.bottom_margin,
                    )
                ]
                assert sizes == [210, 297, 30, 10, 20, 20], kind
                normal = document.styles["Normal"].font
                assert (normal.name, normal.size) == ("Times New Roman", Pt(14)), kind
    for kind, text in texts.items():
        assert "«сонечко»" in text.lower(), kind
        assert "{{" not in text and "{%" not in text, kind
    regulation = texts[DocumentKind.REGULATION]
    assert "СХВАЛЕНО" in regulation and "ЗАТВЕРДЖЕНО" in regulation
    assert "від 28.08.2025 № 1" in regulation
    assert "від 29.08.2025 № 32-о/д" in regulation
    assert (
        "про внутрішню систему забезпечення якості освіти закладу дошкільної освіти "
        "(ясла-садок) № 1" in regulation
    )
    for key, title in SECTIONS:
        if key != "own_components":
            assert f". {title.upper()}" in regulation, title
    assert "1.1. Положення про внутрішню систему" in regulation
    assert "КРИТЕРІЇ, ІНДИКАТОРИ ТА МЕТОДИ ЗБОРУ ІНФОРМАЦІЇ" in regulation
    order = texts[DocumentKind.REGULATION_ORDER]
    for fact in (
        "НАКАЗ",
        "НАКАЗУЮ:",
        "Код ЄДРПОУ 41000001",
        "29.08.2025",
        "№ 32-о/д",
        "м. Сонячне",
        "ВІДДІЛ ОСВІТИ СОНЯЧНЕНСЬКОЇ МІСЬКОЇ РАДИ",
        "протокол від 28.08.2025 № 1",
        "Контроль за виконанням наказу залишаю за собою.",
        "Олена КОВАЛЕНКО",
    ):
        assert fact in order, fact
    extract = texts[DocumentKind.COUNCIL_EXTRACT]
    assert "ВИТЯГ" in extract and "від 28.08.2025 № 1" in extract and "УХВАЛИЛИ:" in extract
    sheet = texts[DocumentKind.ACKNOWLEDGEMENT_SHEET]
    assert "затвердженим наказом від 29.08.2025 № 32-о/д" in sheet
    for name in ("Олена Петрівна Коваленко", "Світлана Андріївна Лисенко"):
        assert name in sheet
    assert "НАКАЗУЮ:" in texts[DocumentKind.SELF_ASSESSMENT_ORDER]
    assert "ПРОГРАМА" in texts[DocumentKind.MONITORING_PROGRAMME]
    assert "ЗВІТ" in texts[DocumentKind.SELF_ASSESSMENT_REPORT]
    annual = texts[DocumentKind.ANNUAL_REPORT_SECTION]
    assert "затверджене наказом від 29.08.2025 № 32-о/д" in annual
    assert "ознайомилися 3 з 4 працівників" in annual


def _soffice_or_skip():
    binary = services.soffice()
    if binary is None:
        if STRICT:
            pytest.fail("LibreOffice (soffice) is not installed (DOZQ_TEST_STRICT is set)")
        pytest.skip("LibreOffice (soffice) is not installed")
    return binary


def test_each_kind_converts_to_pdf_with_libreoffice(app, tmp_path):
    binary = _soffice_or_skip()
    with app.app_context():
        institution = demo_institution()
        with scope_of(institution):
            for kind in DocumentKind:
                (tmp_path / kind.filename).write_bytes(rendered(institution, kind))
    sources = sorted(str(path) for path in tmp_path.glob("*.docx"))
    subprocess.run(
        [
            binary,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            *sources,
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    for kind in DocumentKind:
        pdf = tmp_path / "pdf" / kind.filename.replace(".docx", ".pdf")
        assert pdf.is_file(), kind
        assert pdf.read_bytes().startswith(b"%PDF"), kind
        assert pdf.stat().st_size > 5_000, kind


def _bare(name: str, **values):
    founder = make_founder("founder-d", "Відділ освіти «Ромашка» & Ко")
    return make_institution(founder, "zdo-amp", name[:60], full_name=name, **values)


def test_names_with_an_ampersand_keep_it(app):
    with app.app_context():
        institution = _bare(
            "Заклад дошкільної освіти «Сонечко & Ко»",
            director_name="Олена Петрівна Коваленко <в. о.>",
            edrpou="12345678",
        )
        with scope_of(institution):
            for kind in DocumentKind:
                text = text_of(rendered(institution, kind))
                assert "сонечко & ко" in text.lower(), kind
        with scope_of(institution):
            order = text_of(rendered(institution, DocumentKind.REGULATION_ORDER))
        assert "«РОМАШКА» & КО" in order


def test_template_variables_are_all_in_the_context(app, world):
    """For every kind, with rich data (the world) and with almost none: the template
    asks only for what the builder gives, and a strict render succeeds."""
    with app.app_context():
        rich = db.session.get(
            Institution, world.a.institution_id, execution_options={BYPASS_OPTION: True}
        )
        bare = _bare("ЗДО «Без даних»")
        for institution in (rich, bare):
            with scope_of(institution):
                for kind in DocumentKind:
                    context = services.build_context(institution, kind)
                    needed = template_variables(services.default_template(kind))
                    assert needed <= set(context), (kind, needed - set(context))
                    render(services.default_template(kind), context, strict=True)


def test_default_templates_are_reproducible():
    for kind in DocumentKind:
        path = Path(services.default_template(kind))
        assert path.read_bytes() == build(kind.value), f"{path.name}: run make_templates"


def test_the_report_has_levels_and_a_chart_drawn_on_the_server(app, world):
    with app.app_context():
        institution = db.session.get(
            Institution, world.a.institution_id, execution_options={BYPASS_OPTION: True}
        )
        with scope_of(institution):
            data = rendered(institution, DocumentKind.SELF_ASSESSMENT_REPORT)
    document = Document(io.BytesIO(data))
    assert len(document.inline_shapes) == 1
    text = text_of(data)
    assert "3,50" in text
    assert "Досягнення: Досягнення Альфа" in text
    assert "Рішення Альфа" in text


def test_orders_name_blanks_to_fill_by_hand_when_numbers_are_missing(app):
    with app.app_context():
        institution = _bare("Заклад дошкільної освіти «Без наказу»")
        with scope_of(institution):
            order = text_of(rendered(institution, DocumentKind.REGULATION_ORDER))
            regulation = text_of(rendered(institution, DocumentKind.REGULATION))
    assert "№ ______" in order
    assert "від __________ № ______" in regulation


def test_dates_print_as_day_month_year(app):
    with app.app_context():
        institution = _bare("Заклад дошкільної освіти «Дата»")
        with scope_of(institution):
            context = services.build_context(institution, DocumentKind.REGULATION_ORDER)
            context["order"]["date"] = date(2025, 9, 1)
            text = text_of(
                render(services.default_template(DocumentKind.REGULATION_ORDER), context)
            )
    assert "01.09.2025" in text


def test_the_monitoring_programme_follows_the_institutions_own_programme(app, world):
    from dozq.publication.models import MonitoringProgramme

    with app.app_context():
        institution = db.session.get(
            Institution, world.a.institution_id, execution_options={BYPASS_OPTION: True}
        )
        with scope_of(institution):
            published = db.session.scalar(
                select(MonitoringProgramme).where(MonitoringProgramme.approval_number == "12-о/д")
            )
            indicator = published.indicators[0].catalog_item.text
            text = text_of(rendered(institution, DocumentKind.MONITORING_PROGRAMME, published))
            draft = text_of(rendered(institution, DocumentKind.MONITORING_PROGRAMME))
    assert "«Оприлюднена програма Альфа»" in text
    assert "ЗАТВЕРДЖЕНО" in text and "№ 12-о/д" in text
    assert " ".join(indicator.split()) in text
    assert "«Чернетка програми Альфа»" in draft  # the newest one by default
