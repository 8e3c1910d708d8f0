"""The institution's dashboard: what is due, recent evidence, current levels."""

from datetime import date, timedelta

from sqlalchemy import select

from dozq.assessment import services as assessment
from dozq.assessment.models import AssessmentCycle, CycleStatus
from dozq.auth.models import User
from dozq.db import db
from dozq.publication.dashboard import dashboard
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from tests.factories import sign_in_as


def scope_of(institution_id):
    institution = db.session.get(
        Institution, institution_id, execution_options={BYPASS_OPTION: True}
    )
    return tenant_scope(db.session, Scope.for_institution(institution))


def test_dashboard_lists_what_is_due_and_levels(app, world):
    with app.app_context(), scope_of(world.a.institution_id):
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        cycle = db.session.scalar(select(AssessmentCycle))
        assessment.add_decision(
            director,
            cycle,
            {
                "what": "Оновити куточок природи",
                "responsible": "вихователь",
                "due_on": date.today() - timedelta(days=3),
            },
        )
        db.session.commit()
        board = dashboard()
        assert "Оновити куточок природи" in [d.what for d in board.overdue]
        # The staff of the test world have not all acknowledged the regulation in force.
        assert board.regulation is not None and board.unacknowledged
        assert board.evidence and board.evidence[0].title == "Спостереження Альфа"
        assert board.levels_cycle is None
        assessment.transition(director, Role.DIRECTOR, cycle, CycleStatus.DISCUSSED)
        db.session.commit()
        board = dashboard()
        assert board.levels_cycle.id == cycle.id
        assert any(direction.score is not None for direction in board.directions)


def test_dashboard_page_fragment_and_query_count(app, client, world, count_queries):
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    home = client.get(f"/i/{world.a.slug}/")
    assert 'hx-get="/i/zdo-a/dashboard/"' in home.get_data(as_text=True)
    page = client.get(f"/i/{world.a.slug}/dashboard/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Цього місяця" in body and "Не ознайомилися з Положенням" in body
    fragment = client.get(f"/i/{world.a.slug}/dashboard/", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="dashboard"' in fragment.get_data(as_text=True)
    with app.app_context(), scope_of(world.a.institution_id):
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        cycle = db.session.scalar(select(AssessmentCycle))
        assessment.transition(director, Role.DIRECTOR, cycle, CycleStatus.DISCUSSED)
        db.session.commit()
    with app.app_context(), scope_of(world.a.institution_id):
        db.session.expire_all()
        with count_queries() as counter:
            board = dashboard()
            assert board.directions
        assert len(counter) <= 10, counter.statements
    assert "Бета" not in client.get(f"/i/{world.a.slug}/dashboard/").get_data(as_text=True)
