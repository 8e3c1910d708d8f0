"""The steps of a self-assessment cycle: plan, collect, generalise, rate, discuss, act.

Plain functions taking the actor and already-scoped objects. Each step changes
the session, flushes, writes an audit row (``record``) and never commits.
Objects a form names by id are resolved by the views with ``db.get_or_404`` or a
scoped select before they reach these functions; ids of catalog items are
checked here against the cycle's own catalog.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from dozq.assessment import queries
from dozq.assessment.models import (
    FOCUS_GROUP_MAX,
    FOCUS_GROUP_MIN,
    GENERALISING_STATUSES,
    MARKS,
    TRANSITIONS,
    AssessmentCycle,
    ChecklistKind,
    ChecklistTemplate,
    ChecklistTemplateItem,
    CycleDiscussion,
    CycleMember,
    CycleScheduleItem,
    CycleScopeEntry,
    CycleStatus,
    CycleTemplate,
    CycleTransition,
    DecisionKind,
    DecisionStatus,
    DevelopmentNeed,
    DirectionResult,
    DiscussionKind,
    Evidence,
    EvidenceAnswer,
    EvidenceFile,
    EvidenceIndicator,
    EvidenceKind,
    EvidenceObserver,
    FounderRequest,
    GroupRole,
    InterviewKind,
    ItemAssessment,
    ManagementDecision,
    MethodPlanEntry,
    MonitoringSource,
    PedagogicalCouncilMeeting,
    ProcedureReview,
    ProcedureVerdict,
    RequestTopic,
    ScopeKind,
)
from dozq.audit.services import record
from dozq.catalog.models import CatalogItem, InstitutionCatalog, ItemKind, Method
from dozq.db import apply_changes, db, utcnow
from dozq.files.services import store_upload
from dozq.files.storage import storage
from dozq.publication.models import MonitoringProgramme
from dozq.quality_system.models import (
    AnnualPlan,
    AnnualPlanSection,
    DevelopmentProgramme,
    ModelKind,
    QualityComponent,
    QualityMeasure,
    SelfAssessmentPlanEntry,
    to_score,
)
from dozq.quality_system.services import (
    assessment_model,
    current_scale,
    format_score,
    parse_score,
)
from dozq.regulation import services as regulation
from dozq.tenancy.models import MANAGERS, Institution, Role
from dozq.tenancy.scope import Scope, tenant_scope
from dozq.tenancy.services import check_version
from dozq.web.errors import ConflictError, DomainError
from dozq.web.filters import KYIV

log = logging.getLogger(__name__)

CHECKLISTS_PATH = Path(__file__).parent / "data" / "checklists.yaml"

CONFLICT_MESSAGE = (
    "Поки ви редагували, цей запис змінив інший користувач. "
    "Оновіть сторінку, щоб побачити нову версію, і внесіть свої зміни знову."
)


def _flush() -> None:
    """Flush; a row someone else changed meanwhile is a conflict."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConflictError(CONFLICT_MESSAGE) from error


def _flush_new_unique() -> None:
    """Flush a row that is unique per cycle and item (or component): one created by
    someone else since the form was opened is a conflict too."""
    try:
        _flush()
    except IntegrityError as error:
        raise ConflictError(CONFLICT_MESSAGE) from error


def _text(data: dict, name: str, limit: int | None = None) -> str:
    value = (data.get(name) or "").replace("\r\n", "\n").strip()
    if limit is not None and len(value) > limit:
        raise DomainError(f"Текст задовгий: не більше {limit} символів.")
    return value


def _short(text: str, length: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# The regulation: another area owns it; this is the one question self-assessment asks.


REGULATION_NOT_APPROVED = (
    "Положення про внутрішню систему забезпечення якості освіти ще не затверджено. "
    "Комплексне самооцінювання доцільно проводити після визначення всіх компонентів "
    "внутрішньої системи та умов їх функціонування, що закріплюються Положенням."
)


def regulation_warning(cycle: AssessmentCycle) -> str | None:
    """The warning a comprehensive cycle carries while the regulation's approval is
    not confirmed (a warning: the cycle is not blocked)."""
    if not cycle.is_comprehensive:
        return None
    return None if regulation.is_approved() else REGULATION_NOT_APPROVED


# Checklist templates: dozq's (data/checklists.yaml) and the institution's copies.


@dataclass(frozen=True)
class TemplateSource:
    key: str
    kind: ChecklistKind
    title: str
    seed_quote: str
    items: tuple[tuple[str, str], ...]


def template_sources() -> list[TemplateSource]:
    """The observation and document-study templates dozq ships, from the seed."""
    document = yaml.safe_load(CHECKLISTS_PATH.read_text(encoding="utf-8"))
    sources = []
    for section in ("observation", "document_study"):
        for raw in document.get(section, []):
            sources.append(
                TemplateSource(
                    raw["key"],
                    ChecklistKind(raw["kind"]),
                    raw["title"],
                    raw.get("seed_quote", ""),
                    tuple((item["text"], item.get("seed_quote", "")) for item in raw["items"]),
                )
            )
    return sources


def ensure_checklist_templates(actor=None) -> list[ChecklistTemplate]:
    """Give the institution its copies of dozq's templates it does not have yet."""
    present = set(
        db.session.scalars(
            select(ChecklistTemplate.source_key).where(ChecklistTemplate.source_key != "")
        )
    )
    added = []
    for source in template_sources():
        if source.key in present:
            continue
        template = ChecklistTemplate(
            source_key=source.key,
            kind=source.kind,
            title=source.title,
            seed_quote=source.seed_quote,
            items=[
                ChecklistTemplateItem(position=position, text=text, seed_quote=quote)
                for position, (text, quote) in enumerate(source.items, start=1)
            ],
        )
        db.session.add(template)
        added.append(template)
    if added:
        _flush()
        record(
            actor,
            "assessment.templates_added",
            None,
            "Додано типові аркуші спостереження та вивчення документації: "
            + "; ".join(template.title for template in added),
        )
    return added


def _item_lines(raw: str) -> list[str]:
    lines = [" ".join(line.split()) for line in (raw or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise DomainError("Додайте хоча б один пункт: кожен пункт — окремий рядок.")
    if any(len(line) > 1000 for line in lines):
        raise DomainError("Пункт задовгий: не більше 1000 символів.")
    return lines


def create_template(actor, data: dict, copy_of: ChecklistTemplate | None = None):
    """A new sheet of the institution: its own, or a copy of another to change."""
    title = _text(data, "title", 300)
    if not title:
        raise DomainError("Вкажіть назву аркуша.")
    kind = ChecklistKind(data["kind"]) if data.get("kind") else copy_of.kind
    if copy_of is not None and not data.get("items"):
        lines = [(item.text, item.seed_quote) for item in copy_of.items]
    else:
        lines = [(line, "") for line in _item_lines(data.get("items", ""))]
    template = ChecklistTemplate(
        kind=kind,
        title=title,
        seed_quote=copy_of.seed_quote if copy_of is not None else "",
        items=[
            ChecklistTemplateItem(position=position, text=text, seed_quote=quote)
            for position, (text, quote) in enumerate(lines, start=1)
        ],
    )
    db.session.add(template)
    _flush()
    record(actor, "assessment.template_created", template, f"Створено аркуш «{title}»")
    return template


def update_template(actor, template: ChecklistTemplate, data: dict, version) -> bool:
    """Rename a sheet, change its focus points (one per line), switch it on or off.
    Records already made keep the wording they were made with."""
    check_version(template, version)
    title = _text(data, "title", 300)
    if not title:
        raise DomainError("Вкажіть назву аркуша.")
    lines = _item_lines(data.get("items", ""))
    quotes = {item.text: item.seed_quote for item in template.items}
    old_lines = [item.text for item in template.items]
    active = bool(data.get("is_active"))
    changed = title != template.title or lines != old_lines or active != template.is_active
    if not changed:
        return False
    template.title = title
    template.is_active = active
    if lines != old_lines:
        template.items.clear()
        db.session.flush()
        template.items.extend(
            ChecklistTemplateItem(position=position, text=line, seed_quote=quotes.get(line, ""))
            for position, line in enumerate(lines, start=1)
        )
    _flush()
    record(actor, "assessment.template_updated", template, f"Змінено аркуш «{title}»")
    return True


# Planning.


def active_catalog() -> InstitutionCatalog | None:
    return db.session.scalar(select(InstitutionCatalog).where(InstitutionCatalog.is_active))


SCHEDULE_STEPS = (
    ("Збір інформації: спостереження, опитування, вивчення документації", 0.0, 0.55),
    ("Узагальнення результатів самооцінювання", 0.55, 0.7),
    ("Визначення рівнів за вимогами та напрямами", 0.7, 0.8),
    ("Обговорення результатів на засіданні педагогічної ради та з батьками", 0.8, 0.9),
    ("Оприлюднення результатів, управлінські рішення", 0.9, 1.0),
)


def _cycle_values(data: dict) -> dict:
    title = _text(data, "title", 300)
    if not title:
        raise DomainError("Вкажіть назву циклу самооцінювання.")
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        raise DomainError("Вкажіть дати початку та завершення.")
    if ends_on < starts_on:
        raise DomainError("Дата завершення не може бути раніше за дату початку.")
    school_year = int(data.get("school_year") or starts_on.year)
    if not 2000 <= school_year <= 2100:
        raise DomainError("Вкажіть навчальний рік, наприклад 2025 для 2025/2026.")
    return {
        "title": title,
        "school_year": school_year,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "model_kind": ModelKind(data["model_kind"]),
        "includes_system_review": bool(data.get("includes_system_review")),
        "order_number": _text(data, "order_number", 60),
        "order_date": data.get("order_date") or None,
    }


def _previous_cycle() -> AssessmentCycle | None:
    """The latest cycle whose results were discussed: what a new one is compared with."""
    return db.session.scalar(
        select(AssessmentCycle)
        .where(
            AssessmentCycle.status.in_(
                (CycleStatus.DISCUSSED, CycleStatus.PUBLISHED, CycleStatus.CLOSED)
            )
        )
        .order_by(AssessmentCycle.school_year.desc(), AssessmentCycle.id.desc())
        .limit(1)
    )


def create_cycle(actor, data: dict) -> AssessmentCycle:
    """Plan a cycle: model and period, the scope the model suggests, the default
    schedule; open decisions of earlier cycles are carried into it."""
    values = _cycle_values(data)
    catalog = active_catalog()
    if catalog is None:
        raise DomainError(
            "У закладу ще немає каталогу критеріїв та індикаторів: спершу оберіть його."
        )
    scope_kind = ScopeKind(data.get("scope_kind") or ScopeKind.ALL)
    cycle = AssessmentCycle(
        **values,
        scope_kind=scope_kind,
        status=CycleStatus.PLANNED,
        catalog_id=catalog.id,
        previous_cycle_id=getattr(_previous_cycle(), "id", None),
        created_by_id=actor.id if actor else None,
    )
    if scope_kind == ScopeKind.PLAN_SECTIONS:
        plan = db.session.scalar(
            select(AnnualPlan).where(AnnualPlan.school_year == cycle.school_year)
        )
        cycle.annual_plan_id = plan.id if plan else None
    db.session.add(cycle)
    _flush()
    if scope_kind == ScopeKind.ITEMS:
        for direction in _planned_directions(cycle):
            db.session.add(CycleScopeEntry(cycle_id=cycle.id, catalog_item_id=direction.id))
    span = (cycle.ends_on - cycle.starts_on).days
    for position, (title, start, end) in enumerate(SCHEDULE_STEPS, start=1):
        db.session.add(
            CycleScheduleItem(
                cycle_id=cycle.id,
                position=position,
                title=title,
                starts_on=cycle.starts_on + timedelta(days=round(span * start)),
                ends_on=cycle.starts_on + timedelta(days=round(span * end)),
            )
        )
    db.session.add(
        CycleTransition(
            cycle_id=cycle.id,
            from_status=None,
            to_status=CycleStatus.PLANNED,
            actor_id=actor.id if actor else None,
        )
    )
    carried = _carry_open_decisions(cycle)
    ensure_checklist_templates(actor)
    _flush()
    record(
        actor,
        "assessment.cycle_created",
        cycle,
        f"Заплановано самооцінювання «{cycle.title}» ({cycle.school_year_label})",
        carried_decisions=carried,
    )
    return cycle


def default_cycle_values(today: date | None = None) -> dict:
    """What the new-cycle form starts with: the institution's model, this school year."""
    from dozq.quality_system.services import current_school_year

    year = current_school_year(today)
    model = assessment_model()
    kind = model.kind if model else ModelKind.ANNUAL_COMPREHENSIVE
    if model is not None and model.block_system:
        scope = ScopeKind.PLAN_SECTIONS
    elif kind == ModelKind.ANNUAL_TARGETED:
        scope = ScopeKind.ITEMS
    else:
        scope = ScopeKind.ALL
    return {
        "title": f"Самооцінювання освітніх і управлінських процесів, {year}/{year + 1}",
        "school_year": year,
        "starts_on": date(year + 1, 1, 15),
        "ends_on": date(year + 1, 5, 31),
        "model_kind": kind.value,
        "scope_kind": scope.value,
    }


def _planned_directions(cycle: AssessmentCycle) -> list[CatalogItem]:
    """The directions the multi-year plan assigns to the cycle's school year."""
    numbers = set(
        db.session.scalars(
            select(SelfAssessmentPlanEntry.direction).where(
                SelfAssessmentPlanEntry.school_year == cycle.school_year
            )
        )
    )
    if not numbers:
        return []
    return db.session.scalars(
        select(CatalogItem).where(
            CatalogItem.catalog_id == cycle.catalog_id,
            CatalogItem.kind == ItemKind.DIRECTION,
            CatalogItem.code.in_([str(number) for number in numbers]),
        )
    ).all()


def _carry_open_decisions(cycle: AssessmentCycle) -> int:
    decisions = db.session.scalars(
        select(ManagementDecision).where(
            ManagementDecision.cycle_id != cycle.id,
            ManagementDecision.status.in_((DecisionStatus.PLANNED, DecisionStatus.IN_PROGRESS)),
        )
    ).all()
    for decision in decisions:
        decision.carried_to_cycle_id = cycle.id
    return len(decisions)


def _check_open(cycle: AssessmentCycle) -> None:
    if cycle.finished:
        raise DomainError(f"План циклу «{cycle.title}» вже не змінюють: цикл {cycle.status.label}.")


def update_cycle(actor, cycle: AssessmentCycle, data: dict, version) -> list[str]:
    check_version(cycle, version)
    _check_open(cycle)
    values = _cycle_values(data)
    changed = apply_changes(cycle, values)
    if changed:
        _flush()
        record(
            actor,
            "assessment.cycle_updated",
            cycle,
            f"Змінено план самооцінювання «{cycle.title}»",
            fields=changed,
        )
    return changed


def catalog_items(cycle: AssessmentCycle, ids: Iterable[int], kinds: Sequence[ItemKind]):
    """Items of the cycle's catalog with these ids, or a refusal naming the problem."""
    ids = {int(item_id) for item_id in ids}
    if not ids:
        return []
    items = db.session.scalars(
        select(CatalogItem).where(
            CatalogItem.id.in_(ids),
            CatalogItem.catalog_id == cycle.catalog_id,
            CatalogItem.kind.in_(kinds),
        )
    ).all()
    if len(items) != len(ids):
        raise DomainError("Обрано елементи, яких немає в каталозі цього циклу.")
    return sorted(items, key=lambda item: item.code)


def set_scope(
    actor,
    cycle: AssessmentCycle,
    scope_kind: ScopeKind,
    item_ids: Iterable[int] = (),
    sections: Sequence[tuple[AnnualPlanSection, CatalogItem | None]] = (),
    version=None,
) -> None:
    """What the cycle assesses: everything, chosen directions and requirements, or
    sections of the annual plan (each with the direction or requirement it covers)."""
    check_version(cycle, version)
    scope_kind = ScopeKind(scope_kind)
    if cycle.status not in (CycleStatus.PLANNED, CycleStatus.COLLECTING):
        raise DomainError("Обсяг самооцінювання змінюють лише до узагальнення результатів.")
    items = catalog_items(cycle, item_ids, (ItemKind.DIRECTION, ItemKind.REQUIREMENT))
    if scope_kind == ScopeKind.ITEMS and not items:
        raise DomainError("Оберіть хоча б один напрям або вимогу.")
    if scope_kind == ScopeKind.PLAN_SECTIONS and not sections:
        raise DomainError("Оберіть хоча б один розділ плану роботи на рік.")
    for _section, item in sections:
        if item is not None and item.catalog_id != cycle.catalog_id:
            raise DomainError("Обрано елементи, яких немає в каталозі цього циклу.")
    db.session.execute(delete(CycleScopeEntry).where(CycleScopeEntry.cycle_id == cycle.id))
    if scope_kind == ScopeKind.ITEMS:
        for item in items:
            db.session.add(CycleScopeEntry(cycle_id=cycle.id, catalog_item_id=item.id))
    elif scope_kind == ScopeKind.PLAN_SECTIONS:
        plans = {section.plan_id for section, _ in sections}
        if len(plans) > 1:
            raise DomainError("Оберіть розділи одного плану роботи.")
        cycle.annual_plan_id = plans.pop()
        for section, item in sections:
            db.session.add(
                CycleScopeEntry(
                    cycle_id=cycle.id,
                    plan_section_id=section.id,
                    catalog_item_id=item.id if item else None,
                )
            )
    cycle.scope_kind = scope_kind
    cycle.updated_at = utcnow()
    _flush()
    record(
        actor,
        "assessment.scope_set",
        cycle,
        f"Обсяг самооцінювання «{cycle.title}»: {scope_kind.label}",
        items=[item.code for item in items],
        sections=[section.id for section, _ in sections],
    )


def add_member(actor, cycle: AssessmentCycle, data: dict, user=None, item=None) -> CycleMember:
    """A member of the working group: a staff member (``user``) or a person named."""
    _check_open(cycle)
    name = _text(data, "name", 200)
    if user is None and not name:
        raise DomainError("Оберіть працівника або вкажіть ім’я учасника.")
    if item is not None and (
        item.catalog_id != cycle.catalog_id
        or item.kind not in (ItemKind.DIRECTION, ItemKind.REQUIREMENT)
    ):
        raise DomainError("Обрано елементи, яких немає в каталозі цього циклу.")
    if user is not None:
        exists = db.session.scalar(
            select(CycleMember.id).where(
                CycleMember.cycle_id == cycle.id, CycleMember.user_id == user.id
            )
        )
        if exists:
            raise DomainError(f"{user.full_name} вже є в робочій групі.")
    member = CycleMember(
        cycle_id=cycle.id,
        user_id=user.id if user else None,
        name="" if user else name,
        group_role=GroupRole(data.get("group_role") or GroupRole.MEMBER),
        responsibility=_text(data, "responsibility", 2000),
        responsible_item_id=item.id if item else None,
    )
    db.session.add(member)
    _flush()
    who = user.full_name if user else name
    record(
        actor,
        "assessment.member_added",
        member,
        f"До робочої групи «{cycle.title}» додано: {who} ({member.group_role.label})",
        cycle_id=cycle.id,
    )
    return member


def remove_member(actor, member: CycleMember, cycle: AssessmentCycle) -> None:
    _check_open(cycle)
    record(
        actor,
        "assessment.member_removed",
        member,
        f"З робочої групи «{cycle.title}» вилучено: {member.display_name}",
        cycle_id=cycle.id,
    )
    db.session.delete(member)
    _flush()


def add_plan_entry(
    actor, cycle: AssessmentCycle, indicator: CatalogItem, data: dict, member=None
) -> MethodPlanEntry:
    """Which method an indicator is studied by, who does it, by when."""
    _check_open(cycle)
    if indicator.catalog_id != cycle.catalog_id or indicator.kind != ItemKind.INDICATOR:
        raise DomainError("Оберіть індикатор із каталогу цього циклу.")
    if member is not None and member.cycle_id != cycle.id:
        raise DomainError("Відповідальним може бути лише учасник робочої групи цього циклу.")
    method = Method(data["method"])
    exists = db.session.scalar(
        select(MethodPlanEntry.id).where(
            MethodPlanEntry.cycle_id == cycle.id,
            MethodPlanEntry.indicator_id == indicator.id,
            MethodPlanEntry.method == method,
        )
    )
    if exists:
        raise DomainError(
            f"Для індикатора {indicator.code} метод «{method.label}» уже заплановано."
        )
    due_on = data.get("due_on") or None
    if due_on is not None and not cycle.starts_on <= due_on <= cycle.ends_on:
        raise DomainError("Строк має бути в межах періоду самооцінювання.")
    entry = MethodPlanEntry(
        cycle_id=cycle.id,
        indicator_id=indicator.id,
        method=method,
        member_id=member.id if member else None,
        due_on=due_on,
        note=_text(data, "note", 500),
    )
    db.session.add(entry)
    _flush()
    record(
        actor,
        "assessment.method_planned",
        entry,
        f"«{cycle.title}»: індикатор {indicator.code} — {method.label}",
        cycle_id=cycle.id,
    )
    return entry


def fill_method_plan(actor, cycle: AssessmentCycle, indicators: list) -> int:
    """Plan every method the catalog gives each indicator in scope (``indicators``:
    tree nodes), with the member responsible for its direction or requirement and the
    end of the collection step as the deadline. Returns how many entries were added."""
    _check_open(cycle)
    members = db.session.scalars(
        select(CycleMember).where(
            CycleMember.cycle_id == cycle.id, CycleMember.responsible_item_id.is_not(None)
        )
    ).all()
    by_item = {member.responsible_item_id: member for member in members}
    present = {
        (indicator_id, method)
        for indicator_id, method in db.session.execute(
            select(MethodPlanEntry.indicator_id, MethodPlanEntry.method).where(
                MethodPlanEntry.cycle_id == cycle.id
            )
        )
    }
    collection_end = db.session.scalar(
        select(CycleScheduleItem.ends_on)
        .where(CycleScheduleItem.cycle_id == cycle.id)
        .order_by(CycleScheduleItem.position)
        .limit(1)
    )
    added = 0
    for node in indicators:
        member = next(
            (by_item[ancestor] for ancestor in node.ancestor_ids if ancestor in by_item), None
        )
        for code in node.methods:
            method = Method(code)
            if (node.id, method) in present:
                continue
            db.session.add(
                MethodPlanEntry(
                    cycle_id=cycle.id,
                    indicator_id=node.id,
                    method=method,
                    member_id=member.id if member else None,
                    due_on=collection_end,
                )
            )
            added += 1
    if added:
        _flush()
        record(
            actor,
            "assessment.methods_filled",
            cycle,
            f"«{cycle.title}»: заплановано методи за каталогом ({added})",
            added=added,
        )
    return added


def remove_plan_entry(actor, entry: MethodPlanEntry, cycle: AssessmentCycle) -> None:
    _check_open(cycle)
    record(
        actor,
        "assessment.method_unplanned",
        entry,
        f"«{cycle.title}»: з плану методів вилучено «{entry.method.label}»",
        cycle_id=cycle.id,
    )
    db.session.delete(entry)
    _flush()


def add_schedule_item(actor, cycle: AssessmentCycle, data: dict) -> CycleScheduleItem:
    _check_open(cycle)
    title = _text(data, "title", 300)
    if not title:
        raise DomainError("Вкажіть, що саме заплановано.")
    starts_on, ends_on = data.get("starts_on") or None, data.get("ends_on") or None
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError("Дата завершення не може бути раніше за дату початку.")
    position = (
        db.session.scalar(
            select(func.max(CycleScheduleItem.position)).where(
                CycleScheduleItem.cycle_id == cycle.id
            )
        )
        or 0
    ) + 1
    item = CycleScheduleItem(
        cycle_id=cycle.id,
        position=position,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        responsible=_text(data, "responsible", 300),
    )
    db.session.add(item)
    _flush()
    record(
        actor,
        "assessment.schedule_added",
        item,
        f"«{cycle.title}»: до графіка додано «{_short(title)}»",
        cycle_id=cycle.id,
    )
    return item


def remove_schedule_item(actor, item: CycleScheduleItem, cycle: AssessmentCycle) -> None:
    _check_open(cycle)
    record(
        actor,
        "assessment.schedule_removed",
        item,
        f"«{cycle.title}»: з графіка вилучено «{_short(item.title)}»",
        cycle_id=cycle.id,
    )
    db.session.delete(item)
    _flush()


# The status of a cycle.


#: Only the head of the institution starts and closes self-assessment (the seed:
#: «Відповідальним за проведення самооцінювання … є керівник ЗДО»).
DIRECTOR_ONLY = {
    (CycleStatus.PLANNED, CycleStatus.COLLECTING): (
        "Розпочати самооцінювання може лише керівник закладу."
    ),
    (CycleStatus.PUBLISHED, CycleStatus.CLOSED): "Завершити цикл може лише керівник закладу.",
}


def is_backward(current: CycleStatus, target: CycleStatus) -> bool:
    order = list(CycleStatus)
    return order.index(target) < order.index(current)


def council_discussions(cycle: AssessmentCycle) -> int:
    return db.session.scalar(
        select(func.count(CycleDiscussion.id)).where(
            CycleDiscussion.cycle_id == cycle.id,
            CycleDiscussion.kind == DiscussionKind.COUNCIL,
            CycleDiscussion.council_meeting_id.is_not(None),
        )
    )


def transition(
    actor,
    role: Role,
    cycle: AssessmentCycle,
    target: CycleStatus,
    note: str = "",
    version=None,
    publication_url: str = "",
) -> CycleTransition:
    """Move the cycle to ``target`` if that move is allowed, to this person, now."""
    check_version(cycle, version)
    current = cycle.status
    if target not in TRANSITIONS[current]:
        raise DomainError(
            f"Цикл у стані «{current.label}» не можна перевести до стану «{target.label}»."
        )
    refusal = DIRECTOR_ONLY.get((current, target))
    if refusal and role != Role.DIRECTOR:
        raise DomainError(refusal)
    note = (note or "").strip()
    if is_backward(current, target) and not note:
        raise DomainError("Повертаючи цикл на попередній етап, зазначте причину.")
    if target == CycleStatus.COLLECTING and current == CycleStatus.PLANNED:
        members = db.session.scalar(
            select(func.count(CycleMember.id)).where(CycleMember.cycle_id == cycle.id)
        )
        if not members:
            raise DomainError("Спершу сформуйте робочу групу: додайте хоча б одного учасника.")
    if target == CycleStatus.RATING and cycle.scale_id is None:
        scale = current_scale()
        if scale is None:
            raise DomainError("Спершу визначте шкалу рівнів закладу.")
        cycle.scale = scale
    if target == CycleStatus.DISCUSSED:
        rated = db.session.scalar(
            select(func.count(ItemAssessment.id)).where(
                ItemAssessment.cycle_id == cycle.id, ItemAssessment.score.is_not(None)
            )
        )
        if not rated:
            raise DomainError("Жодному індикатору ще не визначено бал.")
        if not council_discussions(cycle):
            raise DomainError(
                "Результати ще не розглянуто на засіданні педагогічної ради: "
                "додайте засідання (дата, номер протоколу) до обговорення циклу."
            )
    if target == CycleStatus.PUBLISHED:
        url = (publication_url or "").strip()
        if url and not url.startswith(("http://", "https://")):
            raise DomainError("Адреса сторінки має починатися з http:// або https://.")
        cycle.publication_url = url[:500]
    cycle.status = target
    # Here, not in a query's autoflush: a concurrent move is a conflict (409).
    _flush()
    if target == CycleStatus.DISCUSSED:
        record_results(cycle)
    step = CycleTransition(
        cycle_id=cycle.id,
        from_status=current,
        to_status=target,
        actor_id=actor.id if actor else None,
        note=note,
    )
    db.session.add(step)
    _flush()
    record(
        actor,
        "assessment.cycle_moved",
        cycle,
        f"Самооцінювання «{cycle.title}»: «{current.label}» → «{target.label}»",
        from_status=current.value,
        to_status=target.value,
        note=note,
    )
    return step


def record_results(cycle: AssessmentCycle) -> None:
    """Store the cycle's direction results as its roll-up gives them now: called when
    its ratings become final («обговорено»), so that readers across institutions
    (the founder's dashboard) need not aggregate every rating again."""
    roll_up = queries.results(cycle, with_previous=False, with_methods=False, shallow=True)
    db.session.add_all(
        DirectionResult(
            cycle_id=cycle.id,
            institution_id=cycle.institution_id,
            code=direction.code,
            points=direction.points,
            level_name=direction.level.name if direction.level else "",
            level_css=direction.level.css if direction.level else "",
        )
        for direction in roll_up.roots
    )
    _flush()


# Collecting evidence.


def _check_collecting(cycle: AssessmentCycle) -> None:
    if not cycle.collects:
        raise DomainError(
            f"До циклу «{cycle.title}» докази вже не додають: його стан — «{cycle.status.label}»."
        )


def _new_evidence(actor, cycle, kind: EvidenceKind, data: dict, indicator_ids) -> Evidence:
    _check_collecting(cycle)
    occurred_on = data.get("occurred_on")
    if not isinstance(occurred_on, date):
        raise DomainError("Вкажіть дату.")
    if occurred_on > datetime.now(KYIV).date():
        raise DomainError("Дата не може бути в майбутньому.")
    indicators = catalog_items(cycle, indicator_ids or (), (ItemKind.INDICATOR,))
    if not indicators:
        raise DomainError("Оберіть хоча б один індикатор, до якого належить доказ.")
    evidence = Evidence(
        cycle_id=cycle.id,
        kind=kind,
        occurred_on=occurred_on,
        title=_text(data, "title", 300),
        body=_text(data, "body", 20000),
        author_id=actor.id if actor else None,
        links=[EvidenceIndicator(indicator_id=item.id) for item in indicators],
    )
    db.session.add(evidence)
    return evidence


def _answers(template: ChecklistTemplate, marks: Sequence) -> list[EvidenceAnswer]:
    """(mark, comment) per focus point of ``template``, in its order."""
    items = list(template.items)
    if len(marks) != len(items):
        raise DomainError("Аркуш змінився, поки ви його заповнювали: відкрийте його знову.")
    answers = []
    for item, (mark, comment) in zip(items, marks, strict=True):
        if mark not in (None, "") and int(mark) not in MARKS:
            raise DomainError("Оберіть позначку зі шкали 0–3.")
        answers.append(
            EvidenceAnswer(
                position=item.position,
                item_text=item.text,
                mark=None if mark in (None, "") else int(mark),
                comment=(comment or "").strip()[:4000],
            )
        )
    return answers


def attach_files(actor, evidence: Evidence, uploads: Sequence) -> list:
    """Store the uploaded files (each checked, cleaned, EXIF stripped) and attach them.
    If one is refused, the ones already stored are removed and nothing is attached."""
    stored = []
    try:
        for upload in uploads:
            if upload is None or not getattr(upload, "filename", ""):
                continue
            stored.append(store_upload(upload, actor))
    except DomainError:
        for item in stored:
            storage().delete(item.storage_key)
        raise
    for item in stored:
        evidence.files.append(EvidenceFile(stored_file_id=item.id))
    return stored


def _finish_evidence(actor, evidence: Evidence, uploads, action: str, summary: str) -> Evidence:
    _flush()
    attach_files(actor, evidence, uploads or ())
    _flush()
    record(actor, action, evidence, summary, cycle_id=evidence.cycle_id)
    return evidence


def record_observation(
    actor,
    cycle: AssessmentCycle,
    template: ChecklistTemplate,
    data: dict,
    observers: Sequence = (),
    observed_user=None,
    uploads: Sequence = (),
) -> Evidence:
    """An observation sheet: date, group, observers (staff and people named in
    words), a mark and comment per focus point, linked indicators, photos."""
    if not template.kind.is_observation:
        raise DomainError("Оберіть аркуш спостереження.")
    evidence = _new_evidence(
        actor, cycle, EvidenceKind.OBSERVATION, data, data.get("indicator_ids")
    )
    evidence.template_id = template.id
    evidence.checklist_kind = template.kind
    evidence.title = evidence.title or template.title
    evidence.group_name = _text(data, "group_name", 200)
    evidence.external_observers = _text(data, "external_observers", 2000)
    evidence.observed_user_id = observed_user.id if observed_user else None
    if not observers and not evidence.external_observers:
        raise DomainError("Вкажіть, хто спостерігав.")
    evidence.observers = [EvidenceObserver(user_id=user.id) for user in observers]
    evidence.answers = _answers(template, data.get("marks", ()))
    if all(answer.mark is None for answer in evidence.answers):
        raise DomainError("Позначте хоча б один пункт аркуша.")
    return _finish_evidence(
        actor,
        evidence,
        uploads,
        "assessment.observation_recorded",
        f"«{cycle.title}»: записано спостереження «{_short(evidence.title)}»",
    )


def record_document_study(
    actor, cycle: AssessmentCycle, template: ChecklistTemplate, data: dict, uploads=()
) -> Evidence:
    """A study of one document: what it is, a mark and finding per focus point."""
    if template.kind.is_observation:
        raise DomainError("Оберіть аркуш вивчення документації.")
    evidence = _new_evidence(
        actor, cycle, EvidenceKind.DOCUMENT_STUDY, data, data.get("indicator_ids")
    )
    evidence.template_id = template.id
    evidence.checklist_kind = template.kind
    evidence.document_title = _text(data, "document_title", 300)
    if not evidence.document_title:
        raise DomainError("Вкажіть, який документ вивчено.")
    evidence.title = evidence.title or template.title
    evidence.answers = _answers(template, data.get("marks", ()))
    if all(answer.mark is None and not answer.comment for answer in evidence.answers):
        raise DomainError("Запишіть висновок хоча б щодо одного пункту.")
    return _finish_evidence(
        actor,
        evidence,
        uploads,
        "assessment.documents_studied",
        f"«{cycle.title}»: вивчено документ «{_short(evidence.document_title)}»",
    )


INFORMED_REQUIRED = (
    "Перш ніж зберегти відповіді, підтвердьте, що респондентів повідомлено про фіксацію "
    "відповідей і спосіб, у який вона здійснюється."
)


def focus_group_warning(kind: InterviewKind | None, count: int | None) -> str | None:
    """The seed: a focus group has 6 to 12 people. Warn, do not block."""
    if kind != InterviewKind.FOCUS_GROUP or count is None:
        return None
    if FOCUS_GROUP_MIN <= count <= FOCUS_GROUP_MAX:
        return None
    return (
        f"У фокус-групі {count} учасн{'ик' if count == 1 else 'иків'}; рекомендовано від "
        f"{FOCUS_GROUP_MIN} до {FOCUS_GROUP_MAX} осіб, щоб усі змогли висловитися."
    )


def _interview_protocol(evidence: Evidence, data: dict) -> None:
    protocol = _text(data, "body", 20000)
    informed = bool(data.get("respondents_informed"))
    method = _text(data, "recording_method", 300)
    if protocol:
        if not informed:
            raise DomainError(INFORMED_REQUIRED)
        if not method:
            raise DomainError("Вкажіть спосіб фіксації відповідей (протокол, аудіозапис …).")
    evidence.body = protocol
    evidence.respondents_informed = informed
    evidence.recording_method = method


def record_interview(actor, cycle: AssessmentCycle, data: dict, uploads=()):
    """An interview or focus group: its kind, respondents, the plan of questions and,
    once held, the protocol of answers. Returns (evidence, warning or None)."""
    kind = InterviewKind(data["interview_kind"])
    count = data.get("participants_count")
    if count is not None and count < 1:
        raise DomainError("Кількість учасників має бути додатною.")
    evidence = _new_evidence(actor, cycle, EvidenceKind.INTERVIEW, data, data.get("indicator_ids"))
    evidence.interview_kind = kind
    evidence.respondents = _text(data, "respondents", 500)
    evidence.participants_count = count
    evidence.questions = _text(data, "questions", 20000)
    if not evidence.title:
        raise DomainError("Вкажіть тему інтерв’ю.")
    if not evidence.questions:
        raise DomainError("Складіть план розмови: запишіть питання.")
    _interview_protocol(evidence, data)
    _finish_evidence(
        actor,
        evidence,
        uploads,
        "assessment.interview_recorded",
        f"«{cycle.title}»: {kind.label} «{_short(evidence.title)}»",
    )
    return evidence, focus_group_warning(kind, count)


def record_protocol(actor, evidence: Evidence, cycle: AssessmentCycle, data: dict, uploads=()):
    """Record the answers of an interview held after it was planned."""
    _check_collecting(cycle)
    if evidence.kind != EvidenceKind.INTERVIEW:
        raise DomainError("Протокол відповідей записують лише для інтерв’ю та фокус-груп.")
    if not _text(data, "body"):
        raise DomainError("Запишіть відповіді респондентів.")
    _interview_protocol(evidence, data)
    _flush()
    attach_files(actor, evidence, uploads or ())
    _flush()
    record(
        actor,
        "assessment.protocol_recorded",
        evidence,
        f"«{cycle.title}»: записано відповіді «{_short(evidence.title)}»",
        cycle_id=cycle.id,
    )
    return evidence


def record_monitoring(actor, cycle: AssessmentCycle, data: dict, uploads=()) -> Evidence:
    """External monitoring results: who carried it out, when, what it found, the file."""
    evidence = _new_evidence(
        actor, cycle, EvidenceKind.EXTERNAL_MONITORING, data, data.get("indicator_ids")
    )
    evidence.monitoring_source = MonitoringSource(data["monitoring_source"])
    evidence.source_name = _text(data, "source_name", 300)
    if not evidence.source_name:
        raise DomainError("Вкажіть, хто проводив моніторинг.")
    if not evidence.body:
        raise DomainError("Коротко опишіть результати моніторингу.")
    evidence.title = evidence.title or f"Моніторинг: {evidence.source_name}"
    return _finish_evidence(
        actor,
        evidence,
        uploads,
        "assessment.monitoring_recorded",
        f"«{cycle.title}»: додано результати моніторингу ({evidence.source_name})",
    )


def programme_indicator_ids(cycle: AssessmentCycle, programme: MonitoringProgramme) -> list[int]:
    """The indicators ``programme`` monitors that are in the cycle's scope (its catalog
    and, for a cycle of chosen directions, those directions)."""
    in_scope = {
        node.id
        for node in queries.results(
            cycle, with_previous=False, with_methods=False, with_counts=False
        ).indicators
    }
    return [
        link.catalog_item_id for link in programme.indicators if link.catalog_item_id in in_scope
    ]


def programme_without_results(programme: MonitoringProgramme) -> str:
    return (
        f"У програмі моніторингу «{_short(programme.subject)}» ще немає результатів. "
        "Доказом можуть бути лише результати: спершу внесіть їх у програмі моніторингу."
    )


def record_internal_monitoring(
    actor, cycle: AssessmentCycle, programme: MonitoringProgramme, data: dict, uploads=()
) -> Evidence:
    """Results of one of the institution's internal monitoring programmes: the evidence
    names the programme, keeps its results (or the summary written instead) and is
    linked to the programme's indicators in the cycle's scope, besides those chosen."""
    _check_collecting(cycle)
    results = (programme.results or "").strip()
    if not results:
        raise DomainError(programme_without_results(programme))
    chosen = [int(item_id) for item_id in data.get("indicator_ids") or ()]
    indicator_ids = dict.fromkeys([*programme_indicator_ids(cycle, programme), *chosen])
    if not indicator_ids:
        raise DomainError(
            f"Жоден індикатор програми «{_short(programme.subject)}» не входить до обсягу "
            "цього самооцінювання: оберіть індикатори, про які свідчать її результати."
        )
    evidence = _new_evidence(
        actor, cycle, EvidenceKind.INTERNAL_MONITORING, data, list(indicator_ids)
    )
    evidence.monitoring_programme_id = programme.id
    evidence.body = evidence.body or _text({"body": results}, "body", 20000)
    evidence.title = evidence.title or f"Внутрішній моніторинг: {_short(programme.subject, 250)}"
    return _finish_evidence(
        actor,
        evidence,
        uploads,
        "assessment.internal_monitoring_recorded",
        f"«{cycle.title}»: додано результати внутрішнього моніторингу "
        f"«{_short(programme.subject)}»",
    )


def record_staff_evidence(actor, cycle: AssessmentCycle, data: dict, uploads=()) -> Evidence:
    """A staff member's evidence: what it shows, when, the files (a photo from the phone)."""
    evidence = _new_evidence(actor, cycle, EvidenceKind.STAFF_NOTE, data, data.get("indicator_ids"))
    if not evidence.body and not any(getattr(u, "filename", "") for u in uploads or ()):
        raise DomainError("Опишіть доказ або додайте файл.")
    evidence.title = evidence.title or _short(evidence.body, 120) or "Доказ працівника"
    return _finish_evidence(
        actor,
        evidence,
        uploads,
        "assessment.evidence_logged",
        f"«{cycle.title}»: додано доказ «{_short(evidence.title)}»",
    )


def add_files(actor, evidence: Evidence, cycle: AssessmentCycle, uploads) -> list:
    _check_collecting(cycle)
    if not any(getattr(upload, "filename", "") for upload in uploads):
        raise DomainError("Оберіть файл.")
    stored = attach_files(actor, evidence, uploads)
    _flush()
    record(
        actor,
        "assessment.files_added",
        evidence,
        f"«{cycle.title}»: до доказу «{_short(evidence.title)}» додано файлів: {len(stored)}",
        cycle_id=cycle.id,
    )
    return stored


def can_change_evidence(actor, role: Role, evidence: Evidence) -> bool:
    return role in MANAGERS or (actor is not None and evidence.author_id == actor.id)


def delete_evidence(actor, role: Role, evidence: Evidence, cycle: AssessmentCycle) -> None:
    _check_collecting(cycle)
    if not can_change_evidence(actor, role, evidence):
        raise DomainError("Вилучити доказ може його автор, керівник або вихователь-методист.")
    record(
        actor,
        "assessment.evidence_deleted",
        evidence,
        f"«{cycle.title}»: вилучено доказ «{_short(evidence.title)}»",
        cycle_id=cycle.id,
    )
    db.session.delete(evidence)
    _flush()


# Generalising and rating.


def _assessment_of(cycle: AssessmentCycle, item: CatalogItem) -> ItemAssessment | None:
    return db.session.scalar(
        select(ItemAssessment).where(
            ItemAssessment.cycle_id == cycle.id, ItemAssessment.item_id == item.id
        )
    )


def _fresh_or_stored(cycle, item, version) -> ItemAssessment:
    """The stored row at ``version``, or a new one when there was none (version 0).
    A row someone created or changed since the form was opened is a conflict."""
    stored = _assessment_of(cycle, item)
    if stored is None:
        if version not in (None, 0):
            raise ConflictError(CONFLICT_MESSAGE)
        stored = ItemAssessment(cycle_id=cycle.id, item_id=item.id)
        db.session.add(stored)
        return stored
    if version == 0:
        raise ConflictError(CONFLICT_MESSAGE)
    check_version(stored, version)
    return stored


def rate_indicator(
    actor, cycle: AssessmentCycle, indicator: CatalogItem, data: dict, version, proposed=None
) -> ItemAssessment:
    """A person's score for an indicator on the cycle's scale, with the narrative (what
    was found, by which method, on what evidence) and the justification."""
    if cycle.status != CycleStatus.RATING or cycle.scale is None:
        raise DomainError("Бали індикаторам визначають на етапі «визначення рівнів».")
    if indicator.catalog_id != cycle.catalog_id or indicator.kind != ItemKind.INDICATOR:
        raise DomainError("Оберіть індикатор із каталогу цього циклу.")
    try:
        score = parse_score(data.get("score", ""))
    except ValueError as error:
        raise DomainError(str(error)) from error
    scale = cycle.scale
    if not scale.min_score <= score <= scale.max_score:
        raise DomainError(
            f"Бал має бути в межах шкали: від {format_score(scale.min_score)} "
            f"до {format_score(scale.max_score)}."
        )
    narrative = _text(data, "narrative", 10000)
    justification = _text(data, "justification", 10000)
    if not narrative:
        raise DomainError("Опишіть, що виявлено, яким методом і на яких доказах.")
    if not justification:
        raise DomainError("Обґрунтуйте бал.")
    rating = _fresh_or_stored(cycle, indicator, version)
    rating.score = score
    rating.narrative = narrative
    rating.justification = justification
    rating.proposed_score = to_score(proposed) if proposed is not None else None
    rating.rated_by_id = actor.id if actor else None
    rating.rated_at = utcnow()
    _flush_new_unique()
    away = ""
    if proposed is not None and to_score(proposed) != score:
        away = f" (пропозиція dozq — {format_score(proposed)})"
    record(
        actor,
        "assessment.indicator_rated",
        rating,
        f"«{cycle.title}»: індикатор {indicator.code} — {format_score(score)}{away}",
        cycle_id=cycle.id,
        score=str(score),
        proposed=str(proposed) if proposed is not None else None,
    )
    return rating


def save_conclusion(
    actor, cycle: AssessmentCycle, item: CatalogItem, data: dict, version, level=None
) -> ItemAssessment:
    """The working group's findings on a requirement or direction (achievements,
    difficulties, trends) and, at the rating step, a level set instead of the
    derived one, with the reason."""
    if cycle.status not in GENERALISING_STATUSES:
        raise DomainError("Висновки записують на етапах узагальнення та визначення рівнів.")
    if item.catalog_id != cycle.catalog_id or item.kind not in (
        ItemKind.DIRECTION,
        ItemKind.REQUIREMENT,
    ):
        raise DomainError("Висновки записують щодо вимог і напрямів каталогу цього циклу.")
    reason = _text(data, "override_reason", 4000)
    if level is not None:
        if cycle.status != CycleStatus.RATING or cycle.scale_id is None:
            raise DomainError("Рівень визначають на етапі «визначення рівнів».")
        if level.scale_id != cycle.scale_id:
            raise DomainError("Оберіть рівень зі шкали цього циклу.")
        if not reason:
            raise DomainError("Поясніть, чому рівень відрізняється від обчисленого.")
    conclusion = _fresh_or_stored(cycle, item, version)
    conclusion.achievements = _text(data, "achievements", 20000)
    conclusion.difficulties = _text(data, "difficulties", 20000)
    conclusion.trends = _text(data, "trends", 20000)
    conclusion.override_level_id = level.id if level is not None else None
    conclusion.override_reason = reason if level is not None else ""
    conclusion.updated_by_id = actor.id if actor else None
    _flush_new_unique()
    summary = f"«{cycle.title}»: висновки щодо {item.kind.label} {item.code}"
    if level is not None:
        summary += f"; рівень встановлено вручну — {level.name}"
    record(
        actor,
        "assessment.conclusion_saved",
        conclusion,
        summary,
        cycle_id=cycle.id,
        override_level_id=conclusion.override_level_id,
    )
    return conclusion


# Discussion.


def _meeting_values(data: dict) -> dict:
    held_on = data.get("held_on")
    if not isinstance(held_on, date):
        raise DomainError("Вкажіть дату засідання.")
    number = _text(data, "protocol_number", 60)
    if not number:
        raise DomainError("Вкажіть номер протоколу, наприклад «№ 3».")
    return {
        "held_on": held_on,
        "protocol_number": number,
        "agenda": _text(data, "agenda", 20000),
        "decisions": _text(data, "decisions", 20000),
        "attendance": _text(data, "attendance", 300),
    }


def create_council_meeting(actor, data: dict) -> PedagogicalCouncilMeeting:
    meeting = PedagogicalCouncilMeeting(
        **_meeting_values(data), created_by_id=actor.id if actor else None
    )
    db.session.add(meeting)
    _flush()
    record(
        actor,
        "council.meeting_recorded",
        meeting,
        f"Записано засідання педагогічної ради: {meeting.label}",
    )
    return meeting


def update_council_meeting(actor, meeting: PedagogicalCouncilMeeting, data: dict, version):
    check_version(meeting, version)
    values = _meeting_values(data)
    changed = apply_changes(meeting, values)
    if changed:
        _flush()
        record(
            actor,
            "council.meeting_updated",
            meeting,
            f"Змінено запис засідання педагогічної ради: {meeting.label}",
            fields=changed,
        )
    return changed


DISCUSSION_STATUSES = (
    CycleStatus.GENERALISING,
    CycleStatus.RATING,
    CycleStatus.DISCUSSED,
    CycleStatus.PUBLISHED,
)


def add_discussion(
    actor, cycle: AssessmentCycle, data: dict, meeting: PedagogicalCouncilMeeting | None = None
) -> CycleDiscussion:
    """The results discussed: at a council meeting, with parents, with the founder's
    representative or invited experts; who took part, what they remarked."""
    if cycle.status not in DISCUSSION_STATUSES:
        raise DomainError("Результати обговорюють після узагальнення, до завершення циклу.")
    kind = DiscussionKind(data["kind"])
    if kind == DiscussionKind.COUNCIL and meeting is None:
        raise DomainError("Оберіть засідання педагогічної ради або запишіть нове.")
    held_on = meeting.held_on if meeting is not None else data.get("held_on")
    if not isinstance(held_on, date):
        raise DomainError("Вкажіть дату обговорення.")
    participants = _text(data, "participants", 4000)
    remarks = _text(data, "remarks", 20000)
    if kind != DiscussionKind.COUNCIL and not (participants and remarks):
        raise DomainError("Вкажіть учасників обговорення та їхні зауваження й пропозиції.")
    discussion = CycleDiscussion(
        cycle_id=cycle.id,
        kind=kind,
        held_on=held_on,
        council_meeting_id=meeting.id if meeting is not None else None,
        participants=participants,
        remarks=remarks,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(discussion)
    _flush()
    where = f" ({meeting.label})" if meeting is not None else ""
    record(
        actor,
        "assessment.discussed",
        discussion,
        f"«{cycle.title}»: {kind.label}{where}",
        cycle_id=cycle.id,
    )
    return discussion


def record_council_discussion(actor, cycle: AssessmentCycle, data: dict) -> CycleDiscussion:
    """The council meeting that considered the results, recorded and linked in one step."""
    if cycle.status not in DISCUSSION_STATUSES:
        raise DomainError("Результати обговорюють після узагальнення, до завершення циклу.")
    meeting = create_council_meeting(actor, data)
    return add_discussion(
        actor,
        cycle,
        {"kind": DiscussionKind.COUNCIL, "remarks": data.get("remarks", "")},
        meeting,
    )


# Acting on the results.

DECISION_STATUSES = (
    CycleStatus.GENERALISING,
    CycleStatus.RATING,
    CycleStatus.DISCUSSED,
    CycleStatus.PUBLISHED,
)


def add_decision(
    actor,
    cycle: AssessmentCycle,
    data: dict,
    item: CatalogItem | None = None,
    responsible_user=None,
    section: AnnualPlanSection | None = None,
    programme: DevelopmentProgramme | None = None,
) -> ManagementDecision:
    """A management decision from the findings: what, who, by when."""
    if cycle.status not in DECISION_STATUSES:
        raise DomainError(
            "Управлінські рішення ухвалюють за результатами узагальнення, до завершення циклу."
        )
    kind = DecisionKind(data.get("kind") or DecisionKind.ACTION)
    what = _text(data, "what", 4000)
    if not what:
        raise DomainError("Опишіть рішення: що саме буде зроблено.")
    if item is not None and item.catalog_id != cycle.catalog_id:
        raise DomainError("Обрано елементи, яких немає в каталозі цього циклу.")
    if kind == DecisionKind.PRIORITY and (item is None or item.kind != ItemKind.DIRECTION):
        raise DomainError("Для пріоритетного напряму оберіть напрям.")
    if kind == DecisionKind.ANNUAL_PLAN and section is None:
        raise DomainError("Оберіть розділ плану роботи на рік, який корегується.")
    if kind == DecisionKind.PROGRAMME and programme is None:
        raise DomainError("Оберіть програму розвитку, яка корегується.")
    responsible = _text(data, "responsible", 300)
    if kind != DecisionKind.PRIORITY and responsible_user is None and not responsible:
        raise DomainError("Вкажіть відповідального.")
    due_on = data.get("due_on") or None
    if kind != DecisionKind.PRIORITY and due_on is None:
        raise DomainError("Вкажіть строк виконання.")
    decision = ManagementDecision(
        cycle_id=cycle.id,
        kind=kind,
        item_id=item.id if item else None,
        what=what,
        responsible_user_id=responsible_user.id if responsible_user else None,
        responsible=responsible,
        due_on=due_on,
        status=DecisionStatus.PLANNED,
        annual_plan_section_id=section.id if section and kind == DecisionKind.ANNUAL_PLAN else None,
        development_programme_id=(
            programme.id if programme and kind == DecisionKind.PROGRAMME else None
        ),
    )
    db.session.add(decision)
    _flush()
    record(
        actor,
        "assessment.decision_added",
        decision,
        f"«{cycle.title}»: {kind.label} — «{_short(what)}»",
        cycle_id=cycle.id,
    )
    return decision


def update_decision(actor, decision: ManagementDecision, data: dict, version) -> list[str]:
    """How a decision stands: its status, what was done, a new deadline."""
    check_version(decision, version)
    status = DecisionStatus(data["status"])
    outcome = _text(data, "outcome", 4000)
    if status in (DecisionStatus.DONE, DecisionStatus.CANCELLED) and not outcome:
        raise DomainError("Опишіть, що зроблено, або чому рішення скасовано.")
    values = {"status": status, "outcome": outcome}
    if data.get("due_on"):
        values["due_on"] = data["due_on"]
    changed = apply_changes(decision, values)
    if changed:
        _flush()
        record(
            actor,
            "assessment.decision_updated",
            decision,
            f"Рішення «{_short(decision.what)}»: {decision.status.label}",
            fields=changed,
        )
    return changed


def add_founder_request(actor, cycle: AssessmentCycle, data: dict) -> FounderRequest:
    """A request to the founder (resources, repairs) arising from the findings; a draft
    until it is sent."""
    if cycle.status not in DECISION_STATUSES:
        raise DomainError(
            "Звернення до засновника готують за результатами узагальнення, до завершення циклу."
        )
    subject = _text(data, "subject", 300)
    text = _text(data, "text", 10000)
    if not subject or not text:
        raise DomainError("Вкажіть тему звернення та що саме просите.")
    request = FounderRequest(
        cycle_id=cycle.id,
        topic=RequestTopic(data["topic"]),
        subject=subject,
        text=text,
        justification=_text(data, "justification", 10000),
    )
    db.session.add(request)
    _flush()
    record(
        actor,
        "assessment.request_drafted",
        request,
        f"«{cycle.title}»: підготовлено звернення до засновника «{_short(subject)}»",
        cycle_id=cycle.id,
    )
    return request


def send_founder_request(actor, request: FounderRequest, version=None) -> None:
    check_version(request, version)
    if request.sent_at is not None:
        raise DomainError("Звернення вже надіслано засновнику.")
    request.sent_at = utcnow()
    request.sent_by_id = actor.id if actor else None
    _flush()
    record(
        actor,
        "assessment.request_sent",
        request,
        f"Засновнику надіслано звернення «{_short(request.subject)}»",
    )


def answer_founder_request(actor, request: FounderRequest, data: dict, version) -> None:
    """The founder answers a request sent to it (in the founder's scope)."""
    check_version(request, version)
    if request.sent_at is None:
        raise DomainError("Це звернення не надіслано засновнику.")
    answer = _text(data, "answer", 10000)
    if not answer:
        raise DomainError("Напишіть відповідь закладу.")
    request.answer = answer
    request.answered_at = utcnow()
    request.answered_by_id = actor.id if actor else None
    _flush()
    entry = record(
        actor,
        "assessment.request_answered",
        request,
        f"Засновник відповів на звернення «{_short(request.subject)}»",
    )
    # The founder acts in its own scope; the entry belongs to the institution too.
    entry.institution_id = request.institution_id
    _flush()


def add_development_need(
    actor, evidence: Evidence, cycle: AssessmentCycle, teacher, data: dict
) -> DevelopmentNeed:
    """A teacher's professional development need found by an observation; only the
    teacher, the director and the methodologist will see it."""
    if evidence.kind != EvidenceKind.OBSERVATION:
        raise DomainError("Потреби професійного розвитку фіксують за результатами спостереження.")
    if cycle.status == CycleStatus.CLOSED:
        raise DomainError("Цикл завершено.")
    need_text = _text(data, "need", 4000)
    if not need_text:
        raise DomainError("Опишіть потребу професійного розвитку.")
    need = DevelopmentNeed(
        cycle_id=cycle.id,
        evidence_id=evidence.id,
        teacher_id=teacher.id,
        need=need_text,
        support=_text(data, "support", 4000),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(need)
    _flush()
    # The audit log is read by managers only; the need's text stays out of it.
    record(
        actor,
        "assessment.development_need_added",
        need,
        f"«{cycle.title}»: зафіксовано потребу професійного розвитку педагога",
        cycle_id=cycle.id,
    )
    return need


def save_procedure_review(
    actor,
    cycle: AssessmentCycle,
    component: QualityComponent,
    data: dict,
    version,
    measure: QualityMeasure | None = None,
) -> ProcedureReview:
    """How well one component's procedure works, as this cycle found."""
    if not cycle.includes_system_review:
        raise DomainError("Цей цикл не передбачає оцінювання дієвості внутрішньої системи.")
    if cycle.finished:
        raise DomainError("Висновки щодо процедур записують до обговорення результатів.")
    if measure is not None and measure.component_id != component.id:
        raise DomainError("Оберіть захід процедури цього компонента.")
    finding = _text(data, "finding", 10000)
    if not finding:
        raise DomainError("Опишіть, що виявлено щодо дієвості процедури.")
    review = db.session.scalar(
        select(ProcedureReview).where(
            ProcedureReview.cycle_id == cycle.id, ProcedureReview.component_id == component.id
        )
    )
    if review is None:
        if version not in (None, 0):
            raise ConflictError(CONFLICT_MESSAGE)
        review = ProcedureReview(cycle_id=cycle.id, component_id=component.id)
        db.session.add(review)
    else:
        if version == 0:
            raise ConflictError(CONFLICT_MESSAGE)
        check_version(review, version)
    review.verdict = ProcedureVerdict(data["verdict"])
    review.finding = finding
    review.proposal = _text(data, "proposal", 10000)
    review.measure_id = measure.id if measure else None
    _flush_new_unique()
    record(
        actor,
        "assessment.procedure_reviewed",
        review,
        f"«{cycle.title}»: процедура компонента «{_short(component.title)}» — "
        f"{review.verdict.label}",
        cycle_id=cycle.id,
    )
    return review


# A founder's cycle templates: one self-assessment planned in all of its institutions.

NO_CATALOG_FOR_FOUNDER = (
    "У закладу ще немає активного каталогу критеріїв та індикаторів, тому цикл не створено. "
    "Коли заклад обере каталог, запустіть самооцінювання ще раз."
)


def _template_values(data: dict) -> dict:
    values = _cycle_values(data)
    scope_kind = ScopeKind(data.get("scope_kind") or ScopeKind.ALL)
    if scope_kind not in (ScopeKind.ALL, ScopeKind.ITEMS):
        raise DomainError("Оберіть обсяг: усі напрями або обрані напрями.")
    codes = sorted({str(code).strip() for code in data.get("direction_codes") or [] if code})
    if scope_kind == ScopeKind.ITEMS and not codes:
        raise DomainError("Оберіть хоча б один напрям.")
    return {
        "title": values["title"],
        "model_kind": values["model_kind"],
        "school_year": values["school_year"],
        "starts_on": values["starts_on"],
        "ends_on": values["ends_on"],
        "note": _text(data, "note", 2000),
        "scope_kind": scope_kind,
        "direction_codes": codes if scope_kind == ScopeKind.ITEMS else [],
    }


def create_cycle_template(actor, data: dict) -> CycleTemplate:
    """A founder prepares a self-assessment for all of its institutions (not launched)."""
    template = CycleTemplate(**_template_values(data), created_by_id=actor.id if actor else None)
    db.session.add(template)
    _flush()
    record(
        actor,
        "assessment.template_created",
        template,
        f"Засновник підготував самооцінювання «{template.title}» "
        f"({template.school_year_label}) для закладів",
    )
    return template


def _refuse_if_launched(template: CycleTemplate) -> None:
    if template.launched_at is not None:
        raise DomainError(
            "Це самооцінювання вже запущено: заклади мають власні цикли й змінюють їх самі."
        )


def update_cycle_template(actor, template: CycleTemplate, data: dict, version) -> list[str]:
    """Change a template that has not been launched yet; returns what changed."""
    _refuse_if_launched(template)
    check_version(template, version)
    changed = apply_changes(template, _template_values(data))
    if changed:
        _flush()
        record(
            actor,
            "assessment.template_updated",
            template,
            f"Засновник змінив самооцінювання «{template.title}» ({template.school_year_label})",
            fields=changed,
        )
    return changed


def delete_cycle_template(actor, template: CycleTemplate) -> None:
    """Delete a template that has not been launched yet (no institution has its cycle)."""
    _refuse_if_launched(template)
    record(
        actor,
        "assessment.template_deleted",
        template,
        f"Засновник видалив самооцінювання «{template.title}» ({template.school_year_label})",
    )
    db.session.delete(template)
    _flush()


@dataclass
class LaunchReport:
    """What a launch did, institution by institution (short names)."""

    created: list = field(default_factory=list)
    already: list = field(default_factory=list)
    #: (institution, the reason in Ukrainian)
    skipped: list = field(default_factory=list)


def launch_cycle_template(actor, template: CycleTemplate) -> LaunchReport:
    """Plan the template's cycle in every institution of the founder that has none yet:
    launching again adds only the missing ones. Runs in the founder's scope; each
    institution's cycle is created in that institution's own scope."""
    taken = set(
        db.session.scalars(
            select(AssessmentCycle.institution_id).where(AssessmentCycle.template_id == template.id)
        )
    )
    institutions = db.session.scalars(
        select(Institution).order_by(Institution.short_name, Institution.id)
    ).all()
    report = LaunchReport()
    skipped = {}
    for institution in institutions:
        if institution.id in taken:
            report.already.append(institution.short_name)
            continue
        with tenant_scope(db.session, Scope.for_institution(institution)):
            reason = _plan_from_template(actor, template)
            _flush_new_unique()
        if reason:
            skipped[str(institution.id)] = reason
            report.skipped.append((institution.short_name, reason))
        else:
            report.created.append(institution.short_name)
    template.launched_at = utcnow()
    template.skipped = skipped
    _flush()
    record(
        actor,
        "assessment.template_launched",
        template,
        f"Засновник запустив самооцінювання «{template.title}»: створено циклів — "
        f"{len(report.created)}, уже були — {len(report.already)}, "
        f"пропущено — {len(report.skipped)}",
        created=report.created,
        skipped=dict(report.skipped),
    )
    return report


def _plan_from_template(actor, template: CycleTemplate) -> str | None:
    """In an institution's scope: its planned cycle from the template, by its own
    catalog (``create_cycle``); or why there is none."""
    catalog = active_catalog()
    directions = []
    reason = None
    if catalog is None:
        reason = NO_CATALOG_FOR_FOUNDER
    elif template.scope_kind == ScopeKind.ITEMS:
        directions = db.session.scalars(
            select(CatalogItem)
            .where(
                CatalogItem.catalog_id == catalog.id,
                CatalogItem.kind == ItemKind.DIRECTION,
                CatalogItem.code.in_(template.direction_codes),
            )
            .order_by(CatalogItem.code)
        ).all()
        if not directions:
            reason = (
                f"У каталозі закладу немає напрямів {', '.join(template.direction_codes)}, "
                "тому цикл не створено."
            )
    if reason:
        record(
            actor,
            "assessment.template_skipped",
            template,
            f"Засновник запропонував самооцінювання «{template.title}», але цикл не створено: "
            f"{reason}",
        )
        return reason
    cycle = create_cycle(
        actor,
        {
            "title": template.title,
            "school_year": template.school_year,
            "starts_on": template.starts_on,
            "ends_on": template.ends_on,
            "model_kind": template.model_kind.value,
            "scope_kind": ScopeKind.ALL.value,
        },
    )
    cycle.template_id = template.id
    _flush_new_unique()
    if directions:
        set_scope(actor, cycle, ScopeKind.ITEMS, [direction.id for direction in directions])
    record(
        actor,
        "assessment.template_received",
        cycle,
        f"Засновник запропонував самооцінювання «{template.title}»: заплановано цикл закладу",
        template_id=template.id,
    )
    return None
