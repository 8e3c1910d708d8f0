"""The regulation and the documents of its approval: the order, the extract from the
council's protocol and the acknowledgement sheet. Each builder takes an edition;
without one it uses the edition being prepared, else the one in force, else the
text composed from the configuration (a draft nobody has started yet)."""

from sqlalchemy import select

from dozq.db import db
from dozq.documents.common import (
    founder_context,
    institution_context,
    methodologists,
    order_words,
    person,
    protocol_words,
    staff,
    today,
)
from dozq.documents.wording import capitalise, signature_name
from dozq.regulation import markup
from dozq.regulation import services as regulation
from dozq.regulation.compose import annex_label, compose, regulation_title
from dozq.regulation.models import CommentStatus, RegulationAcknowledgement, RegulationEdition
from dozq.regulation.services import ORDER_DONE

SUBJECT = "про внутрішню систему забезпечення якості освіти"


def default_edition() -> RegulationEdition | None:
    return regulation.edition_in_progress() or next(
        (e for e in regulation.editions() if e.status.value == "published"), None
    )


def _edition(institution, edition):
    return edition if edition is not None else default_edition()


def _subtitle(title: str) -> str:
    return title.removeprefix("ПОЛОЖЕННЯ").strip() or SUBJECT


def build_regulation_context(institution, edition: RegulationEdition | None = None) -> dict:
    edition = _edition(institution, edition)
    if edition is not None:
        text = regulation.text_of(edition)
        title = edition.title
        sections = [(s.title, s.body) for s in text.sections]
        annex, annex_source = text.version.annex or [], text.version.annex_source
    else:
        composition = compose(institution)
        title = composition.title
        sections = [(s.title, s.body) for s in composition.sections]
        annex, annex_source = composition.annex, composition.annex_source
    return {
        "institution": institution_context(institution),
        "subtitle": _subtitle(title),
        "edition_label": f"редакція {edition.number}" if edition and edition.number > 1 else "",
        "council": {
            "number": edition.council_protocol_number if edition else "",
            "date": edition.council_date if edition else None,
        },
        "order": {
            "number": edition.order_number if edition else "",
            "date": edition.order_date if edition else None,
        },
        "sections": [
            {
                "number": number,
                "title": section_title,
                "paragraphs": markup.paragraphs(body, number),
            }
            for number, (section_title, body) in enumerate(sections, start=1)
        ],
        "annex": [
            {
                "code": row["code"],
                "label": annex_label(row).split(" ")[0],
                "text": row["text"],
                "methods": row.get("methods", ""),
            }
            for row in annex
        ],
        "annex_source": annex_source,
    }


def _regulation_name(institution, edition) -> str:
    """«Положення про внутрішню систему забезпечення якості освіти закладу …»."""
    title = edition.title if edition is not None else regulation_title(institution)
    return "Положення " + title.removeprefix("ПОЛОЖЕННЯ").strip()


def _approved_by(number: str, dated) -> str:
    """«наказом від 29.08.2025 № 32-о/д»."""
    return "наказом " + order_words(number, dated).removeprefix("наказ ")


def build_regulation_order_context(institution, edition: RegulationEdition | None = None) -> dict:
    edition = _edition(institution, edition)
    inst = institution_context(institution)
    members = staff()
    methodologist = next(iter(methodologists(members)), None)
    responsible = person(methodologist) if methodologist else "вихователь-методист"
    council = (
        protocol_words(edition.council_protocol_number, edition.council_date)
        if edition
        else protocol_words("", None)
    )
    name = _regulation_name(institution, edition)
    items = [
        {"text": f"Затвердити {name} (додається).", "lines": [], "deadline": ""},
        {
            "text": "Ввести Положення в дію з дня підписання цього наказу.",
            "lines": [],
            "deadline": "",
        },
    ]
    previous = (
        db.session.get(RegulationEdition, edition.based_on_id)
        if edition is not None and edition.based_on_id
        else None
    )
    if previous is not None:
        items.append(
            {
                "text": f"Визнати таким, що втратило чинність, Положення про внутрішню систему "
                f"забезпечення якості освіти (редакція {previous.number}), затверджене "
                f"{_approved_by(previous.order_number, previous.order_date)}.",
                "lines": [],
                "deadline": "",
            }
        )
    website = f" ({inst['website']})" if inst["website"] else ""
    items += [
        {
            "text": f"Оприлюднити Положення на вебсайті закладу{website}. Відповідальна особа – "
            f"{responsible}.",
            "lines": [],
            "deadline": "протягом 10 робочих днів з дня підписання наказу",
        },
        {
            "text": "Ознайомити з Положенням під підпис педагогічних та інших працівників "
            "закладу, батьків (законних представників) дітей – через вебсайт закладу та "
            f"оголошення. Відповідальна особа – {responsible}.",
            "lines": [],
            "deadline": "протягом місяця з дня підписання наказу",
        },
        {"text": "Контроль за виконанням наказу залишаю за собою.", "lines": [], "deadline": ""},
    ]
    return {
        "institution": inst,
        "founder": founder_context(institution),
        "order": {
            "number": edition.order_number if edition else "",
            "date": edition.order_date if edition else None,
            "place": inst["place"],
            "subject": f"Про затвердження Положення {SUBJECT}",
            "preamble": "Відповідно до статті 41 Закону України «Про освіту», Закону України «Про "
            "дошкільну освіту», Методичних рекомендацій з питань формування внутрішньої системи "
            "забезпечення якості освіти у закладах дошкільної освіти, затверджених наказом "
            "Державної служби якості освіти України від 30.11.2020 № 01-11/71, рішення "
            f"педагогічної ради ({council}), з метою забезпечення якості освітньої діяльності "
            "та функціонування внутрішньої системи забезпечення якості освіти в закладі",
            "points": items,
        },
        "acquainted": [
            {"name": signature_name(m.user.full_name), "date": None}
            for m in ([methodologist] if methodologist else [])
        ],
        "schedule": [],
        "schedule_title": "",
    }


def build_council_extract_context(institution, edition: RegulationEdition | None = None) -> dict:
    edition = _edition(institution, edition)
    inst = institution_context(institution)
    meeting = edition.council_meeting if edition is not None else None
    members = staff()
    methodologist = next(iter(methodologists(members)), None)
    counts = regulation.comment_counts(edition) if edition is not None else {}
    received = sum(counts.values()) if counts else 0
    accepted = counts.get(CommentStatus.ACCEPTED, 0) if counts else 0
    name = _regulation_name(institution, edition)
    speaker = (
        f"{signature_name(methodologist.user.full_name)}, "
        f"{methodologist.position or methodologist.role.label}, – "
        if methodologist
        else ""
    )
    edition_words = f" (редакція {edition.number})" if edition is not None else ""
    discussion = (
        f" Проєкт обговорено з педагогічним і батьківським колективами: надійшло пропозицій – "
        f"{received}, враховано – {accepted}."
        if received
        else ""
    )
    return {
        "institution": inst,
        "meeting": {
            "number": (meeting.protocol_number if meeting else "")
            or (edition.council_protocol_number if edition else ""),
            "date": (meeting.held_on if meeting else None)
            or (edition.council_date if edition else None),
            "chair": inst["director_name"],
            "chair_signature": inst["director_signature"],
            "secretary": "",
            "secretary_signature": "",
            "attendance": meeting.attendance if meeting else "",
        },
        "agenda": [f"Про схвалення {name}{edition_words}."],
        "heard": capitalise(f"{speaker}інформація про проєкт {name}{edition_words}.") + discussion,
        "spoke": "",
        "decisions": [
            f"Схвалити {name}{edition_words}.",
            "Рекомендувати керівнику закладу затвердити Положення наказом.",
        ],
        "today": today(),
    }


def build_acknowledgement_sheet_context(
    institution, edition: RegulationEdition | None = None
) -> dict:
    edition = _edition(institution, edition)
    name = _regulation_name(institution, edition)
    approved = (
        f", затвердженим {_approved_by(edition.order_number, edition.order_date)}"
        if edition is not None and edition.status in ORDER_DONE
        else ""
    )
    done = {}
    if edition is not None:
        done = {
            ack.user_id: ack.at
            for ack in db.session.scalars(
                select(RegulationAcknowledgement).where(
                    RegulationAcknowledgement.edition_id == edition.id
                )
            )
        }
    rows = []
    for number, membership in enumerate(staff(), start=1):
        moment = done.get(membership.user_id)
        rows.append(
            {
                "number": number,
                "name": membership.user.full_name,
                "position": membership.position or membership.role.label,
                "date": moment,
            }
        )
    return {
        "subject": f"з {name.replace('Положення', 'Положенням', 1)}{approved}",
        "rows": rows,
    }
