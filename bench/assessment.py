"""Benchmarks of self-assessment: the overview matrix of a cycle of the official size."""

from datetime import date, timedelta
from decimal import Decimal

from bench.harness import Result, benchmark, page_against_bare, signed_in_client
from dozq.assessment import services
from dozq.assessment.models import (
    CycleStatus,
    Evidence,
    EvidenceAnswer,
    EvidenceIndicator,
    EvidenceKind,
    ItemAssessment,
)
from dozq.auth.models import User
from dozq.catalog import services as catalog_services
from dozq.catalog.generate import OFFICIAL_SHAPE, generated_catalog
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.quality_system.services import set_up_quality_system
from dozq.tenancy.models import Founder, Institution, InstitutionKind, Membership, Role
from dozq.tenancy.scope import Scope, tenant_scope

#: Evidence records in the cycle, spread over its 73 indicators.
EVIDENCE = 1_000
SCORES = (Decimal("3.8"), Decimal("3.4"), Decimal("2.9"), Decimal("3.6"), Decimal("2.2"))


def _cycle_values(title: str, year: int) -> dict:
    return {
        "title": title,
        "school_year": year,
        "starts_on": date(year, 10, 1),
        "ends_on": date(year + 1, 5, 31),
        "model_kind": "annual_comprehensive",
        "scope_kind": "all",
    }


def _rate(cycle, indicator_ids, shift: int) -> None:
    db.session.add_all(
        ItemAssessment(
            cycle_id=cycle.id,
            item_id=item_id,
            score=SCORES[(index + shift) % len(SCORES)],
            narrative="Спостереження та анкетування",
            justification="За доказами",
        )
        for index, item_id in enumerate(indicator_ids)
    )


@benchmark("cycle_overview")
def cycle_overview(app) -> Result:
    """Directions × requirements of a cycle with the official catalog's size
    (4 / 14 / 38 / 73, generated) and 1,000 evidence records, compared with the
    previous cycle."""
    with app.app_context():
        founder = Founder(slug="bench", name="Відділ освіти Бенчмаркової міської ради")
        director = User(email="director@bench.example.com", full_name="Керівник Бенчмарку")
        db.session.add_all([founder, director])
        db.session.flush()
        with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
            institution = Institution(
                founder_id=founder.id,
                slug="zdo-bench",
                full_name="Заклад дошкільної освіти № 1",
                short_name="ЗДО № 1",
                kind=InstitutionKind.NURSERY_KINDERGARTEN,
            )
            db.session.add(institution)
            db.session.flush()
        with tenant_scope(db.session, Scope.for_institution(institution)):
            db.session.add(Membership(user_id=director.id, role=Role.DIRECTOR))
            set_up_quality_system(institution, director)
            catalog = catalog_services.import_catalog(
                director, generated_catalog(OFFICIAL_SHAPE), "Каталог офіційного розміру"
            )
            indicator_ids = list(
                db.session.scalars(
                    CatalogItem.__table__.select()
                    .with_only_columns(CatalogItem.id)
                    .where(
                        CatalogItem.catalog_id == catalog.id,
                        CatalogItem.kind == ItemKind.INDICATOR,
                    )
                    .order_by(CatalogItem.id)
                )
            )
            previous = services.create_cycle(director, _cycle_values("Минулого року", 2024))
            previous.status = CycleStatus.CLOSED
            db.session.flush()
            cycle = services.create_cycle(director, _cycle_values("Цього року", 2025))
            services.add_member(director, cycle, {"name": "Голова робочої групи"})
            services.transition(director, Role.DIRECTOR, cycle, CycleStatus.COLLECTING)
            for number in range(EVIDENCE):
                db.session.add(
                    Evidence(
                        cycle_id=cycle.id,
                        kind=EvidenceKind.OBSERVATION if number % 3 else EvidenceKind.STAFF_NOTE,
                        occurred_on=date(2025, 11, 1) + timedelta(days=number % 60),
                        title=f"Доказ {number}",
                        body="Опис доказу",
                        author_id=director.id,
                        links=[
                            EvidenceIndicator(
                                indicator_id=indicator_ids[number % len(indicator_ids)]
                            )
                        ],
                        answers=[
                            EvidenceAnswer(position=1, item_text="Пункт", mark=number % 4),
                            EvidenceAnswer(position=2, item_text="Пункт", mark=3),
                        ],
                    )
                )
            for target in (CycleStatus.GENERALISING, CycleStatus.RATING):
                services.transition(director, Role.DIRECTOR, cycle, target)
            previous.scale_id = cycle.scale_id
            _rate(cycle, indicator_ids, 0)
            _rate(previous, indicator_ids, 2)
            db.session.commit()
            cycle_id = cycle.id
        director_id = director.id
    with app.app_context():
        client = signed_in_client(app, db.session.get(User, director_id))
    return page_against_bare(
        app,
        client,
        f"/i/zdo-bench/self-assessment/{cycle_id}/overview",
        indicators=len(indicator_ids),
        evidence=EVIDENCE,
    )
