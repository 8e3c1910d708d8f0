"""Steps of the monitoring programme: create, edit, record results, publish, withdraw."""

from sqlalchemy import select

from dozq.audit.services import record
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db, utcnow
from dozq.publication.models import (
    ApprovalKind,
    MonitoringIndicator,
    MonitoringProgramme,
    ProgrammeStatus,
    PublicationSettings,
)
from dozq.tenancy.services import check_version
from dozq.web.errors import DomainError

TEXT_FIELDS = (
    "subject",
    "goal",
    "tasks",
    "methods",
    "timeline",
    "responsible",
    "expected_results",
)


def resolve_indicators(ids) -> list[CatalogItem]:
    """Indicators of the institution's catalogs named by ``ids`` (scoped: a foreign id
    is simply not found, and is refused)."""
    wanted = {int(i) for i in ids or ()}
    if not wanted:
        return []
    found = db.session.scalars(
        select(CatalogItem).where(
            CatalogItem.id.in_(wanted), CatalogItem.kind == ItemKind.INDICATOR
        )
    ).all()
    if len(found) != len(wanted):
        raise DomainError("Оберіть індикатори з каталогу вашого закладу.")
    return sorted(found, key=lambda item: item.id)


def _set_indicators(programme: MonitoringProgramme, items: list[CatalogItem]) -> None:
    current = {link.catalog_item_id: link for link in programme.indicators}
    wanted = {item.id for item in items}
    for item_id, link in current.items():
        if item_id not in wanted:
            programme.indicators.remove(link)
    for item in items:
        if item.id not in current:
            programme.indicators.append(MonitoringIndicator(catalog_item=item))


def _check_subject(values: dict) -> None:
    if not (values.get("subject") or "").strip():
        raise DomainError("Вкажіть предмет моніторингу.")


def create_programme(actor, values: dict, indicator_ids=()) -> MonitoringProgramme:
    _check_subject(values)
    items = resolve_indicators(indicator_ids)
    programme = MonitoringProgramme(
        **{name: (values.get(name) or "").strip() for name in TEXT_FIELDS},
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(programme)
    _set_indicators(programme, items)
    db.session.flush()
    record(
        actor,
        "publication.programme_created",
        programme,
        f"Створено програму моніторингу «{programme.subject}»",
    )
    return programme


PUBLISHED_IS_FROZEN = (
    "Програму оприлюднено такою, якою її затверджено. Щоб змінити програму чи її "
    "результати, спершу зніміть її з оприлюднення, а після змін оприлюдніть знову з "
    "реквізитами наказу або протоколу, яким їх затверджено."
)


def _refuse_if_published(programme: MonitoringProgramme) -> None:
    """The public page shows what the order or protocol approved: no change slips in
    under an approval given to something else."""
    if programme.status == ProgrammeStatus.PUBLISHED:
        raise DomainError(PUBLISHED_IS_FROZEN)


def update_programme(
    actor, programme: MonitoringProgramme, values: dict, indicator_ids=(), version=None
) -> MonitoringProgramme:
    check_version(programme, version)
    _refuse_if_published(programme)
    _check_subject(values)
    items = resolve_indicators(indicator_ids)
    for name in TEXT_FIELDS:
        setattr(programme, name, (values.get(name) or "").strip())
    _set_indicators(programme, items)
    db.session.flush()
    record(
        actor,
        "publication.programme_updated",
        programme,
        f"Змінено програму моніторингу «{programme.subject}»",
    )
    return programme


def record_results(actor, programme: MonitoringProgramme, results: str, version=None):
    check_version(programme, version)
    _refuse_if_published(programme)
    programme.results = (results or "").strip()
    db.session.flush()
    record(
        actor,
        "publication.programme_results",
        programme,
        f"Внесено результати моніторингу «{programme.subject}»",
    )
    return programme


def publish_programme(
    actor, programme: MonitoringProgramme, kind, number: str, on, version=None
) -> MonitoringProgramme:
    """Publish with the order or protocol that approved the programme."""
    check_version(programme, version)
    if not (number or "").strip() or on is None:
        raise DomainError(
            "Щоб оприлюднити програму, вкажіть номер і дату наказу або протоколу, "
            "яким її затверджено."
        )
    programme.approval_kind = ApprovalKind(kind)
    programme.approval_number = number.strip()
    programme.approval_date = on
    programme.status = ProgrammeStatus.PUBLISHED
    programme.published_at = utcnow()
    db.session.flush()
    record(
        actor,
        "publication.programme_published",
        programme,
        f"Оприлюднено програму моніторингу «{programme.subject}» ({programme.approval_text})",
    )
    return programme


def withdraw_programme(actor, programme: MonitoringProgramme, version=None):
    check_version(programme, version)
    if programme.status != ProgrammeStatus.PUBLISHED:
        raise DomainError("Ця програма не оприлюднена.")
    programme.status = ProgrammeStatus.DRAFT
    programme.published_at = None
    db.session.flush()
    record(
        actor,
        "publication.programme_withdrawn",
        programme,
        f"Знято з оприлюднення програму моніторингу «{programme.subject}»",
    )
    return programme


def settings() -> PublicationSettings:
    """The institution's publication settings (a default row until first saved)."""
    found = db.session.scalar(select(PublicationSettings))
    return found if found is not None else PublicationSettings(share_drafts_with_founder=False)


def save_settings(actor, share_drafts: bool, version=None) -> PublicationSettings:
    current = settings()
    if current.id is not None:
        check_version(current, version)
    else:
        db.session.add(current)
    current.share_drafts_with_founder = bool(share_drafts)
    db.session.flush()
    record(
        actor,
        "publication.settings_saved",
        current,
        "Заклад ділиться чернетками з засновником"
        if current.share_drafts_with_founder
        else "Заклад не ділиться чернетками з засновником",
    )
    return current
