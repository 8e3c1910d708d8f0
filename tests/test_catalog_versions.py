"""Template versions: the institution sees what a newer version changes and takes what it
wants; a founder offers templates and sees which institution adopted which version."""

import re

from sqlalchemy import select

from dozq.audit.models import AuditEntry
from dozq.catalog import services
from dozq.catalog.generate import generated_catalog
from dozq.catalog.models import CatalogOffer, InstitutionCatalog, ItemKind, WordingStatus
from dozq.db import db
from dozq.tenancy.models import Role
from dozq.tenancy.scope import Scope, tenant_scope
from tests.factories import WORLD_CATALOG, sign_in_as
from tests.test_catalog_views import audit_actions, items, scope_of, url


def publish_next_version(app):
    """Version 2 of the world's template: one indicator reworded, one removed, one added
    (with a new criterion for it), methods of another changed."""
    catalog = generated_catalog((1, 1, 1, 2))
    criterion = catalog.directions[0].children[0].children[0]
    first, second = criterion.children
    first.text = "Індикатор 1.1.1.1 у новій редакції"
    second.methods = ["documents"]
    requirement = catalog.directions[0].children[0]
    added = type(criterion)(ItemKind.CRITERION, "1.1.2", "Новий критерій версії 2")
    added.children.append(
        type(first)(ItemKind.INDICATOR, "1.1.2.1", "Новий індикатор версії 2", methods=["survey"])
    )
    requirement.children.append(added)
    with app.app_context():
        template, created = services.save_template(None, catalog, WORLD_CATALOG)
        db.session.commit()
        assert created and template.version_number == 2
        return template.id


def test_index_announces_a_newer_version(app, client, world):
    publish_next_version(app)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    body = client.get(url(world.a)).get_data(as_text=True)
    assert "Вийшла нова версія каталогу «Каталог тестового світу»: версія 2" in body


def test_diff_against_the_copy(app, client, world):
    template_id = publish_next_version(app)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    # The institution rewrote an indicator the new version does not touch: not an update.
    mine = items(app, world.a)["1.1.1.2"]
    client.post(
        url(world.a, f"items/{mine.id}/edit"),
        data={"text": "Наше власне формулювання", "methods": ["survey"], "version": mine.version},
    )
    page = client.get(url(world.a, "updates"))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    keys = re.findall(r'name="take" value="([^"]+)"', body)
    assert keys == ["reworded:1.1.1.1", "reworded:1.1.1.2", "added:1.1.2", "added:1.1.2.1"]
    assert "Індикатор 1.1.1.1 у новій редакції" in body
    assert "це формулювання заклад змінював сам" in body  # 1.1.1.2: methods changed upstream
    assert f'name="template_id" type="hidden" value="{template_id}"' in body
    fragment = client.get(url(world.a, "updates"), headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="updates">')


def test_take_chosen_changes(app, client, world):
    template_id = publish_next_version(app)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    response = client.post(
        url(world.a, "updates"),
        data={
            "template_id": template_id,
            "take": ["reworded:1.1.1.1", "added:1.1.2", "added:1.1.2.1"],
        },
    )
    assert response.status_code == 303
    after = items(app, world.a)
    assert after["1.1.1.1"].text == "Індикатор 1.1.1.1 у новій редакції"
    assert after["1.1.1.1"].wording_status is WordingStatus.IMPORTED
    assert after["1.1.1.2"].methods != ["documents"]  # not taken
    assert after["1.1.2.1"].parent_id == after["1.1.2"].id
    # The institution's own items stay where they were.
    assert "1.1.1.9" in after and "1.1.9" in after
    with app.app_context(), tenant_scope(db.session, scope_of(world.a)):
        catalog = db.session.scalar(select(InstitutionCatalog).where(InstitutionCatalog.is_active))
        assert catalog.template_version == 2
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "catalog.updated_to_version")
        )
        assert entry.details["taken"] == ["reworded:1.1.1.1", "added:1.1.2", "added:1.1.2.1"]
    assert client.get(url(world.a, "updates")).status_code == 200
    assert "Нових версій каталогу немає" in client.get(url(world.a, "updates")).get_data(
        as_text=True
    )


def test_removed_items_go_with_their_subtree(app, client, world):
    catalog = generated_catalog((1, 1, 1, 1))
    with app.app_context():
        template, _ = services.save_template(None, catalog, WORLD_CATALOG)
        db.session.commit()
        template_id = template.id
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    body = client.get(url(world.a, "updates")).get_data(as_text=True)
    assert re.findall(r'name="take" value="([^"]+)"', body) == ["removed:1.1.1.2"]
    client.post(
        url(world.a, "updates"), data={"template_id": template_id, "take": ["removed:1.1.1.2"]}
    )
    assert "1.1.1.2" not in items(app, world.a)


def test_bad_update_choices_change_nothing(app, client, world):
    template_id = publish_next_version(app)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    before = items(app, world.a)
    stale = client.post(
        url(world.a, "updates"), data={"template_id": template_id, "take": ["added:9.9"]}
    )
    assert stale.status_code == 422
    assert "Перелік змін застарів" in stale.get_data(as_text=True)
    orphan = client.post(
        url(world.a, "updates"), data={"template_id": template_id, "take": ["added:1.1.2.1"]}
    )
    assert orphan.status_code == 422
    assert "Щоб додати індикатор 1.1.2.1, позначте також критерій 1.1.2." in orphan.get_data(
        as_text=True
    )
    wrong_version = client.post(url(world.a, "updates"), data={"template_id": 1, "take": []})
    assert wrong_version.status_code == 422
    assert "ще новіша версія" in wrong_version.get_data(as_text=True)
    after = items(app, world.a)
    assert {code: (i.text, i.version) for code, i in after.items()} == {
        code: (i.text, i.version) for code, i in before.items()
    }
    assert "catalog.updated_to_version" not in audit_actions(app, world.a)


# -- founders ------------------------------------------------------------------


def test_founder_sees_adoptions_and_offers(app, client, world):
    publish_next_version(app)
    sign_in_as(app, client, world.a.founder_admin_id)
    page = client.get(f"/f/{world.a.founder_slug}/catalog/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    table = re.search(r'<table class="data" id="adoptions">(.*?)</table>', body, re.S).group(1)
    assert table.count("Каталог тестового світу") == 2  # both of its institutions
    assert "є версія 2" in table
    assert "КАНАРКА" not in body
    template_id = int(re.findall(r'name="template_id" value="(\d+)"', body)[0])
    bad = client.post(f"/f/{world.a.founder_slug}/catalog/offers", data={"template_id": "0"})
    assert bad.status_code == 422
    assert "Такого каталогу немає" in bad.get_data(as_text=True)
    ok = client.post(
        f"/f/{world.a.founder_slug}/catalog/offers",
        data={"template_id": template_id, "note": "Новий рік — нова версія"},
    )
    assert ok.status_code == 303
    twice = client.post(
        f"/f/{world.a.founder_slug}/catalog/offers", data={"template_id": template_id}
    )
    assert twice.status_code == 422
    assert "уже запропоновано" in twice.get_data(as_text=True)
    founder_scope = Scope.for_founder(
        world.a.founder_id, (world.a.institution_id, world.a2.institution_id)
    )
    with app.app_context(), tenant_scope(db.session, founder_scope):
        offers = db.session.scalars(select(CatalogOffer).order_by(CatalogOffer.id)).all()
        newest = offers[-1]
        assert newest.note == "Новий рік — нова версія"
        offer_id = newest.id
    # The institutions see the offer on their catalog page.
    sign_in_as(app, client, world.a2.users[Role.METHODOLOGIST])
    assert "Новий рік — нова версія" in client.get(url(world.a2)).get_data(as_text=True)
    sign_in_as(app, client, world.a.founder_admin_id)
    withdrawn = client.post(f"/f/{world.a.founder_slug}/catalog/offers/{offer_id}/withdraw")
    assert withdrawn.status_code == 303
    with app.app_context(), tenant_scope(db.session, founder_scope):
        assert db.session.get(CatalogOffer, offer_id).withdrawn_at is not None
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("catalog.offer%"))
        ).all()
        assert "catalog.offered" in actions and "catalog.offer_withdrawn" in actions
