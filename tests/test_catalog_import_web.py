"""Importing through the web: upload, preview with the columns recognised, corrected
mapping (htmx or plain forms), save; malformed files change nothing."""

import io
import re

from sqlalchemy import func, select

from dozq.audit.models import AuditEntry
from dozq.catalog import importers, queries
from dozq.catalog.models import CatalogTemplate, CatalogTemplateItem, InstitutionCatalog
from dozq.db import db
from dozq.tenancy.models import Role
from dozq.tenancy.scope import tenant_scope
from tests.factories import WORLD_CATALOG, sign_in_as
from tests.test_catalog_formats import MALFORMED, SAMPLE, build_csv, build_docx, flat
from tests.test_catalog_views import items, scope_of

ADMIN = "/admin/catalog"
UNKNOWN_HEADERS = (
    "Напрям 1. Середовище,,,\n"
    "Що оцінюємо,Підстава,Ознака,Як збираємо\n"
    "1.1. Умови,1.1.1. Приміщення,1.1.1.1. Чисто,спостереження\n"
).encode()


def upload(client, path, data: bytes, filename: str):
    return client.post(
        path,
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def staged_of(body: str) -> str:
    return re.search(r'name="staged" type="hidden" value="([^"]*)"', body).group(1)


def template_counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count(CatalogTemplate.id))),
            db.session.scalar(select(func.count(CatalogTemplateItem.id))),
        )


def platform_audit(app, action: str):
    """A platform-level audit row (no tenant: read with Core, outside the ORM scope)."""
    table = AuditEntry.__table__
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(
            select(table).where(table.c.action == action).order_by(table.c.id.desc()).limit(1)
        ).one()


def error_of(body: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', body, re.S)
    return match.group(1) if match else ""


def test_admin_corrects_the_columns_and_saves(app, client, world):
    sign_in_as(app, client, world.platform_admin_id)
    before = template_counts(app)
    assert client.get(f"{ADMIN}/import").status_code == 200
    first = upload(client, f"{ADMIN}/import", UNKNOWN_HEADERS, "свій.csv")
    assert first.status_code == 422
    body = first.get_data(as_text=True)
    assert "не знайдено рядка заголовків" in body and "Нічого не змінено" in body
    assert body.count('<select id="columns-') == 4
    staged = staged_of(body)
    mapping = {
        "staged": staged,
        "name": "Власна таблиця",
        "origin": "imported",
        "columns-0": "requirement",
        "columns-1": "criterion",
        "columns-2": "indicator",
        "columns-3": "methods",
    }
    preview = client.post(f"{ADMIN}/import/preview", data=mapping, headers={"HX-Request": "true"})
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="import-preview"')
    assert "1 напрям, 1 вимога, 1 критерій, 1 індикатор" in text
    assert '<option selected value="methods">' in text
    wrong = client.post(f"{ADMIN}/import/preview", data={**mapping, "columns-3": "indicator"})
    assert wrong.status_code == 422
    assert "Оберіть рівно один стовпець для кожного рівня" in wrong.get_data(as_text=True)
    assert template_counts(app) == before
    saved = client.post(f"{ADMIN}/import/save", data=mapping)
    assert saved.status_code == 303
    with app.app_context():
        template = queries.latest_template("Власна таблиця")
        assert template.version_number == 1
        nodes = queries.flatten(queries.template_tree(template.id))
        assert [(n.code, n.methods) for n in nodes][-1] == ("1.1.1.1", ["observation"])
    entry = platform_audit(app, "catalog.template_imported")
    assert entry.founder_id is None and entry.institution_id is None


def test_admin_upload_problems(app, client, world):
    sign_in_as(app, client, world.platform_admin_id)
    before = template_counts(app)
    missing = client.post(f"{ADMIN}/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert "Оберіть файл." in error_of(missing.get_data(as_text=True), "file")
    wrong_type = upload(client, f"{ADMIN}/import", b"hello", "a.txt")
    assert "Можна завантажити YAML, XLSX, CSV або DOCX." in error_of(
        wrong_type.get_data(as_text=True), "file"
    )
    for name, filename, data, place, reason in MALFORMED:
        response = upload(client, f"{ADMIN}/import", data, filename)
        assert response.status_code == 422, name
        body = response.get_data(as_text=True)
        assert reason.replace("«", "&laquo;") in body or reason in body.replace("&#34;", '"'), name
        if place:
            assert place.replace("«", "«") in body, name
    assert template_counts(app) == before


def test_save_refuses_bad_input_and_tampering(app, client, world):
    sign_in_as(app, client, world.platform_admin_id)
    before = template_counts(app)
    body = upload(client, f"{ADMIN}/import", build_csv("named"), "додаток.csv").get_data(
        as_text=True
    )
    staged = staged_of(body)
    empty_name = client.post(f"{ADMIN}/import/save", data={"staged": staged, "name": "  "})
    assert empty_name.status_code == 422
    assert "Вкажіть назву каталогу." in error_of(empty_name.get_data(as_text=True), "name")
    tampered = client.post(
        f"{ADMIN}/import/save", data={"staged": staged[:-3] + "abc", "name": "X"}
    )
    assert tampered.status_code == 422
    assert "Завантажте файл ще раз" in tampered.get_data(as_text=True)
    bad_origin = client.post(
        f"{ADMIN}/import/save", data={"staged": staged, "name": "X", "origin": "stolen"}
    )
    assert bad_origin.status_code == 422
    assert template_counts(app) == before


def test_admin_pages_list_preview_export_and_load_the_starter(app, client, world):
    sign_in_as(app, client, world.platform_admin_id)
    starter = client.post(f"{ADMIN}/starter")
    assert starter.status_code == 303
    again = client.post(f"{ADMIN}/starter", follow_redirects=True)
    assert "Стартовий каталог уже завантажено" in again.get_data(as_text=True)
    with app.app_context():
        template_id = queries.latest_template("Стартовий каталог dozq").id
    page = client.get(f"{ADMIN}/?template={template_id}")
    assert page.status_code == 200
    assert "Каталоги критеріїв" in page.get_data(as_text=True)  # the admin menu
    assert 'id="template-preview"' in page.get_data(as_text=True)
    exported = client.get(f"{ADMIN}/export?template={template_id}")
    assert exported.status_code == 200
    parsed = importers.parse(importers.stage("s.yaml", exported.data)).catalog
    assert parsed.name == "Стартовий каталог dozq"
    assert client.get(f"{ADMIN}/export?template={template_id}&format=xlsx").status_code == 200
    assert client.get(f"{ADMIN}/export?template=987654").status_code == 404


def test_institution_imports_the_annex_it_has(app, client, world):
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    path = f"/i/{world.a.slug}/catalog/import"
    assert client.get(path).status_code == 200
    response = upload(client, path, build_docx("ticks"), "Додаток 1.docx")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Рядок заголовків: Таблиця 1, рядок 1." in body
    assert "2 напрями, 3 вимоги, 4 критерії, 6 індикаторів" in body
    assert "поточний буде перенесено до архіву" in body
    assert 'name="origin"' not in body  # only the platform chooses an origin
    staged = staged_of(body)
    saved = client.post(f"{path}/save", data={"staged": staged, "name": "Додаток 1 (наш файл)"})
    assert saved.status_code == 303
    now = items(app, world.a)
    assert [(i.kind, i.code, i.text, i.methods) for i in sorted(now.values(), key=_order(now))] == (
        SAMPLE
    )
    with app.app_context(), tenant_scope(db.session, scope_of(world.a)):
        catalogs = db.session.scalars(select(InstitutionCatalog).order_by(InstitutionCatalog.id))
        assert [(c.name, c.is_active) for c in catalogs] == [
            (WORLD_CATALOG, False),
            ("Додаток 1 (наш файл)", True),
        ]
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "catalog.imported")
            )
            == 1
        )


def _order(items_by_code):
    """Reading order of detached items: the path of positions from the root."""
    by_id = {item.id: item for item in items_by_code.values()}

    def key(item):
        path = []
        while item is not None:
            path.append(item.position)
            item = by_id.get(item.parent_id)
        return list(reversed(path))

    return key


def test_institution_malformed_import_changes_nothing(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    before = items(app, world.a)
    path = f"/i/{world.a.slug}/catalog/import"
    response = upload(client, path, MALFORMED[0][2], "поганий.csv")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Рядок 3, стовпець 4 («Спостереження»): незрозуміла позначка «може»" in body
    staged = staged_of(body)
    refused = client.post(f"{path}/save", data={"staged": staged, "name": "Поганий"})
    assert refused.status_code == 422
    assert set(items(app, world.a)) == set(before)


def test_yaml_import_keeps_flat_sample(app, client, world):
    sign_in_as(app, client, world.platform_admin_id)
    csv_preview = importers.parse(importers.stage("a.csv", build_csv("ticks")))
    assert flat(csv_preview.catalog) == SAMPLE
