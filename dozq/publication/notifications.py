"""In-app notifications: ``notify(users, text, url)`` and the scan of what is due.

``flask --app wsgi dozq notify-due`` runs the scan for every institution (in its
own scope); each notification has a key, so running it again adds nothing new.
"""

from datetime import date, timedelta

import click
from flask import current_app, url_for
from flask.cli import with_appcontext
from sqlalchemy import func, select

from dozq.assessment.models import DecisionStatus, ManagementDecision
from dozq.auth.mail import send_mail
from dozq.auth.models import User
from dozq.db import db, utcnow
from dozq.publication.models import Notification
from dozq.regulation.models import EditionStatus, RegulationEdition
from dozq.surveys.models import Questionnaire
from dozq.tenancy.models import MANAGERS, Membership, Role
from dozq.tenancy.public_pages import every_institution
from dozq.tenancy.scope import Scope, tenant_scope

SURVEY_DAYS = 3
DECISION_DAYS = 7


def notify(users, text: str, url: str = "", key: str | None = None) -> list[Notification]:
    """A notification for each of ``users`` (in the current institution's scope); with a
    ``key``, people who already have one with that key get none. E-mail too when SMTP
    is configured."""
    users = [user for user in users if user is not None]
    if not users:
        return []
    have = set()
    if key is not None:
        have = set(
            db.session.scalars(
                select(Notification.user_id).where(
                    Notification.key == key,
                    Notification.user_id.in_([user.id for user in users]),
                )
            )
        )
    created = []
    for user in users:
        if user.id in have:
            continue
        note = Notification(user_id=user.id, key=key or "", text=text[:500], url=url[:500])
        db.session.add(note)
        created.append(note)
        if current_app.config.get("MAIL_SERVER") and user.email:
            # A letter is read outside dozq: its link carries the server's address.
            address = current_app.config["BASE_URL"].rstrip("/") + url if url else ""
            send_mail(user.email, "dozq: сповіщення", text + (f"\n\n{address}" if address else ""))
    db.session.flush()
    return created


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def of_user(user, limit: int = 100) -> list[Notification]:
    return db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()


def mark_read(user, notification: Notification | None = None) -> int:
    """Mark one (or every) notification of ``user`` read; how many changed."""
    if notification is not None:
        if notification.read_at is None:
            notification.read_at = utcnow()
            db.session.flush()
            return 1
        return 0
    notes = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).all()
    for note in notes:
        note.read_at = utcnow()
    db.session.flush()
    return len(notes)


def _members(roles=None) -> list[User]:
    statement = select(User).join(Membership, Membership.user_id == User.id)
    if roles is not None:
        statement = statement.where(Membership.role.in_(list(roles)))
    return db.session.scalars(statement.where(User.is_active)).all()


def scan_due(slug: str, today: date | None = None) -> int:
    """Notifications for what is due in the institution of the current scope (``slug``
    for the links); how many new."""
    today = today or date.today()
    count = 0

    def link(endpoint, **values):
        return url_for(endpoint, institution_slug=slug, **values)

    for edition in db.session.scalars(
        select(RegulationEdition).where(
            RegulationEdition.status.in_((EditionStatus.DISCUSSION, EditionStatus.COUNCIL_APPROVED))
        )
    ):
        if edition.status == EditionStatus.DISCUSSION:
            count += len(
                notify(
                    _members(),
                    f"Проєкт Положення ({edition.label}) відкрито для обговорення: "
                    "залиште свої пропозиції.",
                    link("institution.regulation.index"),
                    key=f"regulation-discussion:{edition.id}",
                )
            )
        else:
            count += len(
                notify(
                    _members((Role.DIRECTOR,)),
                    f"Положення ({edition.label}) схвалено педагогічною радою: "
                    "затвердьте його наказом.",
                    link("institution.regulation.index"),
                    key=f"regulation-approve:{edition.id}",
                )
            )
    for questionnaire in db.session.scalars(
        select(Questionnaire).where(
            Questionnaire.published_at.is_not(None),
            Questionnaire.closes_on >= today,
            Questionnaire.closes_on <= today + timedelta(days=SURVEY_DAYS),
        )
    ):
        count += len(
            notify(
                _members(MANAGERS),
                f"Анкетування «{questionnaire.title}» завершується "
                f"{questionnaire.closes_on:%d.%m.%Y}.",
                link("institution.surveys.index"),
                key=f"survey-closing:{questionnaire.id}",
            )
        )
    for decision in db.session.scalars(
        select(ManagementDecision).where(
            ManagementDecision.status.in_((DecisionStatus.PLANNED, DecisionStatus.IN_PROGRESS)),
            ManagementDecision.due_on.is_not(None),
            ManagementDecision.due_on <= today + timedelta(days=DECISION_DAYS),
        )
    ):
        people = [decision.responsible_user] if decision.responsible_user_id else []
        people = people or _members(MANAGERS)
        overdue = decision.due_on < today
        count += len(
            notify(
                people,
                f"{'Минув' if overdue else 'Наближається'} строк рішення "
                f"«{decision.what[:200]}»: {decision.due_on:%d.%m.%Y}.",
                link("institution.assessment.index"),
                # Its own key once overdue: the reminder before does not silence it.
                key=f"decision-{'overdue' if overdue else 'due'}:{decision.id}",
            )
        )
    return count


@click.command("notify-due")
@with_appcontext
def notify_due_command() -> None:
    """Сповіщення про те, що настав час зробити (можна запускати щодня)."""
    total = 0
    places = [(i.id, i.founder_id, i.slug) for i in every_institution()]
    for institution_id, founder_id, slug in places:
        scope = Scope(founder_id, (institution_id,), institution_id)
        with tenant_scope(db.session, scope), current_app.test_request_context():
            total += scan_due(slug)
        db.session.commit()
    click.echo(f"Нових сповіщень: {total}")
