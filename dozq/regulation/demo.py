"""Demo content of the regulation: the first institution has edition 1 in force
(discussed with parents and staff, revised, approved by the council and by order,
published, acknowledged by most of the staff) and edition 2 under discussion.
Idempotent, like the rest of the demo."""

from datetime import date

from sqlalchemy import select

from dozq.auth.models import User
from dozq.db import db
from dozq.regulation import services
from dozq.regulation.models import RegulationEdition
from dozq.tenancy.scope import Scope, tenant_scope

PARENT_PROPOSALS = (
    (
        "policy",
        "Мама Софійки, група «Сонечко»",
        "Пропоную додати до орієнтирів політики регулярне інформування батьків про досягнення "
        "дітей: наприклад, раз на місяць коротка розповідь вихователя в батьківському чаті.",
        True,
        "Враховано: доповнено розділ про політику.",
    ),
    (
        "self_assessment",
        "",
        "Чи можна проводити анкетування батьків двічі на рік, а не раз?",
        False,
        "Раз на рік достатньо за моделлю самооцінювання закладу; додаткові опитування "
        "проводимо за потреби.",
    ),
)
STAFF_PROPOSAL = (
    "inclusion",
    "Варто зазначити, що команда психолого-педагогічного супроводу збирається щонайменше "
    "раз на квартал.",
)
ADDED_TO_POLICY = "Заклад щомісяця інформує батьків про досягнення дітей через вихователів груп."
NEXT_EDITION_PROPOSAL = (
    "general",
    "Тато Максима, група «Зайчики»",
    "Добре було б описати, як батьки можуть долучитися до спостереження за освітнім середовищем.",
)


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _section(edition, key: str):
    sections = services.latest_version(edition).sections
    return next((s for s in sections if s.key == key), sections[0])


def load_regulation_demo(founder, emails: dict[str, str]) -> None:
    """For the founder's first institution; ``emails``: role value → e-mail of the demo
    person in that role there."""
    from dozq.tenancy.services import all_institutions

    institutions = [i for i in all_institutions() if i.founder_id == founder.id]
    if not institutions:
        return
    institution = min(institutions, key=lambda found: found.id)
    director = _user(emails["director"])
    methodologist = _user(emails["methodologist"])
    teacher = _user(emails["teacher"])
    if director is None or methodologist is None or teacher is None:
        return
    with tenant_scope(db.session, Scope.for_institution(institution)):
        if db.session.scalar(select(RegulationEdition.id).limit(1)) is not None:
            return
        first = services.start_edition(methodologist, institution)
        services.open_discussion(methodologist, first)
        for key, name, text, accept, reason in PARENT_PROPOSALS:
            comment = services.add_comment(
                first, _section(first, key), text, author_name=name, from_parent=True
            )
            services.decide_comment(methodologist, comment, accept, reason)
        key, text = STAFF_PROPOSAL
        comment = services.add_comment(first, _section(first, key), text, author=teacher)
        services.decide_comment(methodologist, comment, True, "Враховано.")
        services.start_revision(methodologist, first, "Доопрацьовано за пропозиціями")
        policy = _section(first, "policy")
        services.update_section(
            methodologist, first, policy, policy.body + "\n\n" + ADDED_TO_POLICY, policy.version
        )
        services.approve_by_council(methodologist, first, "1", date(2025, 8, 28))
        services.approve_by_order(director, first, "32-о/д", date(2025, 8, 29))
        services.publish(director, first, institution)
        for person in (director, methodologist, teacher):
            services.acknowledge(person, first)
        second = services.start_edition(methodologist, institution)
        general = _section(second, "general")
        services.update_section(
            methodologist,
            second,
            general,
            general.body
            + "\n\nБатьки можуть долучатися до спостереження за станом освітнього середовища "
            "за запрошенням робочої групи.",
            general.version,
        )
        services.open_discussion(methodologist, second)
        key, name, text = NEXT_EDITION_PROPOSAL
        services.add_comment(
            second, _section(second, key), text, author_name=name, from_parent=True
        )
    db.session.flush()
