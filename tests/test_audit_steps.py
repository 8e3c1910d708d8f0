"""Each step of the main workflows writes exactly one row of the audit log: the
regulation from draft to acknowledgement, a cycle from planned to rating, a
questionnaire published and closed."""

from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import func, select

from dozq.assessment import services as assessment
from dozq.assessment.models import CycleStatus
from dozq.audit.models import AuditEntry
from dozq.db import db
from dozq.regulation import services as regulation
from dozq.surveys import services as surveys
from dozq.surveys.models import Questionnaire
from dozq.tenancy.models import Institution, Role
from tests.test_assessment_support import new_cycle, person, scoped
from tests.test_surveys_support import build_questionnaire, in_tenant


@contextmanager
def one_audit_row(step: str):
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    yield
    db.session.flush()
    after = db.session.scalar(select(func.count(AuditEntry.id)))
    assert after - before == 1, f"{step}: {after - before} audit rows"


def test_regulation_steps(app, world):
    with scoped(app, world.a2) as institution:
        director = person(world.a2, Role.DIRECTOR)
        teacher = person(world.a2, Role.TEACHER)
        # The world's edition 2 is under discussion; edition 3 starts once it is in force.
        edition = regulation.edition_in_progress()
        assert edition.status.value == "discussion"
        with one_audit_row("start a revision"):
            regulation.start_revision(director, edition, "Доопрацювання")
        with one_audit_row("approve by the council"):
            regulation.approve_by_council(director, edition, "3", date(2026, 8, 28))
        with one_audit_row("approve by order"):
            regulation.approve_by_order(director, edition, "45-о/д", date(2026, 8, 29))
        with one_audit_row("publish"):
            regulation.publish(director, edition, db.session.get(Institution, institution.id))
        with one_audit_row("acknowledge"):
            regulation.acknowledge(teacher, edition)
        with one_audit_row("start the next edition"):
            following = regulation.start_edition(director, institution)
        with one_audit_row("open its discussion"):
            regulation.open_discussion(director, following)


def test_cycle_steps(app, world):
    with scoped(app, world.a):
        director = person(world.a, Role.DIRECTOR)
        with one_audit_row("plan a cycle"):
            cycle = new_cycle(world.a)
        with one_audit_row("add a member"):
            assessment.add_member(
                director, cycle, {"group_role": "head"}, person(world.a, Role.TEACHER)
            )
        for target in (CycleStatus.COLLECTING, CycleStatus.GENERALISING, CycleStatus.RATING):
            with one_audit_row(f"move to {target.value}"):
                assessment.transition(director, Role.DIRECTOR, cycle, target)


def test_questionnaire_steps(app, world):
    built = build_questionnaire(app, world.a, publish=False)
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        methodologist = person(world.a, Role.METHODOLOGIST)
        today = surveys.today()
        with one_audit_row("publish"):
            surveys.publish(methodologist, questionnaire, today, today + timedelta(days=14))
        with one_audit_row("close"):
            surveys.close_now(methodologist, questionnaire)
