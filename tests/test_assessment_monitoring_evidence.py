"""Results of an internal monitoring programme as evidence of a self-assessment cycle:
chosen on its page, linked to the programme's indicators in the cycle's scope,
refused without results or from another institution, written to the audit log."""

from dataclasses import dataclass

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, select, text

from dozq.assessment import services
from dozq.assessment.models import AssessmentCycle, Evidence, EvidenceIndicator, EvidenceKind
from dozq.audit.models import AuditEntry
from dozq.catalog.models import CatalogItem, ItemKind, WordingStatus
from dozq.db import db
from dozq.demo import load_demo
from dozq.publication import services as publication
from dozq.publication.models import MonitoringProgramme
from dozq.tenancy.models import Role
from dozq.web.errors import DomainError
from tests.conftest import database_for, make_app
from tests.factories import CANARY, sign_in_as
from tests.test_assessment_support import (
    TODAY,
    indicators,
    items_of,
    person,
    scoped,
    started,
)

RESULTS = "Усі діти групи «Бджілка» адаптувалися за три тижні.\nПотрібна увага до мовлення."


@dataclass
class Setup:
    cycle: int
    with_results: int
    without_results: int
    foreign: int
    monitored: list[int]


def programme(tenant, subject: str, indicator_ids, results: str = "") -> MonitoringProgramme:
    director = person(tenant, Role.DIRECTOR)
    created = publication.create_programme(director, {"subject": subject}, indicator_ids)
    if results:
        publication.record_results(director, created, results, created.version)
    return created


def build(app, world) -> Setup:
    with scoped(app, world.b):
        cycle_b = started(world.b)
        foreign = programme(
            world.b, f"Програма {CANARY}", [indicators(cycle_b)[0].id], f"Результати {CANARY}"
        )
        db.session.commit()
        foreign_id = foreign.id
    with scoped(app, world.a):
        cycle = started(world.a)
        monitored = [item.id for item in indicators(cycle)[:2]]
        with_results = programme(world.a, "Адаптація дітей раннього віку", monitored, RESULTS)
        without_results = programme(world.a, "Мовленнєвий розвиток", monitored)
        db.session.commit()
        return Setup(cycle.id, with_results.id, without_results.id, foreign_id, monitored)


def url(world, setup: Setup) -> str:
    return f"/i/{world.a.slug}/self-assessment/{setup.cycle}/internal-monitoring/new"


def evidence_count(app, world) -> int:
    with scoped(app, world.a):
        return db.session.scalar(
            select(func.count(Evidence.id)).where(Evidence.kind == EvidenceKind.INTERNAL_MONITORING)
        )


def test_a_programme_with_results_becomes_evidence_through_its_page(app, client, world):
    setup = build(app, world)
    sign_in_as(app, client, world.a.users[Role.TEACHER])

    page = client.get(url(world, setup))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Адаптація дітей раннього віку" in text
    assert "результатів ще немає" in text
    assert CANARY not in text
    prefilled = client.get(url(world, setup), query_string={"programme": setup.with_results})
    assert "Усі діти групи «Бджілка» адаптувалися" in prefilled.get_data(as_text=True)

    saved = client.post(
        url(world, setup),
        data={"programme_id": str(setup.with_results), "occurred_on": TODAY.isoformat()},
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)
    evidence_url = saved.headers["Location"]
    shown = client.get(evidence_url).get_data(as_text=True)
    assert "результати внутрішнього моніторингу" in shown
    assert "Адаптація дітей раннього віку" in shown
    assert f"/i/{world.a.slug}/monitoring/{setup.with_results}" in shown
    assert "Потрібна увага до мовлення." in shown

    with scoped(app, world.a):
        evidence = db.session.scalar(select(Evidence).where(Evidence.cycle_id == setup.cycle))
        assert evidence_url.endswith(f"/self-assessment/evidence/{evidence.id}")
        assert evidence.kind == EvidenceKind.INTERNAL_MONITORING
        assert evidence.monitoring_programme_id == setup.with_results
        assert evidence.body == RESULTS
        assert evidence.title == "Внутрішній моніторинг: Адаптація дітей раннього віку"
        assert evidence.author_id == world.a.users[Role.TEACHER]
        assert sorted(link.indicator_id for link in evidence.links) == sorted(setup.monitored)
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "assessment.internal_monitoring_recorded")
        )
        assert entry.target_id == evidence.id
        assert entry.actor_id == world.a.users[Role.TEACHER]
        assert entry.details["cycle_id"] == setup.cycle
        assert "Адаптація дітей раннього віку" in entry.summary

    listed = client.get(
        f"/i/{world.a.slug}/self-assessment/{setup.cycle}/evidence",
        query_string={"kind": "internal_monitoring"},
    ).get_data(as_text=True)
    assert "Знайдено: 1." in listed


def test_the_summary_written_is_kept_and_indicators_chosen_are_added(app, client, world):
    setup = build(app, world)
    with scoped(app, world.a):
        cycle = db.session.get(AssessmentCycle, setup.cycle)
        extra = next(item.id for item in indicators(cycle) if item.id not in setup.monitored)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    saved = client.post(
        url(world, setup),
        data={
            "programme_id": str(setup.with_results),
            "occurred_on": TODAY.isoformat(),
            "title": "Адаптація: підсумок",
            "body": "Коротко: адаптація успішна.",
            "indicator_ids": [str(extra)],
        },
    )
    assert saved.status_code == 303
    with scoped(app, world.a):
        evidence = db.session.scalar(select(Evidence).where(Evidence.cycle_id == setup.cycle))
        assert evidence.title == "Адаптація: підсумок"
        assert evidence.body == "Коротко: адаптація успішна."
        assert sorted(link.indicator_id for link in evidence.links) == sorted(
            [*setup.monitored, extra]
        )


def test_a_programme_without_results_is_refused_with_422(app, client, world):
    setup = build(app, world)
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    refused = client.post(
        url(world, setup),
        data={"programme_id": str(setup.without_results), "occurred_on": TODAY.isoformat()},
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "У програмі моніторингу «Мовленнєвий розвиток» ще немає результатів." in text
    assert 'id="internal-monitoring-form"' in text
    assert evidence_count(app, world) == 0
    missing = client.post(url(world, setup), data={"occurred_on": TODAY.isoformat()})
    assert missing.status_code == 422
    assert "Оберіть програму моніторингу." in missing.get_data(as_text=True)
    assert evidence_count(app, world) == 0


def test_a_programme_of_another_institution_cannot_be_chosen(app, client, world):
    setup = build(app, world)
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    with scoped(app, world.a):
        audit_before = db.session.scalar(select(func.count(AuditEntry.id)))
    refused = client.post(
        url(world, setup),
        data={"programme_id": str(setup.foreign), "occurred_on": TODAY.isoformat()},
    )
    assert refused.status_code in (404, 422)
    assert CANARY not in refused.get_data(as_text=True)
    assert evidence_count(app, world) == 0
    with scoped(app, world.a):
        assert db.session.scalar(select(func.count(AuditEntry.id))) == audit_before
        # The scope hides it from the service's callers too.
        assert db.session.get(MonitoringProgramme, setup.foreign) is None
    prefilled = client.get(url(world, setup), query_string={"programme": setup.foreign})
    assert prefilled.status_code == 200
    assert CANARY not in prefilled.get_data(as_text=True)
    # Nor can B's cycle be reached from A.
    foreign_cycle = client.post(
        f"/i/{world.a.slug}/self-assessment/999999/internal-monitoring/new",
        data={"programme_id": str(setup.with_results), "occurred_on": TODAY.isoformat()},
    )
    assert foreign_cycle.status_code == 404


def second_direction(cycle) -> CatalogItem:
    """Direction «2» down to one indicator, in the cycle's catalog: its indicator."""
    parent = None
    for kind, code in (
        (ItemKind.DIRECTION, "2"),
        (ItemKind.REQUIREMENT, "2.1"),
        (ItemKind.CRITERION, "2.1.1"),
        (ItemKind.INDICATOR, "2.1.1.1"),
    ):
        parent = CatalogItem(
            catalog_id=cycle.catalog_id,
            parent_id=parent.id if parent else None,
            kind=kind,
            code=code,
            text=f"Власний елемент {code}",
            wording_status=next(iter(WordingStatus)),
            is_own=True,
            position=2,
        )
        db.session.add(parent)
        db.session.flush()
    return parent


def test_only_indicators_in_the_cycles_scope_are_linked(app, world):
    with scoped(app, world.a):
        director = person(world.a, Role.DIRECTOR)
        cycle = started(world.a)
        direction = items_of(cycle, ItemKind.DIRECTION)[0]
        second_direction(cycle)
        services.set_scope(director, cycle, "items", [direction.id])
        everything = indicators(cycle)
        inside = [item for item in everything if item.code.startswith(f"{direction.code}.")]
        outside = [item for item in everything if item not in inside]
        assert inside and outside
        both = programme(world.a, "Обидва напрями", [inside[0].id, outside[0].id], RESULTS)
        elsewhere = programme(world.a, "Інший напрям", [outside[0].id], RESULTS)
        assert services.programme_indicator_ids(cycle, both) == [inside[0].id]
        evidence = services.record_internal_monitoring(
            director, cycle, both, {"occurred_on": TODAY}
        )
        assert [link.indicator_id for link in evidence.links] == [inside[0].id]
        with pytest.raises(DomainError, match="не входить до обсягу"):
            services.record_internal_monitoring(director, cycle, elsewhere, {"occurred_on": TODAY})


def test_the_evidence_outlives_its_programme(app, client, world):
    setup = build(app, world)
    with scoped(app, world.a):
        cycle = db.session.get(AssessmentCycle, setup.cycle)
        created = services.record_internal_monitoring(
            person(world.a, Role.DIRECTOR),
            cycle,
            db.session.get(MonitoringProgramme, setup.with_results),
            {"occurred_on": TODAY},
        )
        db.session.commit()
        evidence_id = created.id
        db.session.execute(
            delete(MonitoringProgramme).where(MonitoringProgramme.id == setup.with_results)
        )
        db.session.commit()
        db.session.expire_all()
        kept = db.session.get(Evidence, evidence_id)
        assert kept.monitoring_programme_id is None
        assert kept.body == RESULTS
        assert db.session.scalar(
            select(func.count(EvidenceIndicator.id)).where(
                EvidenceIndicator.evidence_id == evidence_id
            )
        ) == len(setup.monitored)
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    shown = client.get(f"/i/{world.a.slug}/self-assessment/evidence/{evidence_id}")
    assert shown.status_code == 200
    assert "програму вилучено" in shown.get_data(as_text=True)


def test_going_down_keeps_such_evidence_as_a_staff_members(backend, tmp_path_factory):
    """The revision before this one knows no internal monitoring: its evidence stays,
    as a staff member's evidence, rather than a kind the older code cannot read."""
    with database_for(backend, tmp_path_factory) as database_url:
        app = make_app(database_url, tmp_path_factory)
        with app.app_context():
            load_demo("демо-пароль-для-тесту")
            db.session.commit()
            with db.engine.begin() as connection:
                evidence_id = connection.scalar(text("SELECT min(id) FROM evidence"))
                connection.execute(
                    text("UPDATE evidence SET kind = 'INTERNAL_MONITORING' WHERE id = :id"),
                    {"id": evidence_id},
                )
            downgrade(revision="4b1d0c2e9a7f")
            with db.engine.connect() as connection:
                kind = connection.scalar(
                    text("SELECT kind FROM evidence WHERE id = :id"), {"id": evidence_id}
                )
            assert kind == "STAFF_NOTE"
            upgrade()
            db.engine.dispose()
