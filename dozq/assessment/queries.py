"""What the self-assessment pages read, in few statements whatever the data size.

The overview matrix reads the cycle (with its pinned scale and the previous
cycle's, joined), the catalog items of both cycles with each indicator's
evidence count and scope flag (correlated subqueries), and both cycles'
``ItemAssessment`` rows: three statements. The indicator page reads the cycle,
the indicator with its ancestors and its assessment (one join), and its
evidence with checklist marks and files (one statement), plus what the surveys
area answers. Everything is in the tenant scope the request set.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from flask import abort
from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from dozq.assessment.models import (
    MAX_MARK,
    AssessmentCycle,
    ChecklistTemplate,
    CycleDiscussion,
    CycleMember,
    CycleScheduleItem,
    CycleScopeEntry,
    CycleStatus,
    CycleTemplate,
    CycleTransition,
    DevelopmentNeed,
    Evidence,
    EvidenceAnswer,
    EvidenceFile,
    EvidenceIndicator,
    EvidenceKind,
    EvidenceObserver,
    FounderRequest,
    ItemAssessment,
    ManagementDecision,
    MethodPlanEntry,
    PedagogicalCouncilMeeting,
    ProcedureReview,
    ScopeKind,
)
from dozq.assessment.scoring import (
    Assessed,
    ChecklistStats,
    ItemRow,
    LevelView,
    Node,
    Proposal,
    ScaleView,
    build_tree,
    checklist_signal,
    compare,
    indicators_of,
    propose,
    roll_up,
    shallow_tree,
    summarise,
    survey_signal,
)
from dozq.auth.models import User
from dozq.catalog.models import CatalogItem, ItemKind, Method
from dozq.db import db
from dozq.files.models import StoredFile
from dozq.quality_system.models import LevelScale, ScaleLevel
from dozq.tenancy.models import MANAGERS, Institution, Membership, Role

# Cycles.


def cycles() -> list[AssessmentCycle]:
    return db.session.scalars(
        select(AssessmentCycle).order_by(
            AssessmentCycle.school_year.desc(), AssessmentCycle.id.desc()
        )
    ).all()


def collecting_cycles() -> list[AssessmentCycle]:
    from dozq.assessment.models import COLLECTING_STATUSES

    return db.session.scalars(
        select(AssessmentCycle)
        .where(AssessmentCycle.status.in_(COLLECTING_STATUSES))
        .order_by(AssessmentCycle.starts_on.desc(), AssessmentCycle.id.desc())
    ).all()


def cycle_or_404(cycle_id: int, with_previous: bool = False) -> AssessmentCycle:
    """The cycle (and the previous cycle it is compared with) in one statement, with
    the views of their pinned level scales; 404 for a cycle of another institution.

    Scale versions never change once saved (``quality_system.models`` refuses it), so
    their levels are kept per process, keyed by id and creation time: a page reads
    them once, not on every request."""
    row = db.session.execute(_cycle_statement(with_previous), {"cycle_id": cycle_id}).first()
    if row is None:
        abort(404)
    cycle, scale_created, *rest = row
    pairs = [(cycle, scale_created)]
    if with_previous:
        # Loaded beside the cycle: the relationship is filled without another statement.
        set_committed_value(cycle, "previous_cycle", rest[0])
        if rest[0] is not None:
            pairs.append((rest[0], rest[1]))
    views = scale_views(
        [(item.scale_id, created) for item, created in pairs if item.scale_id is not None]
    )
    for item, _created in pairs:
        item._scale_view = views.get(item.scale_id)
    return cycle


@cache
def _cycle_statement(with_previous: bool):
    """Built once (aliases are costly to build on every request)."""
    scale = aliased(LevelScale)
    columns = [AssessmentCycle, scale.created_at]
    statement = select(AssessmentCycle).outerjoin(scale, scale.id == AssessmentCycle.scale_id)
    if with_previous:
        previous, previous_scale = aliased(AssessmentCycle), aliased(LevelScale)
        columns += [previous, previous_scale.created_at]
        statement = statement.outerjoin(
            previous, previous.id == AssessmentCycle.previous_cycle_id
        ).outerjoin(previous_scale, previous_scale.id == previous.scale_id)
    return statement.with_only_columns(*columns).where(AssessmentCycle.id == bindparam("cycle_id"))


#: (scale id, created at) → ScaleView; bounded, cleared when full.
_SCALE_VIEWS: dict[tuple, ScaleView] = {}
_SCALE_VIEWS_MAX = 512


def scale_views(keys: list[tuple]) -> dict[int, ScaleView]:
    """scale id → its ScaleView, for (scale id, moment of creation) keys: read in one
    statement, memoised per process (a scale version is never updated)."""
    missing = [key for key in keys if key not in _SCALE_VIEWS]
    if missing:
        if len(_SCALE_VIEWS) + len(missing) > _SCALE_VIEWS_MAX:
            _SCALE_VIEWS.clear()
        found: dict[tuple, ScaleView] = {}
        for (
            scale_id,
            created_at,
            title,
            number,
            low,
            high,
            level_id,
            rank,
            name,
            colour,
            threshold,
        ) in db.session.execute(
            select(
                LevelScale.id,
                LevelScale.created_at,
                LevelScale.title,
                LevelScale.number,
                LevelScale.min_score,
                LevelScale.max_score,
                ScaleLevel.id,
                ScaleLevel.rank,
                ScaleLevel.name,
                ScaleLevel.colour,
                ScaleLevel.min_score,
            )
            .join(ScaleLevel, ScaleLevel.scale_id == LevelScale.id)
            .where(LevelScale.id.in_([scale_id for scale_id, _created in missing]))
            .order_by(LevelScale.id, ScaleLevel.rank)
        ):
            view = found.get((scale_id, created_at))
            if view is None:
                view = found[(scale_id, created_at)] = ScaleView(
                    scale_id, title, number, low, high, []
                )
            view.levels.append(LevelView(level_id, rank, name, colour.value, threshold))
        for key, view in found.items():
            view.__post_init__()
            _SCALE_VIEWS[key] = view
    return {key[0]: _SCALE_VIEWS[key] for key in keys if key in _SCALE_VIEWS}


def cycle_scale(cycle: AssessmentCycle) -> ScaleView | None:
    """The view of the cycle's pinned scale (read with the cycle when it was loaded
    through ``cycle_or_404``)."""
    if "_scale_view" in vars(cycle):
        return cycle._scale_view
    return ScaleView.of(cycle.scale)


# Results: the tree with scores and levels, compared with the previous cycle.


@dataclass
class Results:
    cycle: AssessmentCycle
    scale: ScaleView | None
    roots: list[Node]
    previous: AssessmentCycle | None = None
    assessments: dict[int, Assessed] = field(default_factory=dict)

    @property
    def indicators(self) -> list[Node]:
        return indicators_of(self.roots)

    @property
    def indicator_count(self) -> int:
        return sum(root.indicators for root in self.roots)

    @property
    def rated_count(self) -> int:
        return sum(root.rated for root in self.roots)

    @property
    def width(self) -> int:
        """The most requirements a direction has: the matrix's columns."""
        return max((len(root.children) for root in self.roots), default=0)

    def node(self, item_id: int) -> Node | None:
        return next(
            (node for root in self.roots for node in root.walk() if node.id == item_id), None
        )


@cache
def _item_rows_statement(with_methods: bool, with_counts: bool = True):
    """Built once: the statement ``item_rows`` runs, with bound parameters (the tenant
    criteria are still added to every execution by the scope). One row per item;
    scores come as integers of hundredths, as they are stored."""
    cycle_id, previous_id = bindparam("cycle_id"), bindparam("previous_id")
    counts = (
        select(
            EvidenceIndicator.indicator_id.label("item_id"),
            func.count(EvidenceIndicator.id).label("evidence"),
        )
        .join(Evidence, Evidence.id == EvidenceIndicator.evidence_id)
        .where(Evidence.cycle_id == cycle_id)
        .group_by(EvidenceIndicator.indicator_id)
        .subquery()
    )
    scoped = (
        select(
            CycleScopeEntry.catalog_item_id.label("item_id"),
            func.max(case((CycleScopeEntry.cycle_id == cycle_id, 1), else_=0)).label("current"),
            func.max(case((CycleScopeEntry.cycle_id == previous_id, 1), else_=0)).label("previous"),
        )
        .where(CycleScopeEntry.cycle_id.in_([cycle_id, previous_id]))
        .group_by(CycleScopeEntry.catalog_item_id)
        .subquery()
    )
    now, before = aliased(ItemAssessment), aliased(ItemAssessment)
    findings = or_(now.achievements != "", now.difficulties != "", now.trends != "")
    statement = (
        select(
            CatalogItem.id,
            CatalogItem.catalog_id,
            CatalogItem.parent_id,
            CatalogItem.kind,
            CatalogItem.code,
            CatalogItem.text,
            CatalogItem.enabled,
            CatalogItem.position,
            scoped.c.current,
            scoped.c.previous,
            type_coerce(now.score, Integer).label("now_points"),
            now.override_level_id,
            now.override_reason,
            findings,
            type_coerce(before.score, Integer).label("then_points"),
            before.override_level_id,
            *([CatalogItem.methods] if with_methods else []),
            *([counts.c.evidence] if with_counts else []),
        )
        .outerjoin(scoped, scoped.c.item_id == CatalogItem.id)
        .outerjoin(now, and_(now.item_id == CatalogItem.id, now.cycle_id == cycle_id))
        .outerjoin(before, and_(before.item_id == CatalogItem.id, before.cycle_id == previous_id))
        .where(CatalogItem.catalog_id.in_(bindparam("catalog_ids", expanding=True)))
    )
    if with_counts:
        statement = statement.outerjoin(counts, counts.c.item_id == CatalogItem.id)
    return statement


def item_rows(
    cycle: AssessmentCycle,
    previous: AssessmentCycle | None = None,
    with_methods: bool = True,
    with_counts: bool = True,
):
    """In one statement: the items of the cycle's catalog (and of the previous cycle's)
    with each indicator's evidence count in the cycle, whether each cycle's scope names
    the item, and what each cycle recorded for it. Returns (rows, previous rows,
    {cycle id: {item id: Assessed}})."""
    catalog_id = cycle.catalog_id
    previous_catalog = previous.catalog_id if previous else None
    parameters = {
        "cycle_id": cycle.id,
        "previous_id": previous.id if previous else -1,
        "catalog_ids": sorted({catalog_id} | ({previous_catalog} if previous else set())),
    }
    current: list[ItemRow] = []
    before: list[ItemRow] = []
    now: dict[int, Assessed] = {}
    then: dict[int, Assessed] = {}
    for row in db.session.execute(_item_rows_statement(with_methods, with_counts), parameters):
        (
            item_id,
            item_catalog,
            parent_id,
            kind,
            code,
            text,
            enabled,
            position,
            in_current,
            in_previous,
            now_points,
            now_level,
            now_reason,
            now_findings,
            then_points,
            then_level,
        ) = row[:16]
        methods = tuple(row[16] or ()) if with_methods else ()
        count = (row[-1] or 0) if with_counts else 0
        if item_catalog == catalog_id:
            current.append(
                ItemRow(
                    item_id, item_catalog, parent_id, kind, code, text, enabled, position,
                    methods, count, bool(in_current),
                )
            )  # fmt: skip
            if now_points is not None or now_level is not None or now_findings:
                now[item_id] = Assessed(now_points, now_level, now_reason, bool(now_findings))
        if item_catalog == previous_catalog:
            before.append(
                ItemRow(
                    item_id, item_catalog, parent_id, kind, code, text, enabled, position,
                    methods, 0, bool(in_previous),
                )
            )  # fmt: skip
            if then_points is not None or then_level is not None:
                then[item_id] = Assessed(then_points, then_level)
    recorded = {cycle.id: now}
    if previous is not None:
        recorded[previous.id] = then
    return current, before, recorded


def results(
    cycle: AssessmentCycle,
    with_previous: bool = True,
    with_methods: bool = True,
    with_counts: bool = True,
    shallow: bool = False,
) -> Results:
    """The cycle's tree with scores, levels and the previous cycle's beside them.
    ``cycle`` should come from ``cycle_or_404(…, with_previous=True)``. ``shallow``:
    directions and requirements only (the overview matrix)."""
    previous = cycle.previous_cycle if with_previous else None
    rows, previous_rows, recorded = item_rows(cycle, previous, with_methods, with_counts)
    scale = cycle_scale(cycle)
    limited = cycle.scope_kind != ScopeKind.ALL
    if shallow:
        roots = shallow_tree(rows, limited, recorded[cycle.id], scale)
    else:
        roots = build_tree(rows, limited)
        roll_up(roots, recorded[cycle.id], scale)
    if previous is not None:
        compare(
            roots,
            summarise(
                previous_rows,
                previous.scope_kind != ScopeKind.ALL,
                recorded[previous.id],
                cycle_scale(previous),
            ),
        )
    return Results(cycle, scale, roots, previous, recorded[cycle.id])


def checklist_stats(cycle: AssessmentCycle) -> dict[int, list[ChecklistStats]]:
    """indicator id → the checklist marks linked to it, per method."""
    statement = (
        select(
            EvidenceIndicator.indicator_id,
            Evidence.kind,
            func.count(func.distinct(Evidence.id)),
            func.coalesce(func.sum(EvidenceAnswer.mark), 0),
            func.count(EvidenceAnswer.mark),
        )
        .join(Evidence, Evidence.id == EvidenceIndicator.evidence_id)
        .outerjoin(EvidenceAnswer, EvidenceAnswer.evidence_id == Evidence.id)
        .where(Evidence.cycle_id == cycle.id)
        .group_by(EvidenceIndicator.indicator_id, Evidence.kind)
    )
    stats: dict[int, list[ChecklistStats]] = defaultdict(list)
    for indicator_id, kind, records, total, count in db.session.execute(statement):
        method = EvidenceKind(kind).method
        stats[indicator_id].append(
            ChecklistStats(method.value if method else "", records, int(total or 0), count)
        )
    return stats


def survey_evidence(indicator_ids, start: date, end: date) -> dict[int, list]:
    """Questionnaire results per indicator from the surveys area, when it is installed."""
    try:
        from dozq.surveys.queries import survey_evidence_for_indicators
    except ImportError:
        return {}
    ids = list(indicator_ids)
    return survey_evidence_for_indicators(ids, start, end) if ids else {}


def proposal_for(stats: list[ChecklistStats], surveys: list, scale: ScaleView | None) -> Proposal:
    signals = [
        checklist_signal(item, MAX_MARK)
        for item in stats
        if item.method in (Method.OBSERVATION, Method.DOCUMENTS)
    ]
    qualitative = sum(
        item.records
        for item in stats
        if item.method not in (Method.OBSERVATION, Method.DOCUMENTS) or item.marks_count == 0
    )
    signals.append(survey_signal(surveys))
    return propose([signal for signal in signals if signal], scale, qualitative)


def proposals(
    cycle: AssessmentCycle, result: Results, indicators: list[Node] | None = None
) -> dict[int, Proposal]:
    """dozq's proposal for each indicator of ``result`` (or of ``indicators``)."""
    stats = checklist_stats(cycle)
    indicators = result.indicators if indicators is None else indicators
    surveys = survey_evidence([node.id for node in indicators], cycle.starts_on, cycle.ends_on)
    return {
        node.id: proposal_for(stats.get(node.id, []), surveys.get(node.id, []), result.scale)
        for node in indicators
    }


# One indicator: all its evidence in one place, the proposal, the rating.


@dataclass
class EvidenceRow:
    id: int
    kind: EvidenceKind
    label: str
    occurred_on: date
    title: str
    body: str
    author: str
    marks_total: int
    marks_count: int
    method: str
    #: The group observed or the document studied.
    subject: str = ""
    files: list[tuple[int, str]] = field(default_factory=list)

    @property
    def marks_text(self) -> str:
        from dozq.assessment.scoring import score_text
        from dozq.quality_system.models import to_score

        if not self.marks_count:
            return ""
        from dozq.catalog.tree import plural

        average = to_score(self.marks_total / self.marks_count)
        points = plural(self.marks_count, "пункт", "пункти", "пунктів")
        return f"середня позначка {score_text(average)} з {MAX_MARK} ({self.marks_count} {points})"


@dataclass
class Ancestor:
    id: int
    code: str
    text: str


@dataclass
class IndicatorPage:
    cycle: AssessmentCycle
    indicator: CatalogItem
    criterion: Ancestor
    requirement: Ancestor
    direction: Ancestor
    assessment: ItemAssessment | None
    in_scope: bool
    evidence: list[EvidenceRow]
    scale: ScaleView | None
    #: Filled by ``with_proposal``: questionnaire results and dozq's proposal.
    surveys: list = field(default_factory=list)
    proposal: Proposal | None = None

    @property
    def methods(self) -> list[str]:
        return [Method(code).label for code in self.indicator.methods or ()]


@dataclass
class ItemLookup:
    """An item of the cycle's catalog with its ancestors (nearest first), its
    assessment in the cycle and whether the cycle's scope covers it."""

    item: CatalogItem
    ancestors: list[Ancestor]
    assessment: ItemAssessment | None
    in_scope: bool


@cache
def _item_statement():
    """Built once: an item with up to three ancestors, its assessment and scope."""
    parents = [aliased(CatalogItem) for _ in range(3)]
    cycle_id = bindparam("cycle_id")
    in_scope = exists().where(
        CycleScopeEntry.cycle_id == cycle_id,
        CycleScopeEntry.catalog_item_id.in_([CatalogItem.id, *(p.id for p in parents)]),
    )
    statement = select(
        CatalogItem,
        *(column for parent in parents for column in (parent.id, parent.code, parent.text)),
        ItemAssessment,
        in_scope,
    )
    child = CatalogItem
    for parent in parents:
        statement = statement.outerjoin(parent, parent.id == child.parent_id)
        child = parent
    return (
        statement.outerjoin(
            ItemAssessment,
            and_(ItemAssessment.item_id == CatalogItem.id, ItemAssessment.cycle_id == cycle_id),
        )
        .where(
            CatalogItem.id == bindparam("item_id"),
            CatalogItem.catalog_id == bindparam("catalog_id"),
        )
        .options(joinedload(ItemAssessment.rated_by))
    )


def item_or_404(cycle: AssessmentCycle, item_id: int) -> ItemLookup:
    """One statement: the item, up to three ancestors, its assessment, its scope."""
    row = db.session.execute(
        _item_statement(),
        {"cycle_id": cycle.id, "item_id": item_id, "catalog_id": cycle.catalog_id},
    ).first()
    if row is None:
        abort(404)
    item, *columns, assessment, scoped = row
    ancestors = [
        Ancestor(*columns[index : index + 3])
        for index in range(0, 9, 3)
        if columns[index] is not None
    ]
    return ItemLookup(
        item, ancestors, assessment, cycle.scope_kind == ScopeKind.ALL or bool(scoped)
    )


def indicator_page(cycle: AssessmentCycle, found: ItemLookup) -> IndicatorPage:
    """The indicator and all the evidence recorded for it in the cycle: one statement
    besides the cycle and the item. Questionnaire results and the proposal come from
    ``with_proposal`` (the surveys area answers in a few statements of its own)."""
    indicator = found.item
    if indicator.kind != ItemKind.INDICATOR or len(found.ancestors) != 3:
        abort(404)
    criterion, requirement, direction = found.ancestors
    return IndicatorPage(
        cycle,
        indicator,
        criterion,
        requirement,
        direction,
        found.assessment,
        found.in_scope,
        indicator_evidence(cycle, indicator.id),
        cycle_scale(cycle),
    )


def with_proposal(page: IndicatorPage) -> IndicatorPage:
    cycle, indicator = page.cycle, page.indicator
    page.surveys = survey_evidence([indicator.id], cycle.starts_on, cycle.ends_on).get(
        indicator.id, []
    )
    page.proposal = proposal_for(_stats_of(page.evidence), page.surveys, page.scale)
    return page


def _stats_of(evidence: list[EvidenceRow]) -> list[ChecklistStats]:
    grouped: dict[str, list[EvidenceRow]] = defaultdict(list)
    for row in evidence:
        grouped[row.method].append(row)
    return [
        ChecklistStats(
            method,
            len(rows),
            sum(row.marks_total for row in rows),
            sum(row.marks_count for row in rows),
        )
        for method, rows in grouped.items()
    ]


def indicator_evidence(cycle: AssessmentCycle, indicator_id: int) -> list[EvidenceRow]:
    """Every piece of evidence linked to the indicator, with marks and files: one statement."""
    rows: dict[int, EvidenceRow] = {}
    parameters = {"indicator_id": indicator_id, "cycle_id": cycle.id}
    for (
        evidence_id,
        kind,
        checklist_kind,
        interview_kind,
        occurred_on,
        title,
        body,
        group_name,
        document_title,
        author,
        total,
        count,
        file_id,
        file_name,
    ) in db.session.execute(_evidence_statement(), parameters):
        row = rows.get(evidence_id)
        if row is None:
            kind = EvidenceKind(kind)
            label = (interview_kind or checklist_kind or kind).label
            method = interview_kind.method if interview_kind else kind.method
            row = rows[evidence_id] = EvidenceRow(
                evidence_id,
                kind,
                label,
                occurred_on,
                title,
                body,
                author or "",
                int(total or 0),
                count or 0,
                method.value if method else "",
                f"група {group_name}" if group_name else document_title,
            )
        if file_id is not None:
            row.files.append((file_id, file_name))
    return list(rows.values())


@cache
def _evidence_statement():
    """Built once: the indicator's evidence with its marks and files."""
    marks_total = (
        select(func.coalesce(func.sum(EvidenceAnswer.mark), 0))
        .where(EvidenceAnswer.evidence_id == Evidence.id)
        .correlate(Evidence)
        .scalar_subquery()
    )
    marks_count = (
        select(func.count(EvidenceAnswer.mark))
        .where(EvidenceAnswer.evidence_id == Evidence.id)
        .correlate(Evidence)
        .scalar_subquery()
    )
    return (
        select(
            Evidence.id,
            Evidence.kind,
            Evidence.checklist_kind,
            Evidence.interview_kind,
            Evidence.occurred_on,
            Evidence.title,
            Evidence.body,
            Evidence.group_name,
            Evidence.document_title,
            User.full_name,
            marks_total,
            marks_count,
            StoredFile.id,
            StoredFile.original_name,
        )
        .join(EvidenceIndicator, EvidenceIndicator.evidence_id == Evidence.id)
        .outerjoin(User, User.id == Evidence.author_id)
        .outerjoin(EvidenceFile, EvidenceFile.evidence_id == Evidence.id)
        .outerjoin(StoredFile, StoredFile.id == EvidenceFile.stored_file_id)
        .where(
            EvidenceIndicator.indicator_id == bindparam("indicator_id"),
            Evidence.cycle_id == bindparam("cycle_id"),
        )
        .order_by(Evidence.occurred_on.desc(), Evidence.id.desc(), EvidenceFile.id)
    )


# Lists.

PER_PAGE = 25


@dataclass
class EvidencePage:
    rows: list[Evidence]
    codes: dict[int, list[str]]
    total: int
    page: int
    pages: int


def evidence_page(
    cycle: AssessmentCycle, kind: EvidenceKind | None, page: int, author_id=None
) -> EvidencePage:
    base = select(Evidence).where(Evidence.cycle_id == cycle.id)
    if kind is not None:
        base = base.where(Evidence.kind == kind)
    if author_id is not None:
        base = base.where(Evidence.author_id == author_id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        base.options(joinedload(Evidence.author), selectinload(Evidence.files))
        .order_by(Evidence.occurred_on.desc(), Evidence.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    codes: dict[int, list[str]] = defaultdict(list)
    if rows:
        for evidence_id, code in db.session.execute(
            select(EvidenceIndicator.evidence_id, CatalogItem.code)
            .join(CatalogItem, CatalogItem.id == EvidenceIndicator.indicator_id)
            .where(EvidenceIndicator.evidence_id.in_([row.id for row in rows]))
            .order_by(CatalogItem.code)
        ):
            codes[evidence_id].append(code)
    return EvidencePage(rows, codes, total, page, pages)


def evidence_or_404(evidence_id: int) -> Evidence:
    evidence = db.session.scalar(
        select(Evidence)
        .where(Evidence.id == evidence_id)
        .options(
            joinedload(Evidence.author),
            joinedload(Evidence.observed_user),
            selectinload(Evidence.answers),
            selectinload(Evidence.observers).joinedload(EvidenceObserver.user),
            selectinload(Evidence.files).joinedload(EvidenceFile.stored_file),
        )
    )
    if evidence is None:
        abort(404)
    return evidence


def linked_indicators(evidence: Evidence) -> list[CatalogItem]:
    return db.session.scalars(
        select(CatalogItem)
        .join(EvidenceIndicator, EvidenceIndicator.indicator_id == CatalogItem.id)
        .where(EvidenceIndicator.evidence_id == evidence.id)
        .order_by(CatalogItem.code)
    ).all()


def staff() -> list[tuple[User, Membership]]:
    """The institution's people, by name."""
    return db.session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .order_by(User.full_name)
    ).all()


def staff_user_or_404(user_id: int) -> User:
    """A person who works in this institution; 404 for anyone else."""
    user = db.session.scalar(
        select(User).join(Membership, Membership.user_id == User.id).where(User.id == user_id)
    )
    if user is None:
        abort(404)
    return user


def staff_users(user_ids) -> list[User]:
    ids = {int(user_id) for user_id in user_ids}
    if not ids:
        return []
    users = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id).where(User.id.in_(ids))
    ).all()
    if len(users) != len(ids):
        abort(404)
    return list(users)


def templates(active_only: bool = False, observation: bool | None = None):
    statement = select(ChecklistTemplate).options(selectinload(ChecklistTemplate.items))
    if active_only:
        statement = statement.where(ChecklistTemplate.is_active)
    found = db.session.scalars(statement.order_by(ChecklistTemplate.id)).all()
    if observation is not None:
        found = [item for item in found if item.kind.is_observation == observation]
    return found


# The plan of a cycle.


@dataclass
class Plan:
    members: list[CycleMember]
    entries: list[MethodPlanEntry]
    schedule: list[CycleScheduleItem]
    scope: list[CycleScopeEntry]
    transitions: list[CycleTransition]
    carried: list[ManagementDecision]


def plan(cycle: AssessmentCycle) -> Plan:
    members = db.session.scalars(
        select(CycleMember)
        .where(CycleMember.cycle_id == cycle.id)
        .options(joinedload(CycleMember.user), joinedload(CycleMember.responsible_item))
        .order_by(CycleMember.group_role, CycleMember.id)
    ).all()
    entries = db.session.scalars(
        select(MethodPlanEntry)
        .join(CatalogItem, CatalogItem.id == MethodPlanEntry.indicator_id)
        .where(MethodPlanEntry.cycle_id == cycle.id)
        .options(
            joinedload(MethodPlanEntry.indicator),
            joinedload(MethodPlanEntry.member).joinedload(CycleMember.user),
        )
        .order_by(CatalogItem.code, MethodPlanEntry.method)
    ).all()
    schedule = db.session.scalars(
        select(CycleScheduleItem)
        .where(CycleScheduleItem.cycle_id == cycle.id)
        .order_by(CycleScheduleItem.position, CycleScheduleItem.id)
    ).all()
    scope = db.session.scalars(
        select(CycleScopeEntry)
        .where(CycleScopeEntry.cycle_id == cycle.id)
        .options(joinedload(CycleScopeEntry.catalog_item), joinedload(CycleScopeEntry.plan_section))
        .order_by(CycleScopeEntry.id)
    ).all()
    transitions = db.session.scalars(
        select(CycleTransition)
        .where(CycleTransition.cycle_id == cycle.id)
        .options(joinedload(CycleTransition.actor))
        .order_by(CycleTransition.at, CycleTransition.id)
    ).all()
    carried = db.session.scalars(
        select(ManagementDecision)
        .where(ManagementDecision.carried_to_cycle_id == cycle.id)
        .options(joinedload(ManagementDecision.cycle), joinedload(ManagementDecision.item))
        .order_by(ManagementDecision.due_on, ManagementDecision.id)
    ).all()
    return Plan(members, entries, schedule, scope, transitions, carried)


def directions_and_requirements(cycle: AssessmentCycle) -> list[CatalogItem]:
    return db.session.scalars(
        select(CatalogItem)
        .where(
            CatalogItem.catalog_id == cycle.catalog_id,
            CatalogItem.kind.in_((ItemKind.DIRECTION, ItemKind.REQUIREMENT)),
            CatalogItem.enabled,
        )
        .order_by(CatalogItem.code)
    ).all()


def is_working_group_member(cycle: AssessmentCycle, user) -> bool:
    return (
        db.session.scalar(
            select(CycleMember.id).where(
                CycleMember.cycle_id == cycle.id, CycleMember.user_id == user.id
            )
        )
        is not None
    )


# Discussion and decisions.


def discussions(cycle: AssessmentCycle) -> list[CycleDiscussion]:
    return db.session.scalars(
        select(CycleDiscussion)
        .where(CycleDiscussion.cycle_id == cycle.id)
        .options(joinedload(CycleDiscussion.council_meeting))
        .order_by(CycleDiscussion.held_on, CycleDiscussion.id)
    ).all()


def meetings() -> list[PedagogicalCouncilMeeting]:
    return db.session.scalars(
        select(PedagogicalCouncilMeeting).order_by(
            PedagogicalCouncilMeeting.held_on.desc(), PedagogicalCouncilMeeting.id.desc()
        )
    ).all()


def meeting_cycles(meeting_ids) -> dict[int, list[AssessmentCycle]]:
    found: dict[int, list[AssessmentCycle]] = defaultdict(list)
    ids = list(meeting_ids)
    if not ids:
        return found
    for meeting_id, cycle in db.session.execute(
        select(CycleDiscussion.council_meeting_id, AssessmentCycle)
        .join(AssessmentCycle, AssessmentCycle.id == CycleDiscussion.cycle_id)
        .where(CycleDiscussion.council_meeting_id.in_(ids))
    ):
        found[meeting_id].append(cycle)
    return found


def decisions(cycle: AssessmentCycle) -> list[ManagementDecision]:
    return db.session.scalars(
        select(ManagementDecision)
        .where(
            or_(
                ManagementDecision.cycle_id == cycle.id,
                ManagementDecision.carried_to_cycle_id == cycle.id,
            )
        )
        .options(
            joinedload(ManagementDecision.item),
            joinedload(ManagementDecision.responsible_user),
            joinedload(ManagementDecision.annual_plan_section),
            joinedload(ManagementDecision.development_programme),
            joinedload(ManagementDecision.cycle),
        )
        .order_by(ManagementDecision.cycle_id, ManagementDecision.id)
    ).all()


def founder_requests_of(cycle: AssessmentCycle) -> list[FounderRequest]:
    return db.session.scalars(
        select(FounderRequest)
        .where(FounderRequest.cycle_id == cycle.id)
        .order_by(FounderRequest.id)
    ).all()


def procedure_reviews(cycle: AssessmentCycle) -> dict[int, ProcedureReview]:
    return {
        review.component_id: review
        for review in db.session.scalars(
            select(ProcedureReview)
            .where(ProcedureReview.cycle_id == cycle.id)
            .options(joinedload(ProcedureReview.measure))
        )
    }


# Who may see a teacher's professional development needs.


def may_see_all_needs(role: Role | None) -> bool:
    return role in MANAGERS


def visible_needs(user, role: Role | None, cycle: AssessmentCycle | None = None, evidence=None):
    """A teacher's needs are seen by that teacher, the director and the methodologist —
    nobody else, whatever page asks."""
    statement = select(DevelopmentNeed).options(
        joinedload(DevelopmentNeed.teacher), joinedload(DevelopmentNeed.evidence)
    )
    if not may_see_all_needs(role):
        statement = statement.where(DevelopmentNeed.teacher_id == user.id)
    if cycle is not None:
        statement = statement.where(DevelopmentNeed.cycle_id == cycle.id)
    if evidence is not None:
        statement = statement.where(DevelopmentNeed.evidence_id == evidence.id)
    return db.session.scalars(
        statement.order_by(DevelopmentNeed.created_at.desc(), DevelopmentNeed.id.desc())
    ).all()


# The founder's side: requests addressed to it, nothing else.


def founder_requests() -> list[tuple[FounderRequest, str]]:
    return db.session.execute(
        select(FounderRequest, Institution.short_name)
        .join(Institution, Institution.id == FounderRequest.institution_id)
        .where(FounderRequest.sent_at.is_not(None))
        .order_by(FounderRequest.answered_at.is_not(None), FounderRequest.sent_at.desc())
    ).all()


def sent_request_or_404(request_id: int) -> tuple[FounderRequest, Institution]:
    row = db.session.execute(
        select(FounderRequest, Institution)
        .join(Institution, Institution.id == FounderRequest.institution_id)
        .where(FounderRequest.id == request_id, FounderRequest.sent_at.is_not(None))
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


# The printable summary.


def evidence_counts(cycle: AssessmentCycle) -> dict[EvidenceKind, int]:
    return {
        EvidenceKind(kind): count
        for kind, count in db.session.execute(
            select(Evidence.kind, func.count(Evidence.id))
            .where(Evidence.cycle_id == cycle.id)
            .group_by(Evidence.kind)
        )
    }


def findings(cycle: AssessmentCycle) -> dict[int, ItemAssessment]:
    return {
        row.item_id: row
        for row in db.session.scalars(
            select(ItemAssessment).where(
                ItemAssessment.cycle_id == cycle.id,
                or_(
                    ItemAssessment.achievements != "",
                    ItemAssessment.difficulties != "",
                    ItemAssessment.trends != "",
                    ItemAssessment.override_level_id.is_not(None),
                ),
            )
        )
    }


# A founder's cycle templates.


@dataclass(frozen=True)
class TemplateProgress:
    """One institution's cycle of a founder's template, as the founder sees it."""

    institution: str
    status: CycleStatus | None
    published: bool
    publication_url: str
    #: Why the last launch created no cycle there.
    reason: str


def template_progress(template: CycleTemplate) -> list[TemplateProgress]:
    """Every institution of the founder, alphabetically, with the status of its cycle of
    ``template`` and whether its results are published; never the cycle's plan,
    evidence or ratings (the founder sees progress, not drafts). One statement."""
    rows = db.session.execute(
        select(
            Institution.id,
            Institution.short_name,
            AssessmentCycle.status,
            AssessmentCycle.publication_url,
        )
        .outerjoin(
            AssessmentCycle,
            and_(
                AssessmentCycle.institution_id == Institution.id,
                AssessmentCycle.template_id == template.id,
            ),
        )
        .order_by(Institution.short_name, Institution.id)
    ).all()
    published = (CycleStatus.PUBLISHED, CycleStatus.CLOSED)
    return [
        TemplateProgress(
            institution=name,
            status=status,
            published=status in published,
            publication_url=(url or "") if status in published else "",
            reason=(template.skipped or {}).get(str(institution_id), "") if status is None else "",
        )
        for institution_id, name, status, url in rows
    ]
