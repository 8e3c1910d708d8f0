"""The regulation workflow: the steps people take and what pages read.

Every step checks the edition's status, moves it along ``TRANSITIONS`` with a
``RegulationTransition`` row, flushes and writes one audit row; nothing here
commits. Dates and numbers that look wrong are reported by ``warnings`` and
never refused: institutions number their orders and protocols in their own way,
and an order is sometimes dated before the council's approval.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from dozq.audit.services import record
from dozq.db import db, utcnow
from dozq.regulation import markup
from dozq.regulation.compose import (
    SECTION_ORDER,
    SECTION_TITLES,
    annex_lines,
    compose,
    kyiv_today,
)
from dozq.regulation.models import (
    IN_PROGRESS,
    TRANSITIONS,
    CommentStatus,
    EditionStatus,
    RegulationAcknowledgement,
    RegulationComment,
    RegulationEdition,
    RegulationSection,
    RegulationTransition,
    RegulationVersion,
)
from dozq.tenancy.models import Membership
from dozq.tenancy.services import check_version
from dozq.web.errors import ConflictError, DomainError
from dozq.web.filters import date_uk

CONFLICT = (
    "Поки ви працювали, Положення змінив інший користувач. Оновіть сторінку, щоб побачити "
    "його зміни, і повторіть дію."
)
MAX_COMMENT = 5_000
MAX_REASON = 2_000
MAX_NAME = 200


def _flush() -> None:
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as error:
        db.session.rollback()
        raise ConflictError(CONFLICT) from error


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _number(text: str | None) -> str:
    """An order or protocol number as written, without a leading «№» (pages and
    documents print it)."""
    return _clean(text).removeprefix("№").strip()


# Reading.


def editions() -> list[RegulationEdition]:
    return db.session.scalars(
        select(RegulationEdition).order_by(RegulationEdition.number.desc())
    ).all()


def edition_in_progress() -> RegulationEdition | None:
    """The edition being prepared (draft to approved by order), if any."""
    return db.session.scalar(
        select(RegulationEdition)
        .where(RegulationEdition.status.in_(IN_PROGRESS))
        .order_by(RegulationEdition.number.desc())
        .limit(1)
    )


@dataclass
class RegulationText:
    """An edition with the version its text is read from."""

    edition: RegulationEdition
    version: RegulationVersion

    @property
    def sections(self) -> list[RegulationSection]:
        return list(self.version.sections)


def latest_version(edition: RegulationEdition) -> RegulationVersion:
    return db.session.scalar(
        select(RegulationVersion)
        .where(RegulationVersion.edition_id == edition.id)
        .order_by(RegulationVersion.number.desc())
        .limit(1)
        .options(selectinload(RegulationVersion.sections))
    )


def versions(edition: RegulationEdition) -> list[RegulationVersion]:
    return db.session.scalars(
        select(RegulationVersion)
        .where(RegulationVersion.edition_id == edition.id)
        .order_by(RegulationVersion.number)
        .options(joinedload(RegulationVersion.created_by))
    ).all()


def text_of(edition: RegulationEdition) -> RegulationText:
    return RegulationText(edition, latest_version(edition))


def published_regulation(institution) -> RegulationText | None:
    """The edition in force of ``institution`` with its text; None before the first
    publication. For the public site and documents (runs in the institution's scope)."""
    edition = db.session.scalar(
        select(RegulationEdition).where(
            RegulationEdition.institution_id == institution.id,
            RegulationEdition.status == EditionStatus.PUBLISHED,
        )
    )
    return text_of(edition) if edition is not None else None


def archive(institution) -> list[RegulationEdition]:
    """Editions that were in force before, newest first."""
    return db.session.scalars(
        select(RegulationEdition)
        .where(
            RegulationEdition.institution_id == institution.id,
            RegulationEdition.status == EditionStatus.ARCHIVED,
        )
        .order_by(RegulationEdition.number.desc())
    ).all()


def transitions(edition: RegulationEdition) -> list[RegulationTransition]:
    return db.session.scalars(
        select(RegulationTransition)
        .where(RegulationTransition.edition_id == edition.id)
        .order_by(RegulationTransition.at, RegulationTransition.id)
        .options(joinedload(RegulationTransition.actor))
    ).all()


def comments(edition: RegulationEdition) -> list[RegulationComment]:
    return db.session.scalars(
        select(RegulationComment)
        .where(RegulationComment.edition_id == edition.id)
        .order_by(RegulationComment.created_at, RegulationComment.id)
        .options(
            joinedload(RegulationComment.section),
            joinedload(RegulationComment.author),
            joinedload(RegulationComment.decided_by),
        )
    ).all()


def comment_counts(edition: RegulationEdition) -> dict[CommentStatus, int]:
    counts = dict.fromkeys(CommentStatus, 0)
    rows = db.session.execute(
        select(RegulationComment.status, func.count(RegulationComment.id))
        .where(RegulationComment.edition_id == edition.id)
        .group_by(RegulationComment.status)
    ).all()
    for status, count in rows:
        counts[status] = count
    return counts


def section_numbers(sections) -> dict[str, int]:
    return {section.key: number for number, section in enumerate(sections, start=1)}


@dataclass
class Marker:
    number: int
    title: str
    count: int


def markers(sections) -> list[Marker]:
    """Sections whose text still says «(не визначено)», and how often."""
    found = []
    for number, section in enumerate(sections, start=1):
        count = markup.count_undefined(section.body)
        if count:
            found.append(Marker(number, section.title, count))
    return found


# Warnings: shown, never blocking.


def blank_number(number: str | None) -> bool:
    text = (number or "").strip()
    return not text or set(text) <= set("_ .-№")


def _odd_date(value: date, today: date) -> str | None:
    if value.year < 2000:
        return f"дата {date_uk(value)} виглядає помилковою"
    if value > today:
        return f"дата {date_uk(value)} ще не настала"
    return None


COUNCIL_DONE = (
    EditionStatus.COUNCIL_APPROVED,
    EditionStatus.ORDER_APPROVED,
    EditionStatus.PUBLISHED,
    EditionStatus.ARCHIVED,
)
ORDER_DONE = (EditionStatus.ORDER_APPROVED, EditionStatus.PUBLISHED, EditionStatus.ARCHIVED)


def is_approved() -> bool:
    """Has an edition of the current institution's regulation been approved by the
    director's order (after the pedagogical council)?"""
    approved = select(RegulationEdition.id).where(RegulationEdition.status.in_(ORDER_DONE))
    return db.session.scalar(approved.limit(1)) is not None


def date_warnings(
    council_number, council_date, order_number=None, order_date=None, *, order=False, today=None
) -> list[str]:
    """What looks wrong in the numbers and dates of the approvals."""
    today = today or kyiv_today()
    found = []
    if blank_number(council_number):
        found.append("Не зазначено номер протоколу засідання педагогічної ради.")
    if council_date is None:
        found.append("Не зазначено дату засідання педагогічної ради.")
    elif odd := _odd_date(council_date, today):
        found.append(f"Засідання педагогічної ради: {odd}.")
    if order:
        if blank_number(order_number):
            found.append("Не зазначено номер наказу про затвердження.")
        if order_date is None:
            found.append("Не зазначено дату наказу про затвердження.")
        elif odd := _odd_date(order_date, today):
            found.append(f"Наказ про затвердження: {odd}.")
        if order_date and council_date and order_date < council_date:
            found.append(
                f"Наказ датовано {date_uk(order_date)}, раніше, ніж педагогічна рада схвалила "
                f"Положення ({date_uk(council_date)}). Зазвичай Положення затверджують після "
                "схвалення; перевірте дати."
            )
    return found


def warnings(edition: RegulationEdition, today: date | None = None) -> list[str]:
    found = []
    if edition.status in COUNCIL_DONE:
        found += date_warnings(
            edition.council_protocol_number,
            edition.council_date,
            edition.order_number,
            edition.order_date,
            order=edition.status in ORDER_DONE,
            today=today,
        )
        discussed = db.session.scalar(
            select(RegulationTransition.id)
            .where(
                RegulationTransition.edition_id == edition.id,
                RegulationTransition.to_status == EditionStatus.DISCUSSION,
            )
            .limit(1)
        )
        if discussed is None:
            found.append(
                "Проєкт не виносили на обговорення з педагогічним і батьківським колективами."
            )
    if edition.status in IN_PROGRESS or edition.status == EditionStatus.PUBLISHED:
        undecided = comment_counts(edition)[CommentStatus.NEW]
        if undecided and edition.status != EditionStatus.DISCUSSION:
            found.append(f"Пропозицій без рішення: {undecided}.")
    return found


# Steps.


def _move(
    actor, edition: RegulationEdition, to: EditionStatus, note: str, action: str | None, summary
):
    """Record the edition's transition, and the step in the audit log unless ``action``
    is None (a move that is part of another step, which records both)."""
    if to not in TRANSITIONS[edition.status]:
        raise DomainError(
            f"Редакцію зі статусом «{edition.status.label}» не можна перевести до статусу "
            f"«{to.label}»."
        )
    previous = edition.status
    edition.status = to
    db.session.add(
        RegulationTransition(
            edition_id=edition.id,
            from_status=previous,
            to_status=to,
            actor_id=actor.id if actor else None,
            note=note,
        )
    )
    _flush()
    if action is None:
        return
    record(
        actor,
        action,
        edition,
        summary,
        edition=edition.number,
        from_status=previous.value,
        to_status=to.value,
    )


def _add_version(actor, edition, number, note, sections, annex, annex_source):
    version = RegulationVersion(
        edition_id=edition.id,
        number=number,
        note=note,
        annex=annex,
        annex_source=annex_source,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(version)
    _flush()
    for position, (key, title, body, composed) in enumerate(sections, start=1):
        db.session.add(
            RegulationSection(
                version_id=version.id,
                key=key,
                position=position,
                title=title,
                body=body,
                composed=composed,
            )
        )
    _flush()
    return version


def start_edition(actor, institution, today: date | None = None) -> RegulationEdition:
    """A new edition: from the one in force when there is one, else composed from the
    configuration. Only one edition is prepared at a time."""
    if (current := edition_in_progress()) is not None:
        raise DomainError(
            f"Уже готується редакція {current.number} ({current.status.label}). Завершіть "
            "її, перш ніж починати нову."
        )
    number = (db.session.scalar(select(func.max(RegulationEdition.number))) or 0) + 1
    in_force = published_regulation(institution)
    if in_force is not None:
        source = in_force.version
        title = in_force.edition.title
        sections = [(s.key, s.title, s.body, s.composed) for s in source.sections]
        annex, annex_source = list(source.annex or []), source.annex_source
        note = f"Проєкт на основі чинної редакції {in_force.edition.number}"
    else:
        composition = compose(institution, today)
        title = composition.title
        sections = [(s.key, s.title, s.body, s.body) for s in composition.sections]
        annex, annex_source = composition.annex, composition.annex_source
        note = "Проєкт, складений за налаштуваннями внутрішньої системи"
    edition = RegulationEdition(
        number=number,
        title=title,
        status=EditionStatus.DRAFT,
        based_on_id=in_force.edition.id if in_force else None,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(edition)
    _flush()
    db.session.add(
        RegulationTransition(
            edition_id=edition.id,
            from_status=None,
            to_status=EditionStatus.DRAFT,
            actor_id=actor.id if actor else None,
            note=note,
        )
    )
    _add_version(actor, edition, 1, note, sections, annex, annex_source)
    record(
        actor,
        "regulation.started",
        edition,
        f"Розпочато підготовку редакції {number} Положення про внутрішню систему",
        edition=number,
        based_on=in_force.edition.number if in_force else None,
    )
    return edition


def _editable_section(edition: RegulationEdition, section: RegulationSection) -> None:
    if not edition.status.editable:
        raise DomainError(
            f"Текст редакції зі статусом «{edition.status.label}» змінювати не можна. "
            "Редагують чернетку або редакцію на доопрацюванні."
        )
    newest = latest_version(edition)
    if section.version_id != newest.id:
        raise DomainError("Змінювати можна лише найновішу версію тексту.")


def update_section(actor, edition, section: RegulationSection, body: str, version) -> bool:
    """Save a section's text (in the plain markup); False when nothing changed."""
    _editable_section(edition, section)
    check_version(section, version)
    if len(body or "") > markup.MAX_LENGTH:
        raise DomainError("Текст розділу задовгий.")
    text = markup.normalise(body)
    if not text:
        raise DomainError("Розділ не може бути порожнім.")
    if text == section.body:
        return False
    section.body = text
    _flush()
    record(
        actor,
        "regulation.section_edited",
        edition,
        f"Редакція {edition.number}: змінено текст розділу «{section.title}»",
        section=section.key,
    )
    return True


# Recomposing from the configuration.


@dataclass
class SectionChange:
    key: str
    title: str
    current: RegulationSection | None
    composed_body: str | None
    rows: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return markup.changed(self.rows)

    @property
    def edited(self) -> bool:
        """The current text was edited by hand: recomposing replaces those edits."""
        return self.current is not None and self.current.edited

    @property
    def kind(self) -> str:
        if self.current is None:
            return "added"
        if self.composed_body is None:
            return "removed"
        return "changed" if self.changed else "same"


@dataclass
class Recomposition:
    title: str
    title_changed: bool
    changes: list[SectionChange]
    annex: list[dict]
    annex_source: str
    annex_rows: list

    @property
    def annex_changed(self) -> bool:
        return markup.changed(self.annex_rows)

    @property
    def any_change(self) -> bool:
        return self.title_changed or self.annex_changed or any(c.changed for c in self.changes)


def recomposition(edition: RegulationEdition, institution, today=None) -> Recomposition:
    """What composing from the current configuration would change, section by section."""
    composition = compose(institution, today)
    version = latest_version(edition)
    current = {section.key: section for section in version.sections}
    composed = {section.key: section for section in composition.sections}
    keys = sorted(set(current) | set(composed), key=lambda key: SECTION_ORDER.get(key, 99))
    changes = []
    for key in keys:
        old, new = current.get(key), composed.get(key)
        rows = markup.diff_texts(old.body if old else "", new.body if new else "")
        title = (new or old).title if (new or old) else SECTION_TITLES.get(key, key)
        changes.append(SectionChange(key, title, old, new.body if new else None, rows))
    annex_rows = markup.diff_lines(annex_lines(version.annex or []), annex_lines(composition.annex))
    return Recomposition(
        composition.title,
        composition.title != edition.title,
        changes,
        composition.annex,
        composition.annex_source,
        annex_rows,
    )


ANNEX_KEY = "annex"
TITLE_KEY = "title"


def apply_recomposition(actor, edition, institution, keys: list[str], today=None) -> list[str]:
    """Replace the chosen sections (and the annex, the title) with the composed text;
    returns the titles of what changed."""
    version = latest_version(edition)
    if not edition.status.editable:
        raise DomainError(
            f"Редакцію зі статусом «{edition.status.label}» не можна оновити за налаштуваннями."
        )
    plan = recomposition(edition, institution, today)
    chosen = set(keys)
    applied = []
    for change in plan.changes:
        if change.key not in chosen or not change.changed:
            continue
        if change.current is None:
            db.session.add(
                RegulationSection(
                    version_id=version.id,
                    key=change.key,
                    position=0,
                    title=change.title,
                    body=change.composed_body,
                    composed=change.composed_body,
                )
            )
        elif change.composed_body is None:
            db.session.delete(change.current)
        else:
            change.current.body = change.composed_body
            change.current.composed = change.composed_body
        applied.append(change.title)
    if ANNEX_KEY in chosen and plan.annex_changed:
        version.annex = plan.annex
        version.annex_source = plan.annex_source
        applied.append("додаток (критерії та індикатори)")
    if TITLE_KEY in chosen and plan.title_changed:
        edition.title = plan.title
        applied.append("назва")
    if not applied:
        return []
    _flush()
    _renumber(version)
    record(
        actor,
        "regulation.recomposed",
        edition,
        f"Редакція {edition.number}: оновлено за налаштуваннями внутрішньої системи: "
        + "; ".join(applied),
        sections=sorted(chosen),
    )
    return applied


def _renumber(version: RegulationVersion) -> None:
    sections = db.session.scalars(
        select(RegulationSection).where(RegulationSection.version_id == version.id)
    ).all()
    ordered = sorted(sections, key=lambda s: (SECTION_ORDER.get(s.key, 99), s.position))
    for position, section in enumerate(ordered, start=1):
        if section.position != position:
            section.position = position
    _flush()
    db.session.expire(version, ["sections"])


# Discussion.


def open_discussion(actor, edition: RegulationEdition) -> str:
    """Staff comment signed in; parents through the public link (kept across rounds)."""
    first_round = edition.discussion_token is None
    if first_round:
        edition.discussion_token = secrets.token_urlsafe(32)
    _move(
        actor,
        edition,
        EditionStatus.DISCUSSION,
        "Проєкт винесено на обговорення",
        "regulation.discussion_opened",
        f"Редакцію {edition.number} Положення винесено на обговорення",
    )
    return edition.discussion_token


def add_comment(
    edition: RegulationEdition,
    section: RegulationSection,
    text: str,
    *,
    author=None,
    author_name: str = "",
    from_parent: bool = False,
) -> RegulationComment:
    if edition.status != EditionStatus.DISCUSSION:
        raise DomainError("Обговорення цієї редакції завершено; пропозиції вже не приймаються.")
    if section.version_id != latest_version(edition).id:
        raise DomainError("Пропозиція стосується розділу, якого немає в проєкті на обговоренні.")
    text = (text or "").strip()
    if not text:
        raise DomainError("Напишіть пропозицію або зауваження.")
    if len(text) > MAX_COMMENT:
        raise DomainError(f"Текст задовгий: не більше {MAX_COMMENT} символів.")
    comment = RegulationComment(
        edition_id=edition.id,
        section_id=section.id,
        author_id=author.id if author is not None else None,
        author_name=_clean(author_name)[:MAX_NAME],
        from_parent=from_parent,
        text=text,
    )
    db.session.add(comment)
    _flush()
    who = "батьків" if from_parent else (author.full_name if author else "працівника")
    record(
        author,
        "regulation.commented",
        comment,
        f"Редакція {edition.number}: пропозиція {who} до розділу «{section.title}»",
        edition=edition.number,
        section=section.key,
        from_parent=from_parent,
    )
    return comment


DECIDING = (EditionStatus.DISCUSSION, EditionStatus.REVISION, EditionStatus.DRAFT)


def decide_comment(actor, comment: RegulationComment, accept: bool, reason: str) -> None:
    edition = db.session.get(RegulationEdition, comment.edition_id)
    if edition.status not in DECIDING:
        raise DomainError("Пропозиції розглядають до схвалення Положення педагогічною радою.")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError("Зазначте причину, з якої пропозицію відхилено.")
    if len(reason) > MAX_REASON:
        raise DomainError(f"Пояснення задовге: не більше {MAX_REASON} символів.")
    comment.status = CommentStatus.ACCEPTED if accept else CommentStatus.DECLINED
    comment.reason = reason
    comment.decided_by_id = actor.id
    comment.decided_at = utcnow()
    _flush()
    record(
        actor,
        "regulation.comment_decided",
        comment,
        f"Редакція {edition.number}: пропозицію до розділу «{comment.section.title}» "
        + ("враховано" if accept else "відхилено")
        + (f": {reason[:200]}" if reason else ""),
        accepted=accept,
    )


def start_revision(actor, edition: RegulationEdition, note: str = "") -> RegulationVersion:
    """Close the discussion round; the text continues in a new version."""
    newest = latest_version(edition)
    _move(
        actor,
        edition,
        EditionStatus.REVISION,
        _clean(note) or "Обговорення завершено, проєкт доопрацьовується",
        "regulation.revision_started",
        f"Редакцію {edition.number} Положення передано на доопрацювання",
    )
    return _add_version(
        actor,
        edition,
        newest.number + 1,
        _clean(note)[:300] or "Доопрацьовано за результатами обговорення",
        [(s.key, s.title, s.body, s.composed) for s in newest.sections],
        list(newest.annex or []),
        newest.annex_source,
    )


# Approval, publication, acknowledgement.


def approve_by_council(
    actor,
    edition: RegulationEdition,
    protocol_number: str,
    held_on: date | None,
    meeting=None,
) -> list[str]:
    """Схвалено педагогічною радою: protocol number and date (linked to the meeting,
    which is recorded when it is not yet). Returns the warnings to show."""
    from dozq.assessment.models import PedagogicalCouncilMeeting

    number = _number(protocol_number)
    if meeting is not None:
        number = number or _number(meeting.protocol_number)
        held_on = held_on or meeting.held_on
    elif held_on is not None:
        meeting = PedagogicalCouncilMeeting(
            held_on=held_on,
            protocol_number=number,
            agenda=f"Про схвалення Положення про внутрішню систему забезпечення якості освіти "
            f"(редакція {edition.number}).",
            decisions="Схвалити Положення про внутрішню систему забезпечення якості освіти.",
            created_by_id=actor.id,
        )
        db.session.add(meeting)
        _flush()
    edition.council_protocol_number = number
    edition.council_date = held_on
    edition.council_meeting_id = meeting.id if meeting is not None else None
    protocol = f"протокол від {date_uk(held_on) or '___'} № {number or '___'}"
    _move(
        actor,
        edition,
        EditionStatus.COUNCIL_APPROVED,
        protocol,
        "regulation.council_approved",
        f"Редакцію {edition.number} Положення схвалено педагогічною радою ({protocol})",
    )
    return warnings(edition)


def approve_by_order(actor, edition: RegulationEdition, number: str, dated: date | None):
    """Затверджено наказом керівника: order number and date. Returns the warnings."""
    edition.order_number = _number(number)
    edition.order_date = dated
    order = f"наказ від {date_uk(dated) or '___'} № {edition.order_number or '___'}"
    _move(
        actor,
        edition,
        EditionStatus.ORDER_APPROVED,
        order,
        "regulation.order_approved",
        f"Редакцію {edition.number} Положення затверджено ({order})",
    )
    return warnings(edition)


def publish(actor, edition: RegulationEdition, institution) -> RegulationEdition | None:
    """The edition comes into force on the public page; the one before goes to the
    archive. Returns the archived edition, if any."""
    if edition.status != EditionStatus.ORDER_APPROVED:
        raise DomainError("Оприлюднити можна редакцію, затверджену наказом керівника.")
    previous = published_regulation(institution)
    if previous is not None:
        old = previous.edition
        old.archived_at = utcnow()
        _move(
            actor, old, EditionStatus.ARCHIVED, f"Замінено редакцією {edition.number}", None, None
        )
    edition.published_at = utcnow()
    replaced = f"; редакція {previous.edition.number} втратила чинність" if previous else ""
    _move(
        actor,
        edition,
        EditionStatus.PUBLISHED,
        "Оприлюднено",
        "regulation.published",
        f"Редакцію {edition.number} Положення оприлюднено{replaced}",
    )
    return previous.edition if previous else None


def acknowledge(actor, edition: RegulationEdition) -> bool:
    """The signed-in staff member has read the edition in force; False if already."""
    if edition.status != EditionStatus.PUBLISHED:
        raise DomainError("Ознайомлюються з чинною (оприлюдненою) редакцією Положення.")
    exists = db.session.scalar(
        select(RegulationAcknowledgement.id).where(
            RegulationAcknowledgement.edition_id == edition.id,
            RegulationAcknowledgement.user_id == actor.id,
        )
    )
    if exists is not None:
        return False
    db.session.add(RegulationAcknowledgement(edition_id=edition.id, user_id=actor.id))
    _flush()
    record(
        actor,
        "regulation.acknowledged",
        edition,
        f"{actor.full_name} ознайомився(-лася) з редакцією {edition.number} Положення",
    )
    return True


@dataclass
class AcknowledgementRow:
    membership: Membership
    acknowledgement: RegulationAcknowledgement | None


def acknowledgement_rows(edition: RegulationEdition) -> list[AcknowledgementRow]:
    """Every staff member, with the date they acknowledged (or not yet)."""
    members = db.session.scalars(select(Membership).options(joinedload(Membership.user))).all()
    done = {
        ack.user_id: ack
        for ack in db.session.scalars(
            select(RegulationAcknowledgement).where(
                RegulationAcknowledgement.edition_id == edition.id
            )
        )
    }
    rows = [AcknowledgementRow(m, done.get(m.user_id)) for m in members]
    return sorted(rows, key=lambda row: row.membership.user.full_name)


def has_acknowledged(edition: RegulationEdition, user) -> RegulationAcknowledgement | None:
    return db.session.scalar(
        select(RegulationAcknowledgement).where(
            RegulationAcknowledgement.edition_id == edition.id,
            RegulationAcknowledgement.user_id == user.id,
        )
    )


# Comparing versions.


@dataclass
class SectionDiff:
    key: str
    title: str
    rows: list
    state: str  # same, changed, added, removed


def compare(left: RegulationVersion, right: RegulationVersion) -> tuple[list[SectionDiff], list]:
    """Section by section, left (older) against right (newer); and the annex."""
    old = {s.key: s for s in left.sections}
    new = {s.key: s for s in right.sections}
    keys = sorted(set(old) | set(new), key=lambda key: SECTION_ORDER.get(key, 99))
    result = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        rows = markup.diff_texts(a.body if a else "", b.body if b else "")
        if a is None:
            state = "added"
        elif b is None:
            state = "removed"
        else:
            state = "changed" if markup.changed(rows) or a.title != b.title else "same"
        result.append(SectionDiff(key, (b or a).title, rows, state))
    annex_rows = markup.diff_lines(annex_lines(left.annex or []), annex_lines(right.annex or []))
    return result, annex_rows


def comparable_versions(edition: RegulationEdition) -> list[RegulationVersion]:
    """This edition's versions, and the final version of every earlier edition."""
    own = versions(edition)
    earlier = db.session.scalars(
        select(RegulationVersion)
        .join(RegulationVersion.edition)
        .where(RegulationEdition.number < edition.number)
        .order_by(RegulationEdition.number.desc(), RegulationVersion.number.desc())
        .options(joinedload(RegulationVersion.edition))
    ).all()
    finals, seen = [], set()
    for version in earlier:
        if version.edition_id not in seen:
            seen.add(version.edition_id)
            finals.append(version)
    return finals[::-1] + list(own)
