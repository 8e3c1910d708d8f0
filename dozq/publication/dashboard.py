"""The institution's dashboard: what is due this month, recent evidence, current levels.

A bounded number of statements (see tests/test_publication_dashboard.py)."""

import calendar
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from dozq.assessment import queries as assessment_queries
from dozq.assessment.models import (
    FINISHED_STATUSES,
    AssessmentCycle,
    CycleScheduleItem,
    DecisionStatus,
    Evidence,
    ManagementDecision,
)
from dozq.auth.models import User
from dozq.catalog.models import ItemKind
from dozq.db import db
from dozq.quality_system.models import ScaleLevel
from dozq.regulation.models import EditionStatus, RegulationAcknowledgement, RegulationEdition
from dozq.surveys.models import Questionnaire
from dozq.tenancy.models import Membership

OPEN_DECISIONS = (DecisionStatus.PLANNED, DecisionStatus.IN_PROGRESS)


@dataclass
class Dashboard:
    today: date
    steps: list = field(default_factory=list)
    closing: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    unacknowledged: list = field(default_factory=list)
    regulation: RegulationEdition | None = None
    evidence: list = field(default_factory=list)
    levels_cycle: AssessmentCycle | None = None
    directions: list = field(default_factory=list)

    @property
    def nothing_due(self) -> bool:
        return not (self.steps or self.closing or self.overdue or self.unacknowledged)


def month_end(today: date) -> date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _load_levels(scales) -> None:
    """The levels of both cycles' scales in one statement (instead of one per scale)."""
    scales = {scale.id: scale for scale in scales if scale is not None}
    if not scales:
        return
    found = {scale_id: [] for scale_id in scales}
    for level in db.session.scalars(
        select(ScaleLevel).where(ScaleLevel.scale_id.in_(list(scales))).order_by(ScaleLevel.rank)
    ):
        found[level.scale_id].append(level)
    for scale_id, scale in scales.items():
        set_committed_value(scale, "levels", found[scale_id])


def dashboard(today: date | None = None, evidence_limit: int = 5) -> Dashboard:
    today = today or date.today()
    end = month_end(today)
    board = Dashboard(today)
    # 1. Schedule steps of open cycles that end by the month's end (overdue ones too).
    board.steps = db.session.execute(
        select(CycleScheduleItem, AssessmentCycle.title)
        .join(AssessmentCycle, AssessmentCycle.id == CycleScheduleItem.cycle_id)
        .where(
            AssessmentCycle.status.not_in(FINISHED_STATUSES),
            CycleScheduleItem.ends_on.is_not(None),
            CycleScheduleItem.ends_on <= end,
        )
        .order_by(CycleScheduleItem.ends_on, CycleScheduleItem.id)
    ).all()
    # 2. Published questionnaires that close from today to the month's end.
    board.closing = db.session.scalars(
        select(Questionnaire)
        .where(
            Questionnaire.published_at.is_not(None),
            Questionnaire.closes_on.is_not(None),
            Questionnaire.closes_on >= today,
            Questionnaire.closes_on <= end,
        )
        .order_by(Questionnaire.closes_on, Questionnaire.id)
    ).all()
    # 3. Decisions past their deadline and not done.
    board.overdue = db.session.scalars(
        select(ManagementDecision)
        .where(
            ManagementDecision.status.in_(OPEN_DECISIONS),
            ManagementDecision.due_on.is_not(None),
            ManagementDecision.due_on < today,
        )
        .order_by(ManagementDecision.due_on, ManagementDecision.id)
    ).all()
    # 4. The regulation in force and the staff who have not acknowledged it.
    board.regulation = db.session.scalar(
        select(RegulationEdition).where(RegulationEdition.status == EditionStatus.PUBLISHED)
    )
    if board.regulation is not None:
        board.unacknowledged = db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                ~exists().where(
                    and_(
                        RegulationAcknowledgement.edition_id == board.regulation.id,
                        RegulationAcknowledgement.user_id == User.id,
                    )
                )
            )
            .order_by(User.full_name, User.id)
        ).all()
    # 5. Recent evidence.
    board.evidence = db.session.scalars(
        select(Evidence)
        .options(joinedload(Evidence.author))
        .order_by(Evidence.occurred_on.desc(), Evidence.id.desc())
        .limit(evidence_limit)
    ).all()
    # 6. The current levels: the newest cycle whose rating is finished, with the
    # change from the cycle before it.
    cycle = db.session.scalar(
        select(AssessmentCycle)
        .where(AssessmentCycle.status.in_(FINISHED_STATUSES))
        .order_by(AssessmentCycle.school_year.desc(), AssessmentCycle.id.desc())
        .limit(1)
        .options(
            joinedload(AssessmentCycle.scale),
            joinedload(AssessmentCycle.previous_cycle).joinedload(AssessmentCycle.scale),
        )
    )
    if cycle is not None:
        _load_levels([cycle.scale, cycle.previous_cycle and cycle.previous_cycle.scale])
        results = assessment_queries.results(cycle)
        board.levels_cycle = cycle
        board.directions = [root for root in results.roots if root.kind == ItemKind.DIRECTION]
    return board
