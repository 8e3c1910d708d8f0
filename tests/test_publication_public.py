"""Public pages (/p/<slug>/, /pf/<slug>/): exactly what was published, never a draft."""

import csv
import io
import json
from datetime import date

from flask import url_for
from sqlalchemy import select

from dozq.assessment import services as assessment
from dozq.assessment.models import AssessmentCycle, CycleStatus
from dozq.auth.models import User
from dozq.db import db
from dozq.publication import services
from dozq.publication.models import MonitoringProgramme
from dozq.regulation.models import RegulationEdition
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope

DRAFT_CANARY = "ЧЕРНЕТКА-КАНАРКА"


def scope_of(institution_id):
    institution = db.session.get(
        Institution, institution_id, execution_options={BYPASS_OPTION: True}
    )
    return tenant_scope(db.session, Scope.for_institution(institution))


def public_urls(app, tenant) -> list[str]:
    """Every public page's URL, each parameter filled with the tenant's objects
    (the newest row and every row of the table)."""
    urls = []
    with app.app_context():
        with scope_of(tenant.institution_id):
            ids = {
                "monitoring_programme_id": db.session.scalars(select(MonitoringProgramme.id)).all(),
                "assessment_cycle_id": db.session.scalars(select(AssessmentCycle.id)).all(),
                "regulation_edition_id": db.session.scalars(select(RegulationEdition.id)).all(),
            }
        with app.test_request_context():
            for rule in app.url_map.iter_rules():
                if not rule.endpoint.startswith(("public_pages.", "public_founder.")):
                    continue
                base = {"institution_slug": tenant.slug, "founder_slug": tenant.founder_slug}
                params = [name for name in rule.arguments if name not in base]
                if not params:
                    urls.append(url_for(rule.endpoint, **{k: base[k] for k in rule.arguments}))
                    continue
                (param,) = params
                for value in ids[param]:
                    values = {k: base[k] for k in rule.arguments if k in base} | {param: value}
                    urls.append(url_for(rule.endpoint, **values))
    return urls


def add_draft_canaries(world):
    """A draft programme, draft ratings and decision of an unpublished cycle, with the canary."""
    with scope_of(world.a.institution_id):
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        services.create_programme(director, {"subject": f"Програма {DRAFT_CANARY}"}, [])
        cycle = db.session.scalar(select(AssessmentCycle))
        assessment.add_decision(
            director,
            cycle,
            {
                "what": f"Рішення {DRAFT_CANARY}",
                "responsible": "методист",
                "due_on": date.today(),
            },
        )
        db.session.commit()


def publish_cycle(world):
    with scope_of(world.a.institution_id):
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        cycle = db.session.scalar(select(AssessmentCycle))
        assessment.transition(director, Role.DIRECTOR, cycle, CycleStatus.DISCUSSED)
        assessment.transition(director, Role.DIRECTOR, cycle, CycleStatus.PUBLISHED)
        db.session.commit()
        return cycle.id


def test_drafts_never_leak_on_any_public_route(app, client, world):
    with app.app_context():
        add_draft_canaries(world)
    urls = public_urls(app, world.a)
    assert any("/embed" in url for url in urls) and any("/pf/" in url for url in urls)
    seen = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        body = response.get_data(as_text=True)
        assert DRAFT_CANARY not in body, url
        # The unpublished cycle's findings and the draft programme of the test world.
        assert "Досягнення Альфа" not in body, url
        assert "Чернетка програми Альфа" not in body, url
        seen += response.status_code == 200
    assert seen >= 5


def test_the_page_shows_exactly_what_was_published(app, client, world):
    page = client.get(f"/p/{world.a.slug}/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Оприлюднена програма Альфа" in body
    assert "наказ № 12-о/д" in body
    assert "Результати самооцінювання ще не оприлюднено." in body
    assert "<title>" in body and 'name="description"' in body
    assert "Бета" not in body
    assert client.get("/p/no-such-zdo/").status_code == 404


def test_published_cycle_appears_with_levels_summary_decisions_and_open_data(app, client, world):
    with app.app_context():
        cycle_id = publish_cycle(world)
    body = client.get(f"/p/{world.a.slug}/").get_data(as_text=True)
    assert "Самооцінювання Альфа" in body and "level-" in body
    page = client.get(f"/p/{world.a.slug}/self-assessment/{cycle_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Досягнення Альфа" in text and "Рішення Альфа" in text
    assert "Оприлюднено" in text
    # How the results were approved: the protocol of the council that discussed them.
    assert f"педагогічної ради (протокол № 3 від {date.today():%d.%m.%Y})" in text
    data = json.loads(client.get(f"/p/{world.a.slug}/data.json").get_data(as_text=True))
    assert {row["cycle_id"] for row in data["results"]} == {cycle_id}
    assert [p["subject"] for p in data["monitoring_programmes"]] == ["Оприлюднена програма Альфа"]
    raw = client.get(f"/p/{world.a.slug}/data.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows and all(row["cycle_id"] == str(cycle_id) for row in rows)
    assert any(row["score"] for row in rows)


def test_only_the_embed_page_may_be_framed(client, world):
    embed = client.get(f"/p/{world.a.slug}/embed")
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    # Its links lead to pages that refuse frames: they open outside the frame.
    assert '<base target="_blank">' in embed.get_data(as_text=True)
    page = client.get(f"/p/{world.a.slug}/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert f"/p/{world.a.slug}/embed" in page.get_data(as_text=True)


def test_founder_page_lists_its_institutions_alphabetically(client, world):
    page = client.get(f"/pf/{world.a.founder_slug}/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"/p/{world.a.slug}/" in body and f"/p/{world.a2.slug}/" in body
    assert "Бета" not in body
    # The published programme is linked: to its institution's monitoring section.
    assert f'/p/{world.a.slug}/#monitoring-title">оприлюднено програм: 1</a>' in body
    assert client.get("/pf/no-such-founder/").status_code == 404


def test_withdrawn_programme_disappears(app, client, world):
    with app.app_context(), scope_of(world.a.institution_id):
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        programme = db.session.scalar(
            select(MonitoringProgramme).where(
                MonitoringProgramme.subject == "Оприлюднена програма Альфа"
            )
        )
        programme_id = programme.id
        services.withdraw_programme(director, programme, programme.version)
        db.session.commit()
    assert client.get(f"/p/{world.a.slug}/monitoring/{programme_id}").status_code == 404
    assert "Оприлюднена програма Альфа" not in client.get(f"/p/{world.a.slug}/").get_data(
        as_text=True
    )
