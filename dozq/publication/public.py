"""What the public pages read: only what an institution published, never a draft.

Runs in the scope the public blueprint set from the slug (one institution, or a
founder's institutions for the founder's page).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from dozq.assessment import queries as assessment_queries
from dozq.assessment.models import (
    AssessmentCycle,
    CycleDiscussion,
    CycleStatus,
    CycleTransition,
    DiscussionKind,
    ManagementDecision,
    PedagogicalCouncilMeeting,
)
from dozq.catalog.models import ItemKind
from dozq.db import db
from dozq.publication.models import MonitoringProgramme, ProgrammeStatus
from dozq.regulation.models import EditionStatus, RegulationEdition

#: A cycle's results are public from the step «оприлюднено» on.
PUBLISHED_CYCLE = (CycleStatus.PUBLISHED, CycleStatus.CLOSED)


@dataclass
class PublishedCycle:
    cycle: AssessmentCycle
    published_at: datetime | None
    #: The pedagogical council's meeting that discussed the results (its protocol).
    council: PedagogicalCouncilMeeting | None = None


def published_cycles() -> list[PublishedCycle]:
    """Cycles whose results were published, newest first, with the moment of publication."""
    published_at = (
        select(func.min(CycleTransition.at))
        .where(
            CycleTransition.cycle_id == AssessmentCycle.id,
            CycleTransition.to_status == CycleStatus.PUBLISHED,
        )
        .correlate(AssessmentCycle)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(AssessmentCycle, published_at)
        .where(AssessmentCycle.status.in_(PUBLISHED_CYCLE))
        .order_by(AssessmentCycle.school_year.desc(), AssessmentCycle.id.desc())
    ).all()
    councils = {}
    if rows:
        discussed = db.session.execute(
            select(CycleDiscussion.cycle_id, PedagogicalCouncilMeeting)
            .join(CycleDiscussion.council_meeting)
            .where(
                CycleDiscussion.cycle_id.in_([cycle.id for cycle, _at in rows]),
                CycleDiscussion.kind == DiscussionKind.COUNCIL,
            )
            .order_by(CycleDiscussion.held_on, CycleDiscussion.id)
        ).all()
        # The latest council discussion of each cycle: the one that settled its results.
        councils = dict(discussed)
    return [PublishedCycle(cycle, at, councils.get(cycle.id)) for cycle, at in rows]


def published_cycle_or_none(cycle_id: int) -> PublishedCycle | None:
    return next((row for row in published_cycles() if row.cycle.id == cycle_id), None)


@dataclass
class CycleResults:
    published: PublishedCycle
    directions: list = field(default_factory=list)
    findings: dict = field(default_factory=dict)
    decisions: list = field(default_factory=list)
    compared: bool = False

    @property
    def cycle(self) -> AssessmentCycle:
        return self.published.cycle


def cycle_results(published: PublishedCycle) -> CycleResults:
    """Levels by direction and requirement, the findings and the decisions of a
    published cycle; compared with the previous cycle only if that one is published too."""
    cycle = published.cycle
    previous = cycle.previous_cycle
    compare = previous is not None and previous.status in PUBLISHED_CYCLE
    results = assessment_queries.results(cycle, with_previous=compare)
    directions = [root for root in results.roots if root.kind == ItemKind.DIRECTION]
    decisions = db.session.scalars(
        select(ManagementDecision)
        .where(ManagementDecision.cycle_id == cycle.id)
        .options(joinedload(ManagementDecision.item))
        .order_by(ManagementDecision.id)
    ).all()
    return CycleResults(
        published,
        directions,
        assessment_queries.findings(cycle),
        list(decisions),
        compare,
    )


def published_regulation() -> RegulationEdition | None:
    return db.session.scalar(
        select(RegulationEdition).where(RegulationEdition.status == EditionStatus.PUBLISHED)
    )


def regulation_archive() -> list[RegulationEdition]:
    """Editions that were published and then replaced, newest first."""
    return db.session.scalars(
        select(RegulationEdition)
        .where(
            RegulationEdition.status == EditionStatus.ARCHIVED,
            RegulationEdition.published_at.is_not(None),
        )
        .order_by(RegulationEdition.number.desc())
    ).all()


def public_edition_or_none(edition_id: int) -> RegulationEdition | None:
    return db.session.scalar(
        select(RegulationEdition).where(
            RegulationEdition.id == edition_id,
            RegulationEdition.published_at.is_not(None),
            RegulationEdition.status.in_((EditionStatus.PUBLISHED, EditionStatus.ARCHIVED)),
        )
    )


def public_programme_or_none(programme_id: int) -> MonitoringProgramme | None:
    return db.session.scalar(
        select(MonitoringProgramme).where(
            MonitoringProgramme.id == programme_id,
            MonitoringProgramme.status == ProgrammeStatus.PUBLISHED,
        )
    )


# The founder's public page: counts of published items per institution (founder scope).


@dataclass
class InstitutionSummary:
    regulation: RegulationEdition | None = None
    cycles: list = field(default_factory=list)
    programmes: int = 0


def founder_summaries(institution_ids) -> dict[int, InstitutionSummary]:
    summaries: dict[int, InstitutionSummary] = defaultdict(InstitutionSummary)
    for edition in db.session.scalars(
        select(RegulationEdition).where(RegulationEdition.status == EditionStatus.PUBLISHED)
    ):
        summaries[edition.institution_id].regulation = edition
    for cycle in db.session.scalars(
        select(AssessmentCycle)
        .where(AssessmentCycle.status.in_(PUBLISHED_CYCLE))
        .order_by(AssessmentCycle.school_year.desc(), AssessmentCycle.id.desc())
    ):
        summaries[cycle.institution_id].cycles.append(cycle)
    for institution_id, count in db.session.execute(
        select(MonitoringProgramme.institution_id, func.count(MonitoringProgramme.id))
        .where(MonitoringProgramme.status == ProgrammeStatus.PUBLISHED)
        .group_by(MonitoringProgramme.institution_id)
    ):
        summaries[institution_id].programmes = count
    return {institution_id: summaries[institution_id] for institution_id in institution_ids}
