"""Benchmark of the founder's dashboard.

``founder_dashboard``: /f/<slug>/dashboard/ of a founder with 100 institutions,
each with 5 school years of published self-assessment cycles (ratings of 16
indicators under 4 directions) and 5 questionnaires with responses; the time over
the bare route (goals: ratio ≤ 6.5, ≤ 10 queries). Each institution's part of the
board is kept at its data version, which every write of the institution renews.
``ratio`` is of the first request after one institution wrote (its regulation's
title, a different institution each time): only that institution is read and
rendered again. ``ten_wrote_ratio``: after ten institutions wrote; ``kept_ratio``:
nobody wrote since the page was last shown; ``cold_ratio``: nothing kept, every
institution read and rendered (as right after a server starts). ``queries`` is the
largest of the counts. The cycles' results are stored as the assessment workflow
stores them when a cycle is discussed (``record_results``).
"""

import random
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select

from bench.harness import (
    Result,
    benchmark,
    count_queries,
    get_ok,
    median_seconds,
    signed_in_client,
)
from dozq.assessment.models import AssessmentCycle, CycleStatus, ItemAssessment
from dozq.assessment.services import record_results
from dozq.auth.models import User
from dozq.catalog.models import CatalogItem, InstitutionCatalog, ItemKind, Origin, WordingStatus
from dozq.db import db, utcnow
from dozq.publication.founder import kept_records
from dozq.publication.founder_views import rendered_rows
from dozq.quality_system.models import LevelColour, LevelScale, ModelKind, ScaleLevel
from dozq.regulation.models import EditionStatus, RegulationEdition
from dozq.surveys.models import Channel, Questionnaire, SurveyAudience, SurveyResponse
from dozq.tenancy.models import Founder, FounderAdmin, Institution, InstitutionKind
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope

INSTITUTIONS = 100
YEARS = 5
RESPONSES = 20
LEVELS = [
    ("перший (високий)", LevelColour.GREEN, "3.60"),
    ("другий (достатній)", LevelColour.TEAL, "2.60"),
    ("третій (вимагає покращення)", LevelColour.YELLOW, "1.60"),
    ("четвертий (низький)", LevelColour.RED, "1.00"),
]


def _catalog(institution_id) -> list[CatalogItem]:
    catalog = InstitutionCatalog(name="Каталог", origin=Origin.DOZQ_STARTER)
    db.session.add(catalog)
    db.session.flush()
    indicators = []

    def item(kind, code, parent):
        node = CatalogItem(
            catalog_id=catalog.id,
            parent_id=parent.id if parent else None,
            kind=kind,
            code=code,
            text=f"{kind.label} {code}",
            wording_status=WordingStatus.QUOTED_BY_ZDO,
        )
        db.session.add(node)
        db.session.flush()
        return node

    for d in range(1, 5):
        direction = item(ItemKind.DIRECTION, f"{d}", None)
        for r in range(1, 3):
            requirement = item(ItemKind.REQUIREMENT, f"{d}.{r}", direction)
            criterion = item(ItemKind.CRITERION, f"{d}.{r}.1", requirement)
            for i in range(1, 3):
                indicators.append(item(ItemKind.INDICATOR, f"{d}.{r}.1.{i}", criterion))
    return catalog, indicators


def _prepare(app):
    rng = random.Random(7)
    this_year = date.today().year
    with app.app_context():
        founder = Founder(slug="bench-founder", name="Відділ освіти Бенчмаркової ради")
        user = User(email="founder@bench.example.com", full_name="Адміністратор засновника")
        db.session.add_all([founder, user])
        db.session.flush()
        user_id = user.id
        with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
            db.session.add(FounderAdmin(founder_id=founder.id, user_id=user.id))
            institutions = []
            for n in range(INSTITUTIONS):
                institution = Institution(
                    founder_id=founder.id,
                    slug=f"zdo-{n:03d}",
                    full_name=f"Заклад дошкільної освіти № {n + 1}",
                    short_name=f"ЗДО № {n + 1:03d}",
                    kind=InstitutionKind.NURSERY_KINDERGARTEN,
                )
                db.session.add(institution)
                institutions.append(institution)
            db.session.flush()
            institution_ids = [institution.id for institution in institutions]
        for institution in institutions:
            with tenant_scope(db.session, Scope.for_institution(institution)):
                catalog, indicators = _catalog(institution.id)
                scale = LevelScale(
                    number=1, title="Шкала", min_score=Decimal("1"), max_score=Decimal("4")
                )
                scale.levels = [
                    ScaleLevel(rank=rank, name=name, colour=colour, min_score=Decimal(low))
                    for rank, (name, colour, low) in enumerate(LEVELS, start=1)
                ]
                db.session.add(scale)
                db.session.add(
                    RegulationEdition(
                        number=1,
                        title="Положення",
                        status=EditionStatus.PUBLISHED,
                        published_at=utcnow(),
                    )
                )
                cycles = [
                    AssessmentCycle(
                        title=f"Самооцінювання {year}/{year + 1}",
                        school_year=year,
                        starts_on=date(year, 9, 1),
                        ends_on=date(year + 1, 5, 31),
                        model_kind=ModelKind.ANNUAL_COMPREHENSIVE,
                        status=CycleStatus.PUBLISHED,
                        catalog_id=catalog.id,
                        scale=scale,
                    )
                    for year in range(this_year - YEARS, this_year)
                ]
                questionnaires = [
                    Questionnaire(
                        title="Задоволеність батьків",
                        audience=SurveyAudience.PARENTS,
                        school_year=year,
                        series_key=f"s{institution.id}",
                        published_at=utcnow(),
                        expected_respondents=40,
                    )
                    for year in range(this_year - YEARS, this_year)
                ]
                db.session.add_all(cycles + questionnaires)
                db.session.flush()
                db.session.execute(
                    insert(ItemAssessment),
                    [
                        {
                            "cycle_id": cycle.id,
                            "item_id": indicator.id,
                            "score": Decimal(rng.choice(("2.00", "2.50", "3.00", "3.50", "4.00"))),
                            "institution_id": institution.id,
                            "version": 1,
                        }
                        for cycle in cycles
                        for indicator in indicators
                    ],
                )
                db.session.execute(
                    insert(SurveyResponse),
                    [
                        {
                            "questionnaire_id": questionnaire.id,
                            "submitted_on": date(questionnaire.school_year, 10, 1),
                            "school_year": questionnaire.school_year,
                            "channel": Channel.ONLINE,
                            "audience": SurveyAudience.PARENTS,
                            "institution_id": institution.id,
                        }
                        for questionnaire in questionnaires
                        for _ in range(rng.randrange(RESPONSES // 2, RESPONSES))
                    ],
                )
                for cycle in cycles:
                    record_results(cycle)
        db.session.commit()
        return user_id, institution_ids


def _writer(app, institution_ids):
    """A write of one institution after another (its regulation's title), as the
    institutions' work goes on: each renews that institution's data version."""
    writes = iter(range(10**9))

    def write() -> None:
        n = next(writes)
        with app.app_context():
            institution = db.session.get(
                Institution,
                institution_ids[n % len(institution_ids)],
                execution_options={BYPASS_OPTION: True},
            )
            with tenant_scope(db.session, Scope.for_institution(institution)):
                edition = db.session.scalar(select(RegulationEdition))
                edition.title = f"Положення (уточнення {n})"
                db.session.commit()

    return write


@benchmark("founder_dashboard")
def founder_dashboard(app) -> Result:
    user_id, institution_ids = _prepare(app)
    with app.app_context():
        client = signed_in_client(app, db.session.get(User, user_id))
    url = "/f/bench-founder/dashboard/"
    page = get_ok(client, url)
    bare = get_ok(client, "/_bench/bare")
    write = _writer(app, institution_ids)

    def cold():
        # As after a restart: nothing kept.
        kept_records.clear()
        rendered_rows.clear()
        page()

    def ten_write():
        for _ in range(10):
            write()

    write()
    after_write_queries = count_queries(app, page)
    kept_queries = count_queries(app, page)
    cold_queries = count_queries(app, cold)
    bare_time = median_seconds(bare)
    after_write_time = median_seconds(page, before_each=write)
    ten_wrote_time = median_seconds(page, before_each=ten_write)
    kept_time = median_seconds(page)
    cold_time = median_seconds(cold)
    return Result(
        after_write_time / bare_time,
        max(after_write_queries, kept_queries, cold_queries),
        {
            "ten_wrote_ratio": f"{ten_wrote_time / bare_time:.2f}",
            "kept_ratio": f"{kept_time / bare_time:.2f}",
            "cold_ratio": f"{cold_time / bare_time:.2f}",
            "queries_after_write": after_write_queries,
            "queries_kept": kept_queries,
            "queries_cold": cold_queries,
            "ms": f"{after_write_time * 1000:.2f}",
            "kept_ms": f"{kept_time * 1000:.2f}",
            "cold_ms": f"{cold_time * 1000:.2f}",
            "bare_ms": f"{bare_time * 1000:.2f}",
            "institutions": INSTITUTIONS,
            "years": YEARS,
        },
    )
