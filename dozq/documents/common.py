"""Context pieces every document shares: the institution, its founder, its people."""

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from dozq.db import db
from dozq.documents.wording import (
    bare_number,
    genitive,
    in_genitive,
    place_of,
    signature_name,
)
from dozq.tenancy.models import Membership, Role
from dozq.web.filters import KYIV, date_uk


def today() -> date:
    return datetime.now(KYIV).date()


def institution_context(institution) -> dict:
    return {
        "full_name": institution.full_name,
        "short_name": institution.short_name,
        #: «закладу дошкільної освіти № 1 «Сонечко»» (or «у …» when it cannot be inflected).
        "genitive": in_genitive(institution.full_name),
        #: For «Наказ ЗДО № 1 «Сонечко»».
        "short_genitive": genitive(institution.short_name) or institution.short_name,
        "kind": institution.kind.label,
        "edrpou": institution.edrpou,
        "address": institution.address,
        "place": place_of(institution.address),
        "website": institution.website,
        "phone": institution.phone,
        "email": institution.email,
        "director_title": institution.director_title or "директор",
        "director_name": institution.director_name,
        "director_signature": signature_name(institution.director_name),
    }


def founder_context(institution) -> dict:
    founder = institution.founder
    return {"name": founder.name if founder else "", "edrpou": founder.edrpou if founder else ""}


def staff() -> list[Membership]:
    """Everyone working in the institution, by name."""
    members = db.session.scalars(select(Membership).options(joinedload(Membership.user))).all()
    return sorted(members, key=lambda m: m.user.full_name)


def person(membership: Membership) -> str:
    """«вихователь-методист Тетяна ШЕВЧЕНКО»."""
    position = membership.position or membership.role.label
    return f"{position} {signature_name(membership.user.full_name)}"


def methodologists(members: list[Membership]) -> list[Membership]:
    return [m for m in members if m.role == Role.METHODOLOGIST]


def protocol_words(number: str, held_on: date | None) -> str:
    """«протокол від 28.08.2025 № 1», with blanks for what is missing."""
    return f"протокол від {date_uk(held_on) or '__________'} № {bare_number(number) or '____'}"


def order_words(number: str, dated: date | None) -> str:
    return f"наказ від {date_uk(dated) or '__________'} № {bare_number(number) or '____'}"


def period(starts: date | None, ends: date | None) -> str:
    if starts and ends:
        return f"з {date_uk(starts)} до {date_uk(ends)}"
    return ""
