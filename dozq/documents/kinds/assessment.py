"""Documents of self-assessment: the order that starts it and forms the working group,
the internal monitoring programme, the report with levels and a chart, and the
section of the director's annual report. Each takes a cycle; without one, the
newest cycle, and without any cycle what the quality system's plan says."""

import io

from PIL import Image, ImageDraw, ImageFont

from dozq.catalog.models import ItemKind
from dozq.documents.common import (
    founder_context,
    institution_context,
    order_words,
    period,
    protocol_words,
    staff,
)
from dozq.documents.render import Picture
from dozq.documents.wording import signature_name
from dozq.quality_system import services as quality
from dozq.quality_system.models import DIRECTIONS, school_year_label
from dozq.regulation import services as regulation
from dozq.regulation.models import EditionStatus
from dozq.web.filters import date_uk


def default_cycle():
    from dozq.assessment import queries

    found = queries.cycles()
    return found[0] if found else None


def _school_year(cycle) -> int:
    return cycle.school_year if cycle is not None else quality.current_school_year()


def _regulation_basis(institution) -> str:
    """«Положення про внутрішню систему …, затвердженого наказом від … № …»."""
    in_force = regulation.published_regulation(institution)
    if in_force is None:
        return "Положення про внутрішню систему забезпечення якості освіти закладу"
    edition = in_force.edition
    return (
        "Положення про внутрішню систему забезпечення якості освіти закладу, затвердженого "
        + "наказом "
        + order_words(edition.order_number, edition.order_date).removeprefix("наказ ")
    )


def _planned_directions(cycle, school_year: int) -> list[int]:
    """The directions a cycle (or, without one, the plan) covers this school year."""
    if cycle is not None:
        from dozq.assessment.models import ScopeKind
        from dozq.assessment.queries import plan

        if cycle.scope_kind == ScopeKind.ITEMS:
            numbers = set()
            for entry in plan(cycle).scope:
                if entry.catalog_item is not None:
                    head = entry.catalog_item.code.split(".")[0]
                    if head.isdigit():
                        numbers.add(int(head))
            if numbers:
                return sorted(numbers)
        return sorted(DIRECTIONS)
    cells = quality.plan_cells()
    return sorted(d for (y, d) in cells if y == school_year) or sorted(DIRECTIONS)


def _members(cycle) -> list[dict]:
    if cycle is None:
        return []
    from dozq.assessment.queries import plan

    positions = {m.user_id: m.position or m.role.label for m in staff()}
    result = []
    for member in plan(cycle).members:
        name = member.display_name
        position = positions.get(member.user_id, "") if member.user_id else ""
        result.append(
            {
                "name": name,
                "signature": signature_name(name),
                "position": position,
                "role": member.group_role.label,
                "responsibility": " ".join((member.responsibility or "").split()),
            }
        )
    return result


def _schedule(cycle) -> list[dict]:
    if cycle is None:
        return []
    from dozq.assessment.queries import plan

    rows = []
    for number, step in enumerate(plan(cycle).schedule, start=1):
        dates = (
            f"{date_uk(step.starts_on)}–{date_uk(step.ends_on)}"
            if step.starts_on and step.ends_on
            else date_uk(step.starts_on or step.ends_on)
        )
        rows.append(
            {
                "number": number,
                "title": step.title,
                "dates": dates,
                "responsible": step.responsible,
            }
        )
    return rows


def _direction_words(numbers: list[int]) -> str:
    return "; ".join(f"{n}. {DIRECTIONS[n]}" for n in numbers if n in DIRECTIONS)


def build_self_assessment_order_context(institution, cycle=None) -> dict:
    cycle = cycle if cycle is not None else default_cycle()
    inst = institution_context(institution)
    year = school_year_label(_school_year(cycle))
    directions = _planned_directions(cycle, _school_year(cycle))
    members = _members(cycle)
    model = quality.assessment_model()
    model_words = (
        (cycle.model_kind.label if cycle is not None else model.kind.label if model else "")
        .lower()
        .strip()
    )
    when = period(cycle.starts_on, cycle.ends_on) if cycle is not None else ""
    items = [
        {
            "text": "Провести самооцінювання освітніх і управлінських процесів закладу"
            + (f" ({model_words})" if model_words else "")
            + f" у {year} навчальному році"
            + (f" {when}" if when else "")
            + " за напрямами:",
            "lines": [f"{n}. {DIRECTIONS[n]}" for n in directions],
            "deadline": "",
        },
        {
            "text": "Створити робочу групу з проведення самооцінювання у складі:",
            "lines": [
                f"{m['name']}" + (f", {m['position']}" if m["position"] else "") + f" – {m['role']}"
                for m in members
            ]
            or [
                "____________________ – голова робочої групи",
                "____________________ – член робочої групи",
            ],
            "deadline": "",
        },
    ]
    schedule = _schedule(cycle)
    if schedule:
        items.append(
            {
                "text": "Затвердити план (графік) проведення самооцінювання (додаток).",
                "lines": [],
                "deadline": "",
            }
        )
    ends = date_uk(cycle.ends_on) if cycle is not None else ""
    items += [
        {
            "text": "Робочій групі забезпечити збір та аналіз інформації методами опитування, "
            "спостереження та вивчення документації відповідно до критеріїв та індикаторів "
            "Положення про внутрішню систему забезпечення якості освіти.",
            "lines": [],
            "deadline": f"до {ends}" if ends else "",
        },
        {
            "text": "Узагальнити результати самооцінювання, визначити рівні за вимогами та "
            "напрямами й подати їх на розгляд педагогічної ради.",
            "lines": [],
            "deadline": f"до {ends}" if ends else "",
        },
        {
            "text": "Оприлюднити результати самооцінювання на вебсайті закладу"
            + (f" ({inst['website']})" if inst["website"] else "")
            + " та включити їх до щорічного звіту керівника.",
            "lines": [],
            "deadline": "",
        },
        {"text": "Контроль за виконанням наказу залишаю за собою.", "lines": [], "deadline": ""},
    ]
    return {
        "institution": inst,
        "founder": founder_context(institution),
        "order": {
            "number": cycle.order_number if cycle is not None else "",
            "date": cycle.order_date if cycle is not None else None,
            "place": inst["place"],
            "subject": "Про проведення самооцінювання освітніх і управлінських процесів "
            f"у {year} навчальному році та створення робочої групи",
            "preamble": "Відповідно до статті 41 Закону України «Про освіту», "
            f"{_regulation_basis(institution)}, плану роботи закладу на {year} навчальний рік, "
            "з метою аналізу стану сформованості й функціонування внутрішньої системи "
            "забезпечення якості освіти, визначення точок зростання та вдосконалення освітніх і "
            "управлінських процесів",
            "points": items,
        },
        "acquainted": [{"name": m["signature"], "date": None} for m in members],
        "schedule": schedule,
        "schedule_title": "План (графік) проведення самооцінювання",
    }


# The report.


FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


def _font(size: int):
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


#: The colours of the levels (as the pages show them), from the top level down.
LEVEL_COLOURS = {
    "level-1": (46, 125, 50),
    "level-2": (0, 121, 107),
    "level-3": (249, 168, 37),
    "level-4": (198, 40, 40),
    "level-none": (158, 158, 158),
}


def draw_chart(bars: list[tuple[str, float | None, str]], minimum: float, maximum: float) -> bytes:
    """A horizontal bar chart as PNG: (label, score, level css class) per bar."""
    scale = 2
    row, left, right, top = 34 * scale, 90 * scale, 70 * scale, 20 * scale
    width = 900 * scale
    height = top * 2 + row * max(len(bars), 1)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(15 * scale)
    span = max(maximum - minimum, 0.01)
    plot = width - left - right
    for tick in range(int(minimum), int(maximum) + 1):
        x = left + plot * (tick - minimum) / span
        draw.line([(x, top // 2), (x, height - top // 2)], fill=(220, 220, 220), width=scale)
    for index, (label, score, css) in enumerate(bars):
        y = top + index * row
        draw.text((8 * scale, y + 6 * scale), label, fill="black", font=font)
        if score is None:
            draw.text((left + 6 * scale, y + 6 * scale), "—", fill="black", font=font)
            continue
        length = plot * (score - minimum) / span
        draw.rectangle(
            [left, y + 5 * scale, left + max(length, 2), y + row - 7 * scale],
            fill=LEVEL_COLOURS.get(css, LEVEL_COLOURS["level-none"]),
        )
        text = f"{score:.2f}".replace(".", ",")
        draw.text((left + length + 6 * scale, y + 6 * scale), text, fill="black", font=font)
    output = io.BytesIO()
    image.save(output, "PNG", optimize=True)
    return output.getvalue()


def _results(cycle):
    from dozq.assessment import queries

    loaded = queries.cycle_or_404(cycle.id, with_previous=True)
    return loaded, queries.results(loaded)


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def build_self_assessment_report_context(institution, cycle=None) -> dict:
    cycle = cycle if cycle is not None else default_cycle()
    inst = institution_context(institution)
    school_year = _school_year(cycle)
    general, levels, findings, decisions, bars = [], [], [], [], []
    approval = ""
    chart = None
    head = ""
    if cycle is not None:
        from dozq.assessment import queries

        cycle, results = _results(cycle)
        scope = cycle.scope_kind.label
        general.append(
            f"Самооцінювання проведено за моделлю «{cycle.model_kind.label}» {scope}"
            + (f" {period(cycle.starts_on, cycle.ends_on)}" if cycle.starts_on else "")
            + (
                " відповідно до наказу "
                + order_words(cycle.order_number, cycle.order_date).removeprefix("наказ ")
                if cycle.order_date
                else ""
            )
            + "."
        )
        counts = queries.evidence_counts(cycle)
        if counts:
            general.append(
                "Зібрано інформацію: "
                + "; ".join(f"{kind.label} – {count}" for kind, count in counts.items())
                + "."
            )
        general.append(f"Оцінено індикаторів: {results.rated_count} з {results.indicator_count}.")
        if results.scale is not None:
            general.append(
                f"Рівні визначено за шкалою «{results.scale.title}» ({results.scale.range_text} "
                "балів): бали індикаторів усереднено до критеріїв, вимог і напрямів."
            )
        found = queries.findings(cycle)
        for root in results.roots:
            for node in [root, *root.children]:
                if node.kind not in (ItemKind.DIRECTION, ItemKind.REQUIREMENT):
                    continue
                levels.append(
                    {
                        "code": node.code,
                        "title": node.text,
                        "score": node.score_text,
                        "level": node.level_text,
                    }
                )
                bars.append(
                    (node.code, float(node.score) if node.score is not None else None, node.css)
                )
                entry = found.get(node.id)
                if entry is not None:
                    lines = []
                    for words, text in (
                        ("Досягнення", entry.achievements),
                        ("Труднощі", entry.difficulties),
                        ("Тенденції", entry.trends),
                    ):
                        if text and text.strip():
                            lines.append(f"{words}: " + " ".join(_lines(text)))
                    if entry.override_reason:
                        lines.append(
                            f"Рівень встановлено з обґрунтуванням: {entry.override_reason}"
                        )
                    if lines:
                        findings.append({"title": f"{node.code}. {node.text}", "lines": lines})
        for number, decision in enumerate(queries.decisions(cycle), start=1):
            decisions.append(
                {
                    "number": number,
                    "what": " ".join(decision.what.split()),
                    "responsible": decision.responsible_label,
                    "due": date_uk(decision.due_on),
                }
            )
        council = [d for d in queries.discussions(cycle) if d.council_meeting is not None]
        if council:
            meeting = council[-1].council_meeting
            approval = "розглянуто на засіданні педагогічної ради, " + protocol_words(
                meeting.protocol_number, meeting.held_on
            )
        heads = [m for m in _members(cycle) if m["role"] == "голова робочої групи"]
        head = heads[0]["signature"] if heads else ""
        if bars and results.scale is not None:
            chart = Picture(
                draw_chart(bars, float(results.scale.min_score), float(results.scale.max_score)),
                160,
            )
    else:
        general.append("Самооцінювання в закладі ще не проводилося: звіт заповнюється вручну.")
    return {
        "institution": inst,
        "report": {
            "school_year": school_year_label(school_year),
            "approval": approval,
            "general": general,
            "head_signature": head,
        },
        "members": _members(cycle),
        "levels": levels,
        "chart": chart or "",
        "findings": findings,
        "decisions": decisions,
    }


def build_annual_report_section_context(institution, cycle=None) -> dict:
    cycle = cycle if cycle is not None else default_cycle()
    inst = institution_context(institution)
    school_year = _school_year(cycle)
    parts = []
    in_force = regulation.published_regulation(institution)
    if in_force is not None:
        edition = in_force.edition
        rows = regulation.acknowledgement_rows(edition)
        done = sum(1 for row in rows if row.acknowledgement)
        parts.append(
            {
                "title": "Положення про внутрішню систему забезпечення якості освіти",
                "lines": [
                    f"У закладі діє Положення про внутрішню систему забезпечення якості освіти "
                    f"(редакція {edition.number}), схвалене педагогічною радою "
                    f"({protocol_words(edition.council_protocol_number, edition.council_date)}) "
                    f"та затверджене наказом від {date_uk(edition.order_date) or '__________'} "
                    f"№ {edition.order_number or '____'}.",
                    "Положення оприлюднено на вебсайті закладу"
                    + (f" ({inst['website']})" if inst["website"] else "")
                    + f"; з ним ознайомилися {done} з {len(rows)} працівників закладу.",
                ],
            }
        )
    else:
        working = regulation.edition_in_progress()
        parts.append(
            {
                "title": "Положення про внутрішню систему забезпечення якості освіти",
                "lines": [
                    "Положення про внутрішню систему забезпечення якості освіти перебуває на "
                    f"стадії «{working.status.label}»."
                    if working is not None and working.status != EditionStatus.PUBLISHED
                    else "Положення про внутрішню систему забезпечення якості освіти ще не "
                    "затверджено."
                ],
            }
        )
    components = quality.components()
    own = [c for c in components if not c.is_statutory]
    orientations = quality.orientations()
    model = quality.assessment_model()
    parts.append(
        {
            "title": "Компоненти і стратегія (політика) забезпечення якості освіти",
            "lines": [
                f"Внутрішня система закладу містить {len(components)} компонентів"
                + (f", з них власних – {len(own)}" if own else "")
                + "; стратегія (політика) забезпечення якості освіти має "
                f"{len(orientations)} орієнтирів."
            ],
        }
    )
    assessment_lines = []
    if model is not None:
        assessment_lines.append(f"Модель самооцінювання: {model.kind.label.lower()}.")
    directions = []
    if cycle is not None:
        loaded, results = _results(cycle)
        assessment_lines.append(
            f"У {school_year_label(school_year)} навчальному році проведено самооцінювання "
            f"({loaded.scope_kind.label}); стан: {loaded.status.label}. Оцінено індикаторів: "
            f"{results.rated_count} з {results.indicator_count}."
        )
        for root in results.roots:
            directions.append(
                {
                    "title": f"{root.code}. {root.text}",
                    "score": root.score_text,
                    "level": root.level_text,
                }
            )
        from dozq.assessment import queries

        decisions = queries.decisions(loaded)
        if decisions:
            parts_decisions = [" ".join(d.what.split()) for d in decisions]
            assessment_lines.append(
                "За результатами самооцінювання ухвалено управлінські рішення: "
                + "; ".join(parts_decisions)
                + "."
            )
    else:
        assessment_lines.append(
            f"У {school_year_label(school_year)} навчальному році самооцінювання ще не проводилося."
        )
    parts.append(
        {"title": "Самооцінювання освітніх і управлінських процесів", "lines": assessment_lines}
    )
    return {
        "institution": inst,
        "report": {"school_year": school_year_label(school_year), "parts": parts},
        "directions": directions,
    }
