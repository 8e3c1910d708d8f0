"""An institution shapes its catalog: wording, switched-off items, own items, order, methods."""

import re

import pytest
from sqlalchemy import func, select

from dozq.audit.models import AuditEntry
from dozq.catalog import queries, services
from dozq.catalog.generate import generated_catalog
from dozq.catalog.models import CatalogItem, InstitutionCatalog, ItemKind, WordingStatus
from dozq.db import db
from dozq.tenancy.models import Role
from dozq.tenancy.scope import Scope, tenant_scope
from tests.factories import WORLD_CATALOG, sign_in_as

HX = {"HX-Request": "true"}


def scope_of(tenant) -> Scope:
    return Scope(tenant.founder_id, (tenant.institution_id,), tenant.institution_id)


def items(app, tenant) -> dict[str, CatalogItem]:
    """The active catalog's items by code (detached snapshots)."""
    with app.app_context(), tenant_scope(db.session, scope_of(tenant)):
        rows = db.session.scalars(
            select(CatalogItem)
            .join(CatalogItem.catalog)
            .where(InstitutionCatalog.is_active)
            .order_by(CatalogItem.position)
        ).all()
        db.session.expunge_all()
        return {row.code: row for row in rows}


def audit_actions(app, tenant) -> list[str]:
    with app.app_context(), tenant_scope(db.session, scope_of(tenant)):
        return db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.like("catalog.%"))
            .order_by(AuditEntry.id)
        ).all()


def url(tenant, path=""):
    return f"/i/{tenant.slug}/catalog/{path}"


@pytest.fixture
def methodologist(app, client, world):
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    return client


# -- reading ------------------------------------------------------------------


def test_page_and_fragment(app, methodologist, world):
    page = methodologist.get(url(world.a))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "<html" in body and 'id="catalog-tree"' in body
    assert "Власний індикатор Альфа" in body
    assert "HX-Request" in page.headers["Vary"]
    fragment = methodologist.get(url(world.a), headers=HX)
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="catalog-tree"')
    assert "<html" not in text


def test_other_staff_read_only(app, client, world):
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    body = client.get(url(world.a)).get_data(as_text=True)
    assert "Власний індикатор Альфа" in body
    assert "Вимкнути" not in body and "Змінити<" not in body
    assert "Каталог змінюють керівник і вихователь-методист" in body
    item = items(app, world.a)["1.1.1.1"]
    assert client.get(url(world.a, f"items/{item.id}/edit")).status_code == 403
    assert client.post(url(world.a, f"items/{item.id}/toggle")).status_code == 403
    assert items(app, world.a)["1.1.1.1"].enabled


# -- wording and methods -------------------------------------------------------


def test_edit_wording_and_methods(app, methodologist, world):
    item = items(app, world.a)["1.1.1.1"]
    form = methodologist.get(url(world.a, f"items/{item.id}/edit"))
    assert form.status_code == 200
    assert f'name="version" type="hidden" value="{item.version}"' in form.get_data(as_text=True)
    response = methodologist.post(
        url(world.a, f"items/{item.id}/edit"),
        data={
            "text": "  Нове   формулювання ",
            "methods": ["observation", "survey"],
            "version": item.version,
        },
    )
    assert response.status_code == 303
    saved = items(app, world.a)["1.1.1.1"]
    assert saved.text == "Нове формулювання"
    assert saved.methods == ["survey", "observation"]
    assert saved.wording_status is WordingStatus.OWN
    assert "catalog.item_updated" in audit_actions(app, world.a)


def test_edit_in_place_with_htmx(app, methodologist, world):
    item = items(app, world.a)["1.1.1"]
    row = methodologist.get(url(world.a, f"items/{item.id}/edit"), headers=HX)
    body = row.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="item-{item.id}">')
    assert "Методи збору" not in body  # a criterion has no methods
    saved = methodologist.post(
        url(world.a, f"items/{item.id}/edit"),
        data={"text": "Критерій по-новому", "version": item.version},
        headers=HX,
    )
    assert saved.status_code == 200
    assert saved.headers["HX-Retarget"] == "#catalog-tree"
    assert "Критерій по-новому" in saved.get_data(as_text=True)


def test_a_second_concurrent_save_is_refused(app, client, world):
    item = items(app, world.a)["1.1.1.1"]
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    other = app.test_client()
    sign_in_as(app, other, world.a.users[Role.DIRECTOR])
    path = url(world.a, f"items/{item.id}/edit")
    first = client.post(path, data={"text": "Текст методиста", "version": item.version})
    assert first.status_code == 303
    second = other.post(path, data={"text": "Текст директора", "version": item.version})
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert "Поки ви редагували, цей запис змінив інший користувач" in body
    assert "Текст директора" in body  # kept in the form, not lost
    assert items(app, world.a)["1.1.1.1"].text == "Текст методиста"


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"text": "   "}, "text", "Введіть формулювання."),
        ({"text": "x" * 4001}, "text", "Значення поля має містити не більше ніж 4000 символів"),
        ({"text": "Добре", "methods": ["telepathy"]}, "methods", "Оберіть методи з переліку."),
    ],
)
def test_bad_item_input_is_explained_beside_the_field(
    app, methodologist, world, data, field, message
):
    item = items(app, world.a)["1.1.1.1"]
    response = methodologist.post(
        url(world.a, f"items/{item.id}/edit"), data={**data, "version": item.version}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', body, re.S)
    assert error and message in error.group(1)
    assert items(app, world.a)["1.1.1.1"].text == item.text


def test_missing_version_is_an_error_not_a_blind_save(app, methodologist, world):
    item = items(app, world.a)["1.1.1.1"]
    response = methodologist.post(
        url(world.a, f"items/{item.id}/edit"), data={"text": "Без версії"}
    )
    assert response.status_code == 422
    assert items(app, world.a)["1.1.1.1"].text == item.text


# -- switching off, own items, order -------------------------------------------


def test_switch_off_keeps_the_item_greyed(app, methodologist, world):
    requirement = items(app, world.a)["1.1"]
    response = methodologist.post(url(world.a, f"items/{requirement.id}/toggle"))
    assert response.status_code == 303
    assert not items(app, world.a)["1.1"].enabled
    body = methodologist.get(url(world.a)).get_data(as_text=True)
    assert f'<tr id="item-{requirement.id}" class="muted">' in body
    assert "у вимкненому розділі" in body  # its criteria and indicators
    again = methodologist.post(url(world.a, f"items/{requirement.id}/toggle"), headers=HX)
    assert again.status_code == 200
    assert again.get_data(as_text=True).lstrip().startswith('<section id="catalog-tree"')
    assert items(app, world.a)["1.1"].enabled
    assert audit_actions(app, world.a)[-2:] == ["catalog.item_disabled", "catalog.item_enabled"]


def test_add_own_indicator(app, methodologist, world):
    criterion = items(app, world.a)["1.1.1"]
    form = methodologist.get(url(world.a, f"items/{criterion.id}/new"))
    assert form.status_code == 200
    assert 'value="1.1.1.4"' in form.get_data(as_text=True)  # next free code
    response = methodologist.post(
        url(world.a, f"items/{criterion.id}/new"),
        data={"code": "1.1.1.4", "text": "Наш індикатор", "methods": ["documents"]},
    )
    assert response.status_code == 303
    added = items(app, world.a)["1.1.1.4"]
    assert (added.is_own, added.wording_status, added.methods) == (
        True,
        WordingStatus.OWN,
        ["documents"],
    )
    assert added.parent_id == criterion.id and added.kind is ItemKind.INDICATOR


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"code": "1.1.1.1", "text": "Дубль"}, "code", "Код «1.1.1.1» уже є в каталозі."),
        ({"code": "1 1", "text": "Пробіл"}, "code", "Код пишуть без пробілів"),
        ({"code": "", "text": "Без коду"}, "code", "Введіть код."),
        ({"code": "1.1.1.7", "text": ""}, "text", "Введіть формулювання."),
        (
            {"code": "1.1.1.7", "text": "Т", "methods": ["x"]},
            "methods",
            "Оберіть методи з переліку.",
        ),
    ],
)
def test_bad_new_item_input(app, methodologist, world, data, field, message):
    criterion = items(app, world.a)["1.1.1"]
    before = len(items(app, world.a))
    response = methodologist.post(url(world.a, f"items/{criterion.id}/new"), data=data)
    assert response.status_code == 422
    error = re.search(
        rf'<p class="error" id="{field}-error">(.*?)</p>', response.get_data(as_text=True), re.S
    )
    assert error and message in error.group(1)
    assert len(items(app, world.a)) == before


def test_reorder_siblings_without_touching_versions(app, methodologist, world):
    catalog = items(app, world.a)
    first, second = catalog["1.1.1"], catalog["1.1.9"]  # the world's own criterion is last
    response = methodologist.post(url(world.a, f"items/{second.id}/up"), headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.index(f'id="item-{second.id}"') < body.index(f'id="item-{first.id}"')
    after = items(app, world.a)
    assert (after["1.1.9"].position, after["1.1.1"].position) == (0, 1)
    assert after["1.1.1"].version == first.version  # an open edit form still saves
    # At the edge nothing moves; without JavaScript the form posts and redirects.
    edge = methodologist.post(url(world.a, f"items/{second.id}/up"))
    assert edge.status_code == 303 and edge.headers["Location"].endswith(f"#item-{second.id}")
    methodologist.post(url(world.a, f"items/{second.id}/down"))
    assert items(app, world.a)["1.1.9"].position == 1
    assert audit_actions(app, world.a).count("catalog.item_moved") == 2


def test_move_buttons_are_forms_and_keyboard_buttons(app, methodologist, world):
    body = methodologist.get(url(world.a)).get_data(as_text=True)
    # One form posts every action: without JavaScript the clicked button's formaction,
    # with htmx the same (htmx sends the form to the clicked button's formaction).
    form = re.search(r'<form id="tree-actions"[^>]*>', body).group(0)
    assert 'method="post"' in form and "hx-post=" in form
    item = items(app, world.a)["1.1.9"]
    button = re.search(rf'<button id="up-{item.id}"[^>]*>', body).group(0)
    assert 'type="submit"' in button and 'form="tree-actions"' in button
    assert f'formaction="/i/{world.a.slug}/catalog/items/{item.id}/up"' in button


def test_typed_text_is_escaped_in_the_tree(app, methodologist, world):
    criterion = items(app, world.a)["1.1.1"]
    response = methodologist.post(
        url(world.a, f"items/{criterion.id}/new"),
        data={"code": '1.1.1.<b>"', "text": "<script>alert(1)</script> & «лапки»"},
    )
    assert response.status_code == 303
    body = methodologist.get(url(world.a)).get_data(as_text=True)
    assert "<script>alert" not in body and "1.1.1.<b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; «лапки»" in body
    assert "1.1.1.&lt;b&gt;&#34;" in body


def test_delete_only_own_items(app, methodologist, world):
    catalog = items(app, world.a)
    own, template_item = catalog["1.1.9"], catalog["1.1.1"]
    refused = methodologist.post(url(world.a, f"items/{template_item.id}/delete"))
    assert refused.status_code == 422
    assert "не видаляють, а вимикають" in refused.get_data(as_text=True)
    assert methodologist.post(url(world.a, f"items/{own.id}/delete")).status_code == 303
    assert "1.1.9" not in items(app, world.a)


# -- choosing a catalog --------------------------------------------------------


def another_template(app) -> int:
    with app.app_context():
        template, _ = services.save_template(None, generated_catalog((1, 2, 2, 3)), "Інший")
        db.session.commit()
        return template.id


def test_adopt_a_template_and_archive_the_previous(app, methodologist, world):
    template_id = another_template(app)
    page = methodologist.get(url(world.a, "templates"))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Каталог тестового світу" in body and "пропонує засновник" in body
    # The catalog the institution works with cannot be adopted again (by accident).
    assert re.findall(r'name="template_id" value="(\d+)"', body) == [str(template_id)]
    with app.app_context():
        current_id = queries.latest_template(WORLD_CATALOG).id
    again = methodologist.post(url(world.a, "adopt"), data={"template_id": current_id})
    assert again.status_code == 303
    assert "Заклад уже працює з каталогом" in methodologist.get(again.headers["Location"]).get_data(
        as_text=True
    )
    preview = methodologist.get(url(world.a, f"templates?template={template_id}"))
    assert 'id="template-preview"' in preview.get_data(as_text=True)
    bad = methodologist.post(url(world.a, "adopt"), data={"template_id": "99999"})
    assert bad.status_code == 422
    assert "Такого каталогу немає" in bad.get_data(as_text=True)
    empty = methodologist.post(url(world.a, "adopt"), data={})
    assert empty.status_code == 422
    assert (
        methodologist.post(url(world.a, "adopt"), data={"template_id": template_id}).status_code
        == 303
    )
    with app.app_context(), tenant_scope(db.session, scope_of(world.a)):
        catalogs = db.session.scalars(
            select(InstitutionCatalog).order_by(InstitutionCatalog.id)
        ).all()
        assert [c.is_active for c in catalogs] == [False, True]
    assert "1.1.9" not in items(app, world.a)  # a fresh copy, without the old own items
    assert "1.2.1.1" in items(app, world.a)
    assert "catalog.adopted" in audit_actions(app, world.a)


def test_archived_catalog_is_read_only(app, methodologist, world):
    old = items(app, world.a)["1.1.1.1"]
    template_id = another_template(app)
    methodologist.post(url(world.a, "adopt"), data={"template_id": template_id})
    assert methodologist.post(url(world.a, f"items/{old.id}/toggle")).status_code == 404
    with app.app_context(), tenant_scope(db.session, scope_of(world.a)):
        archived = db.session.scalar(
            select(InstitutionCatalog.id).where(InstitutionCatalog.is_active.is_(False))
        )
    page = methodologist.get(url(world.a, f"catalogs/{archived}"))
    assert page.status_code == 200
    assert "в архіві з" in page.get_data(as_text=True)
    assert "Вимкнути" not in page.get_data(as_text=True)


def test_institution_without_catalog_sees_how_to_start(app, methodologist, world):
    with app.app_context(), tenant_scope(db.session, scope_of(world.a)):
        for catalog in db.session.scalars(select(InstitutionCatalog)):
            catalog.is_active = False
        db.session.commit()
    body = methodologist.get(url(world.a)).get_data(as_text=True)
    assert "Заклад ще не обрав каталог" in body
    assert "Архівні каталоги" in body


def test_catalog_audit_log_counts(app, world):
    with app.app_context(), tenant_scope(db.session, scope_of(world.a)):
        count = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "catalog.adopted")
        )
    assert count == 1
