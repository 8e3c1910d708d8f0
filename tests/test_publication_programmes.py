"""Internal monitoring programmes: services directly, then their pages."""

from datetime import date

import pytest
from sqlalchemy import select

from dozq.audit.models import AuditEntry
from dozq.auth.models import User
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.publication import services
from dozq.publication.models import MonitoringProgramme, ProgrammeStatus
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from dozq.web.errors import ConflictError, DomainError
from tests.factories import sign_in_as


def scope_of(institution_id):
    institution = db.session.get(
        Institution, institution_id, execution_options={BYPASS_OPTION: True}
    )
    return tenant_scope(db.session, Scope.for_institution(institution))


def indicator_of(tenant):
    with scope_of(tenant.institution_id):
        return db.session.scalar(
            select(CatalogItem.id).where(CatalogItem.kind == ItemKind.INDICATOR).limit(1)
        )


def test_create_update_publish_withdraw(app, world):
    with app.app_context():
        own = indicator_of(world.a)
        with scope_of(world.a.institution_id):
            director = db.session.get(User, world.a.users[Role.DIRECTOR])
            programme = services.create_programme(
                director,
                {"subject": "Адаптація дітей", "goal": "Мета", "tasks": "Перше\nДруге"},
                [own],
            )
            assert [link.catalog_item_id for link in programme.indicators] == [own]
            assert programme.status == ProgrammeStatus.DRAFT
            services.update_programme(
                director, programme, {"subject": "Адаптація дітей раннього віку"}, [], 1
            )
            assert programme.indicators == []
            with pytest.raises(ConflictError):
                services.update_programme(director, programme, {"subject": "x"}, [], 1)
            with pytest.raises(DomainError, match="номер і дату"):
                services.publish_programme(director, programme, "order", " ", date.today())
            services.record_results(director, programme, "Діти адаптувалися", programme.version)
            services.publish_programme(
                director, programme, "protocol", "3", date(2026, 9, 1), programme.version
            )
            assert programme.status == ProgrammeStatus.PUBLISHED
            assert programme.approval_text == "протокол педагогічної ради № 3 від 01.09.2026"
            # What was approved stays as approved while it is published.
            with pytest.raises(DomainError, match="зніміть її з оприлюднення"):
                services.update_programme(director, programme, {"subject": "Інше"}, [], None)
            with pytest.raises(DomainError, match="зніміть її з оприлюднення"):
                services.record_results(director, programme, "Інші результати", None)
            assert programme.subject == "Адаптація дітей раннього віку"
            assert programme.results == "Діти адаптувалися"
            services.withdraw_programme(director, programme, programme.version)
            assert programme.status == ProgrammeStatus.DRAFT
            with pytest.raises(DomainError):
                services.withdraw_programme(director, programme, programme.version)
            actions = db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.target_id == programme.id)
            ).all()
            assert {
                "publication.programme_created",
                "publication.programme_updated",
                "publication.programme_results",
                "publication.programme_published",
                "publication.programme_withdrawn",
            } <= set(actions)


def test_foreign_or_wrong_indicator_is_refused(app, world):
    with app.app_context():
        foreign = indicator_of(world.b)
        with scope_of(world.a.institution_id):
            director = db.session.get(User, world.a.users[Role.DIRECTOR])
            with pytest.raises(DomainError, match="каталогу вашого закладу"):
                services.create_programme(director, {"subject": "Х"}, [foreign])
            direction = db.session.scalar(
                select(CatalogItem.id).where(CatalogItem.kind == ItemKind.DIRECTION).limit(1)
            )
            with pytest.raises(DomainError, match="каталогу вашого закладу"):
                services.create_programme(director, {"subject": "Х"}, [direction])
            with pytest.raises(DomainError, match="предмет"):
                services.create_programme(director, {"subject": "  "}, [])


def base(world):
    return f"/i/{world.a.slug}/monitoring"


def test_director_creates_edits_and_publishes(app, client, world):
    own = None
    with app.app_context():
        own = indicator_of(world.a)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    page = client.get(base(world) + "/new")
    assert page.status_code == 200
    assert "Нова програма моніторингу" in page.get_data(as_text=True)
    response = client.post(
        base(world) + "/new",
        data={"subject": "Мовленнєвий розвиток", "goal": "З'ясувати", "indicators": [own]},
    )
    assert response.status_code == 303
    url = response.headers["Location"]
    shown = client.get(url).get_data(as_text=True)
    assert "Мовленнєвий розвиток" in shown and "чернетка" in shown
    with app.app_context(), scope_of(world.a.institution_id):
        programme = db.session.scalar(
            select(MonitoringProgramme).where(MonitoringProgramme.subject == "Мовленнєвий розвиток")
        )
        programme_id, version = programme.id, programme.version
    edited = client.post(
        f"{base(world)}/{programme_id}/edit",
        data={"subject": "Мовленнєвий розвиток дітей", "version": version},
    )
    assert edited.status_code == 303
    stale = client.post(
        f"{base(world)}/{programme_id}/edit", data={"subject": "Інше", "version": version}
    )
    assert stale.status_code == 409
    assert "змінив інший користувач" in stale.get_data(as_text=True)
    refused = client.post(
        f"{base(world)}/{programme_id}/publish",
        data={"approval_kind": "order", "approval_number": "", "version": version + 1},
    )
    assert refused.status_code == 422
    assert "Вкажіть номер наказу або протоколу." in refused.get_data(as_text=True)
    published = client.post(
        f"{base(world)}/{programme_id}/publish",
        data={
            "approval_kind": "order",
            "approval_number": "45-о/д",
            "approval_date": "2026-09-02",
            "version": version + 1,
        },
    )
    assert published.status_code == 303
    text = client.get(url).get_data(as_text=True)
    assert "наказ № 45-о/д від 02.09.2026" in text
    public = client.get(f"/p/{world.a.slug}/monitoring/{programme_id}")
    assert public.status_code == 200
    assert "Мовленнєвий розвиток дітей" in public.get_data(as_text=True)
    assert "Редагувати програму" not in text and "Зберегти результати" not in text
    sent_back = client.get(f"{base(world)}/{programme_id}/edit", follow_redirects=True)
    assert sent_back.request.path == url and "зніміть її з оприлюднення" in sent_back.get_data(
        as_text=True
    )
    for path, data in (
        ("edit", {"subject": "Непогоджена зміна", "version": version + 2}),
        ("results", {"results": "Непогоджені результати", "version": version + 2}),
    ):
        refused = client.post(f"{base(world)}/{programme_id}/{path}", data=data)
        assert refused.status_code == 422
        body = refused.get_data(as_text=True)
        # The refusal explained, and what was typed kept in the form.
        assert "Програму оприлюднено такою, якою її затверджено" in body
        assert next(value for value in data.values() if isinstance(value, str)) in body
    public = client.get(f"/p/{world.a.slug}/monitoring/{programme_id}").get_data(as_text=True)
    assert "Непогоджен" not in public


def test_bad_input_answers_422_in_ukrainian_and_htmx_gets_the_fragment(app, client, world):
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    full = client.post(base(world) + "/new", data={"subject": ""})
    assert full.status_code == 422
    body = full.get_data(as_text=True)
    assert "Вкажіть предмет моніторингу." in body and "<html" in body
    fragment = client.post(
        base(world) + "/new", data={"subject": ""}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 422
    piece = fragment.get_data(as_text=True)
    assert "Вкажіть предмет моніторингу." in piece and "<html" not in piece
    assert 'id="programme-form"' in piece


def test_staff_read_but_do_not_edit(app, client, world):
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    listing = client.get(base(world) + "/")
    assert listing.status_code == 200
    assert "Чернетка програми Альфа" in listing.get_data(as_text=True)
    assert "Нова програма моніторингу</a>" not in listing.get_data(as_text=True)
    assert client.get(base(world) + "/new").status_code == 403
    assert client.post(base(world) + "/new", data={"subject": "Х"}).status_code == 403


def test_htmx_save_sends_the_browser_to_the_programme(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    response = client.post(
        base(world) + "/new", data={"subject": "Харчування"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith(base(world) + "/")
