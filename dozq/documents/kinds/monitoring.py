"""The internal monitoring programme (MON order 16.01.2020 № 54): subject, goal, tasks,
indicators and methods, timeline, responsible, expected results. From the
institution's programme (``dozq.publication``) when it has one; before that, a
draft from the self-assessment cycle or the quality system's plan for the year."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dozq.catalog import queries as catalog_queries
from dozq.catalog.models import ItemKind, Method
from dozq.db import db
from dozq.documents.common import institution_context, methodologists, period, person, staff
from dozq.documents.kinds.assessment import (
    _direction_words,
    _members,
    _planned_directions,
    _schedule,
    _school_year,
    default_cycle,
)
from dozq.quality_system.models import school_year_label

METHOD_LABELS = {method.value: method.label for method in Method}


def default_programme():
    from dozq.publication.models import MonitoringProgramme

    return db.session.scalar(
        select(MonitoringProgramme).order_by(
            MonitoringProgramme.created_at.desc(), MonitoringProgramme.id.desc()
        )
    )


def _lines(text: str) -> list[str]:
    return [
        " ".join(line.lstrip("-–—•* ").split())
        for line in (text or "").splitlines()
        if line.strip()
    ]


def _row(item) -> dict:
    return {
        "code": item.code,
        "text": " ".join(item.text.split()),
        "methods": "; ".join(METHOD_LABELS.get(c, c) for c in item.methods or []),
    }


def _indicators(directions: list[int]) -> list[dict]:
    catalog = catalog_queries.active_catalog()
    if catalog is None:
        return []
    chosen = {str(n) for n in directions}
    rows = []
    for root in catalog_queries.catalog_tree(catalog.id):
        if not root.active or root.code.split(".")[0] not in chosen:
            continue
        rows += [
            _row(row)
            for row in catalog_queries.flatten([root])
            if row.active and row.kind == ItemKind.INDICATOR
        ]
    return rows


def _publication(inst: dict) -> str:
    website = f" ({inst['website']})" if inst["website"] else ""
    return (
        "Результати моніторингу розглядаються на засіданні педагогічної ради та оприлюднюються "
        f"на вебсайті закладу{website} відповідно до Порядку проведення моніторингу якості "
        "освіти, затвердженого наказом Міністерства освіти і науки України від 16.01.2020 № 54."
    )


def _approval(inst: dict, kind: str, number: str, dated) -> dict:
    if kind == "protocol":
        return {
            "title": "СХВАЛЕНО",
            "document": "Протокол засідання педагогічної ради",
            "number": number,
            "date": dated,
        }
    return {
        "title": "ЗАТВЕРДЖЕНО",
        "document": f"Наказ {inst['short_genitive']}",
        "number": number,
        "date": dated,
    }


def _from_programme(institution, programme) -> dict:
    from dozq.publication.models import MonitoringIndicator

    inst = institution_context(institution)
    items = db.session.scalars(
        select(MonitoringIndicator)
        .where(MonitoringIndicator.programme_id == programme.id)
        .options(selectinload(MonitoringIndicator.catalog_item))
        .order_by(MonitoringIndicator.id)
    ).all()
    indicators = sorted((_row(i.catalog_item) for i in items), key=lambda row: row["code"])
    kind = programme.approval_kind.value if programme.approval_kind else "order"
    return {
        "institution": inst,
        "approval": _approval(inst, kind, programme.approval_number, programme.approval_date),
        "programme": {
            "title": f"«{' '.join(programme.subject.split())}»",
            "period": "",
            "object": " ".join(programme.subject.split()),
            "goal": " ".join((programme.goal or "").split()),
            "tasks": _lines(programme.tasks),
            "methods": " ".join((programme.methods or "").split()),
            "timeline": " ".join((programme.timeline or "").split()),
            "results": _lines(programme.expected_results),
            "publication": _publication(inst),
        },
        "indicators": indicators,
        "schedule": [],
        "responsible": _lines(programme.responsible),
    }


def _draft(institution) -> dict:
    """Before the institution writes its programme: one for this year's self-assessment."""
    cycle = default_cycle()
    inst = institution_context(institution)
    school_year = _school_year(cycle)
    directions = _planned_directions(cycle, school_year)
    members = _members(cycle)
    responsible = [
        f"{m['name']} – {m['role']}" + (f" ({m['responsibility']})" if m["responsibility"] else "")
        for m in members
    ] or [
        f"{inst['director_title']} {inst['director_signature']} – організація моніторингу",
        *[f"{person(m)} – координація збору інформації" for m in methodologists(staff())],
    ]
    when = period(cycle.starts_on, cycle.ends_on) if cycle is not None else ""
    return {
        "institution": inst,
        "approval": _approval(
            inst,
            "order",
            cycle.order_number if cycle is not None else "",
            cycle.order_date if cycle is not None else None,
        ),
        "programme": {
            "title": f"якості освітньої діяльності {inst['genitive']}",
            "period": f"у {school_year_label(school_year)} навчальному році",
            "object": "Освітні та управлінські процеси закладу за напрямами: "
            + _direction_words(directions)
            + ".",
            "goal": "Отримання об'єктивної інформації про стан освітніх і управлінських процесів "
            "закладу за визначеними напрямами для прийняття обґрунтованих управлінських рішень "
            "щодо вдосконалення освітньої діяльності та внутрішньої системи забезпечення якості "
            "освіти.",
            "tasks": [
                "зібрати та проаналізувати інформацію методами опитування, спостереження та "
                "вивчення документації;",
                "узагальнити результати за індикаторами, критеріями, вимогами та напрямами;",
                "визначити рівні за вимогами та напрямами, досягнення, труднощі й тенденції;",
                "порівняти результати з результатами попередніх років;",
                "підготувати пропозиції щодо управлінських рішень.",
            ],
            "methods": "",
            "timeline": when or f"протягом {school_year_label(school_year)} навчального року",
            "results": [
                "узагальнені результати та рівні за вимогами і напрямами;",
                "аналітична довідка (звіт) про результати моніторингу;",
                "управлінські рішення, спрямовані на вдосконалення освітніх і управлінських "
                "процесів;",
                "результати, оприлюднені на вебсайті закладу.",
            ],
            "publication": _publication(inst),
        },
        "indicators": _indicators(directions),
        "schedule": _schedule(cycle),
        "responsible": responsible,
    }


def build_monitoring_programme_context(institution, programme=None) -> dict:
    programme = programme if programme is not None else default_programme()
    if programme is not None:
        return _from_programme(institution, programme)
    return _draft(institution)
