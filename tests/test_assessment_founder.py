"""A founder's self-assessment: one template launched for all institutions; each
institution plans its own cycle by its own catalog, edits it freely, and the founder
sees its progress, not its drafts."""

from datetime import timedelta

from sqlalchemy import func, select

from dozq.assessment import services
from dozq.assessment.models import (
    AssessmentCycle,
    CycleMember,
    CycleScheduleItem,
    CycleScopeEntry,
    CycleStatus,
    CycleTemplate,
    ScopeKind,
)
from dozq.audit.models import AuditEntry
from dozq.catalog.models import CatalogItem, InstitutionCatalog, ItemKind
from dozq.db import db
from dozq.tenancy.models import Founder, Institution, Role
from dozq.tenancy.scope import Scope, tenant_scope
from tests.factories import make_institution, sign_in_as
from tests.test_assessment_support import (
    TODAY,
    advance,
    indicators,
    observe,
    person,
    scoped,
)

TITLE = "Самооцінювання від засновника 2026/2027"


def template_form(**overrides) -> dict:
    return {
        "title": TITLE,
        "model_kind": "annual_targeted",
        "school_year": "2026",
        "starts_on": "2027-01-15",
        "ends_on": "2027-05-31",
        "scope_kind": "items",
        "direction_codes": ["1", "3"],
        "note": "Просимо завершити до кінця травня.",
        **overrides,
    }


def base(tenant) -> str:
    return f"/f/{tenant.founder_slug}/assessment"


def prepare(app, client, tenant, **overrides) -> int:
    """The founder of ``tenant`` prepares a template on its page; its id."""
    sign_in_as(app, client, tenant.founder_admin_id)
    response = client.post(f"{base(tenant)}/", data=template_form(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def launched(app, client, tenant, **overrides) -> int:
    """A template prepared and launched by the founder of ``tenant``; its id."""
    template_id = prepare(app, client, tenant, **overrides)
    launch(client, tenant, template_id)
    return template_id


def launch(client, tenant, template_id: int):
    return client.post(f"{base(tenant)}/{template_id}/launch", follow_redirects=True)


def cycle_of(template_id: int) -> AssessmentCycle:
    """In an institution's scope: its cycle of the template."""
    return db.session.scalar(
        select(AssessmentCycle).where(AssessmentCycle.template_id == template_id)
    )


def cycles_of(app, tenant, template_id: int) -> list[AssessmentCycle]:
    with scoped(app, tenant):
        found = db.session.scalars(
            select(AssessmentCycle).where(AssessmentCycle.template_id == template_id)
        ).all()
        db.session.expunge_all()
        return found


def test_launch_plans_one_cycle_per_institution_by_its_own_catalog(app, client, world):
    template_id = prepare(app, client, world.a)
    page = launch(client, world.a, template_id)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Створено циклів у закладах: 2" in body
    for tenant in (world.a, world.a2):
        with scoped(app, tenant):
            cycle = cycle_of(template_id)
            assert cycle.status == CycleStatus.PLANNED
            assert cycle.title == TITLE and cycle.school_year == 2026
            assert cycle.model_kind.value == "annual_targeted"
            assert cycle.starts_on.isoformat() == "2027-01-15"
            active = db.session.scalar(
                select(InstitutionCatalog.id).where(InstitutionCatalog.is_active)
            )
            assert cycle.catalog_id == active
            assert cycle.created_by_id == tenant.founder_admin_id
            # The world's catalog has direction 1 only: the scope is that direction, of
            # this institution's own catalog.
            assert cycle.scope_kind == ScopeKind.ITEMS
            scope = db.session.scalars(
                select(CatalogItem)
                .join(CycleScopeEntry, CycleScopeEntry.catalog_item_id == CatalogItem.id)
                .where(CycleScopeEntry.cycle_id == cycle.id)
            ).all()
            assert [(item.code, item.kind, item.catalog_id) for item in scope] == [
                ("1", ItemKind.DIRECTION, active)
            ]
            # The default schedule, as for any new cycle.
            assert db.session.scalar(
                select(func.count(CycleScheduleItem.id)).where(
                    CycleScheduleItem.cycle_id == cycle.id
                )
            ) == len(services.SCHEDULE_STEPS)
    # The other founder's institutions got nothing.
    for tenant in (world.b, world.b2):
        with scoped(app, tenant):
            assert (
                db.session.scalar(
                    select(func.count(AssessmentCycle.id)).where(
                        AssessmentCycle.template_id.is_not(None)
                    )
                )
                == 0
            )


def test_launching_again_creates_no_duplicates(app, client, world):
    template_id = launched(app, client, world.a)
    again = launch(client, world.a, template_id).get_data(as_text=True)
    assert "Створено циклів у закладах: 0; уже мали цикл: 2" in again
    for tenant in (world.a, world.a2):
        assert len(cycles_of(app, tenant, template_id)) == 1


def test_a_later_institution_gets_its_cycle_on_relaunch(app, client, world):
    template_id = launched(app, client, world.a, scope_kind="all", direction_codes=[])
    with app.app_context():
        founder_id = world.a.founder_id
        late = make_institution(db.session.get(Founder, founder_id), "zdo-late", "ЗДО «Пізній»")
        late_id = late.id
        db.session.commit()
    body = launch(client, world.a, template_id).get_data(as_text=True)
    # Without a catalog it is skipped, with the reason on the founder's page.
    assert "ЗДО «Пізній»: У закладу ще немає активного каталогу" in body
    page = client.get(f"{base(world.a)}/{template_id}").get_data(as_text=True)
    assert "цикл не створено" in page and "запустіть самооцінювання ще раз" in page
    with app.app_context():
        institution = db.session.get(Institution, late_id, execution_options={"all_tenants": True})
        with tenant_scope(db.session, Scope.for_institution(institution)):
            assert db.session.scalar(select(func.count(AssessmentCycle.id))) == 0
            skipped = db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.institution_id == late_id)
            ).all()
            assert "assessment.template_skipped" in skipped
        with tenant_scope(db.session, Scope.for_founder(founder_id, ())):
            entry = db.session.scalar(
                select(AuditEntry)
                .where(AuditEntry.action == "assessment.template_launched")
                .order_by(AuditEntry.id.desc())
            )
            assert entry.institution_id is None
            assert "ЗДО «Пізній»" in entry.details["skipped"]


def test_an_institution_without_a_catalog_is_skipped_and_reported(app, client, world):
    with scoped(app, world.a2):
        catalog = db.session.scalar(select(InstitutionCatalog).where(InstitutionCatalog.is_active))
        catalog.is_active = False
        db.session.commit()
    template_id = prepare(app, client, world.a)
    body = launch(client, world.a, template_id).get_data(as_text=True)
    assert "Створено циклів у закладах: 1" in body
    assert "друга»: У закладу ще немає активного каталогу критеріїв та індикаторів" in body
    assert len(cycles_of(app, world.a, template_id)) == 1
    assert cycles_of(app, world.a2, template_id) == []
    page = client.get(f"{base(world.a)}/{template_id}").get_data(as_text=True)
    assert "цикл не створено" in page
    # Once the institution has a catalog again, a relaunch plans its cycle.
    with scoped(app, world.a2):
        db.session.scalar(select(InstitutionCatalog)).is_active = True
        db.session.commit()
    assert "Створено циклів у закладах: 1; уже мали цикл: 1" in launch(
        client, world.a, template_id
    ).get_data(as_text=True)
    assert len(cycles_of(app, world.a2, template_id)) == 1
    page = client.get(f"{base(world.a)}/{template_id}").get_data(as_text=True)
    assert "цикл не створено" not in page


def test_an_institution_edits_its_own_cycle_without_touching_others(app, client, world):
    template_id = launched(app, client, world.a)
    with scoped(app, world.a):
        director = person(world.a, Role.DIRECTOR)
        cycle = cycle_of(template_id)
        services.update_cycle(
            director,
            cycle,
            {
                "title": "Наше власне самооцінювання",
                "school_year": 2026,
                "starts_on": cycle.starts_on,
                "ends_on": cycle.ends_on + timedelta(days=10),
                "model_kind": "annual_comprehensive",
            },
            cycle.version,
        )
        services.set_scope(director, cycle, ScopeKind.ALL)
        services.add_member(director, cycle, {"group_role": "head"}, person(world.a, Role.TEACHER))
        db.session.commit()
    [own] = cycles_of(app, world.a, template_id)
    assert own.title == "Наше власне самооцінювання" and own.scope_kind == ScopeKind.ALL
    [other] = cycles_of(app, world.a2, template_id)
    assert other.title == TITLE and other.scope_kind == ScopeKind.ITEMS
    assert other.ends_on.isoformat() == "2027-05-31"
    with scoped(app, world.a2):
        assert (
            db.session.scalar(
                select(func.count(CycleMember.id)).where(CycleMember.cycle_id == other.id)
            )
            == 0
        )
        assert (
            db.session.scalar(
                select(func.count(CycleScopeEntry.id)).where(CycleScopeEntry.cycle_id == other.id)
            )
            == 1
        )
        template = db.session.get(CycleTemplate, template_id)
        assert template.title == TITLE and template.direction_codes == ["1", "3"]
    # The institution's cycle page names the founder's template.
    sign_in_as(app, client, world.a2.users[Role.TEACHER])
    page = client.get(f"/i/{world.a2.slug}/self-assessment/{other.id}")
    assert page.status_code == 200
    assert f"Запропоновано засновником: {TITLE}" in page.get_data(as_text=True)


def test_another_founder_can_neither_see_nor_launch(app, client, world):
    template_id = prepare(app, client, world.a)
    sign_in_as(app, client, world.b.founder_admin_id)
    assert client.get(f"{base(world.b)}/{template_id}").status_code == 404
    assert client.post(f"{base(world.b)}/{template_id}/launch").status_code == 404
    assert client.get(f"{base(world.a)}/{template_id}").status_code == 404
    assert client.post(f"{base(world.a)}/{template_id}/launch").status_code == 404
    assert TITLE not in client.get(f"{base(world.b)}/").get_data(as_text=True)
    for tenant in (world.a, world.a2, world.b, world.b2):
        assert cycles_of(app, tenant, template_id) == []
    # Nor may the institution's own director.
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    assert client.post(f"{base(world.a)}/{template_id}/launch").status_code in (403, 404)
    assert cycles_of(app, world.a, template_id) == []


def test_the_founder_sees_progress_and_publication_not_drafts(app, client, world):
    template_id = launched(app, client, world.a, scope_kind="all", direction_codes=[])
    with scoped(app, world.a):
        cycle = cycle_of(template_id)
        director = person(world.a, Role.DIRECTOR)
        services.add_member(
            director,
            cycle,
            {"group_role": "head", "responsibility": "ЧЕРНЕТКА-ГРУПИ"},
            person(world.a, Role.TEACHER),
        )
        advance(world.a, cycle, CycleStatus.COLLECTING)
        indicator = indicators(cycle)[0]
        observe(world.a, cycle, indicator, [3])
        advance(world.a, cycle, CycleStatus.GENERALISING, CycleStatus.RATING)
        services.rate_indicator(
            director,
            cycle,
            indicator,
            {"score": "3,5", "narrative": "ЧЕРНЕТКА-ОПИСУ", "justification": "ЧЕРНЕТКА-ЧОМУ"},
            0,
        )
        cycle_id = cycle.id
        db.session.commit()
    sign_in_as(app, client, world.a.founder_admin_id)
    body = client.get(f"{base(world.a)}/{template_id}").get_data(as_text=True)
    assert "визначення рівнів" in body and "не оприлюднено" in body
    assert "ЧЕРНЕТКА" not in body and "Бджілка" not in body and "3,5" not in body
    assert "Бета" not in body
    with scoped(app, world.a):
        cycle = db.session.get(AssessmentCycle, cycle_id)
        director = person(world.a, Role.DIRECTOR)
        services.record_council_discussion(
            director, cycle, {"held_on": TODAY, "protocol_number": "№ 4", "agenda": "Підсумки"}
        )
        advance(world.a, cycle, CycleStatus.DISCUSSED)
        services.transition(
            director,
            Role.DIRECTOR,
            cycle,
            CycleStatus.PUBLISHED,
            publication_url="https://zdo-a.example.com/results",
        )
        db.session.commit()
    body = client.get(f"{base(world.a)}/{template_id}").get_data(as_text=True)
    assert "оприлюднено: <a" in body and "https://zdo-a.example.com/results" in body
    assert "ЧЕРНЕТКА" not in body


def test_every_step_is_in_the_audit_log(app, client, world):
    template_id = launched(app, client, world.a)
    with app.app_context(), tenant_scope(db.session, Scope.for_founder(world.a.founder_id, ())):
        founder_side = db.session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.institution_id.is_(None),
                AuditEntry.target_type == "CycleTemplate",
                AuditEntry.target_id == template_id,
            )
        ).all()
        assert sorted(founder_side) == [
            "assessment.template_created",
            "assessment.template_launched",
        ]
    for tenant in (world.a, world.a2):
        with scoped(app, tenant):
            cycle_id = db.session.scalar(
                select(AssessmentCycle.id).where(AssessmentCycle.template_id == template_id)
            )
            actions = db.session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.target_type == "AssessmentCycle",
                    AuditEntry.target_id == cycle_id,
                )
            ).all()
            assert {
                "assessment.cycle_created",
                "assessment.scope_set",
                "assessment.template_received",
            } <= set(actions)
            actors = set(
                db.session.scalars(
                    select(AuditEntry.actor_id).where(
                        AuditEntry.target_type == "AssessmentCycle",
                        AuditEntry.target_id == cycle_id,
                    )
                )
            )
            assert actors == {tenant.founder_admin_id}


def test_invalid_template_is_refused_in_ukrainian(app, client, world):
    sign_in_as(app, client, world.a.founder_admin_id)
    page = client.get(f"{base(world.a)}/")
    assert page.status_code == 200 and "Запропоновано" not in page.get_data(as_text=True)
    refused = client.post(
        f"{base(world.a)}/",
        data=template_form(direction_codes=[], ends_on="2027-01-01"),
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Оберіть хоча б один напрям." in body
    assert "Дата завершення не може бути раніше за дату початку." in body
    with app.app_context(), tenant_scope(db.session, Scope.for_founder(world.a.founder_id, ())):
        assert TITLE not in db.session.scalars(select(CycleTemplate.title)).all()


def test_the_template_page_runs_a_bounded_number_of_statements(app, client, world, count_queries):
    template_id = launched(app, client, world.a, scope_kind="all", direction_codes=[])
    url = f"{base(world.a)}/{template_id}"
    client.get(url)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    few = len(counter)
    assert few <= 12, counter.statements
    with app.app_context():
        founder = db.session.get(Founder, world.a.founder_id)
        for number in range(4):
            make_institution(founder, f"zdo-more-{number}", f"ЗДО «Ще один {number}»")
        db.session.commit()
    launch(client, world.a, template_id)
    with count_queries() as counter:
        body = client.get(url).get_data(as_text=True)
    assert "Ще один 3" in body
    assert len(counter) == few


def test_a_template_is_changed_or_deleted_before_launch_only(app, client, world):
    template_id = prepare(app, client, world.a)
    url = f"{base(world.a)}/{template_id}"
    page = client.get(f"{url}/edit")
    assert page.status_code == 200 and TITLE in page.get_data(as_text=True)
    changed = template_form(title="Самооцінювання (уточнено)", scope_kind="all", version="1")
    assert client.post(f"{url}/edit", data=changed).status_code == 303
    again = client.post(f"{url}/edit", data={**changed, "version": "2"}, follow_redirects=True)
    assert "Змін не було." in again.get_data(as_text=True)
    stale = client.post(f"{url}/edit", data={**changed, "title": "Пізніше"})
    assert stale.status_code == 409
    assert "змінив інший користувач" in stale.get_data(as_text=True)
    with app.app_context(), tenant_scope(db.session, Scope.for_founder(world.a.founder_id, ())):
        template = db.session.get(CycleTemplate, template_id)
        assert (template.title, template.scope_kind, template.direction_codes) == (
            "Самооцінювання (уточнено)",
            ScopeKind.ALL,
            [],
        )
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.target_type == "CycleTemplate")
        ).all()
        # The save that changed nothing is not in the log.
        assert actions.count("assessment.template_updated") == 1
    launch(client, world.a, template_id)
    after = client.get(url).get_data(as_text=True)
    assert f"{url}/edit" not in after and f"{url}/delete" not in after
    sent_back = client.get(f"{url}/edit", follow_redirects=True)
    assert sent_back.request.path == url and "вже запущено" in sent_back.get_data(as_text=True)
    refused = client.post(f"{url}/edit", data={**changed, "version": "2"})
    assert refused.status_code == 422
    assert "вже запущено" in refused.get_data(as_text=True)
    refused = client.post(f"{url}/delete")
    assert refused.status_code == 422 and "вже запущено" in refused.get_data(as_text=True)
    other = prepare(app, client, world.a, title="Чернетка самооцінювання")
    deleted = client.post(f"{base(world.a)}/{other}/delete", follow_redirects=True)
    assert deleted.status_code == 200 and "Самооцінювання видалено." in deleted.get_data(
        as_text=True
    )
    assert client.get(f"{base(world.a)}/{other}").status_code == 404
    assert client.get(url).status_code == 200


def test_the_demo_founder_has_prepared_a_template_not_launched(app):
    from dozq.demo import load_demo

    with app.app_context():
        for _ in range(2):
            load_demo("демо-пароль-для-тесту")
            db.session.commit()
        founder = db.session.scalar(select(Founder))
        with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
            templates = db.session.scalars(select(CycleTemplate)).all()
        assert len(templates) == 1
        assert templates[0].launched_at is None and templates[0].direction_codes == ["1", "3"]
