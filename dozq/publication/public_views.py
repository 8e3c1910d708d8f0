"""Public pages, no sign-in: what an institution (or a founder's institutions) published.

/p/<institution_slug>/ — the institution's page, a stable page per item, an
embeddable version (framing allowed only there) and open data (CSV, JSON).
/pf/<founder_slug>/ — the founder's institutions with links to what they published.
The scope comes from the slug (``dozq.tenancy.public_pages``).
"""

import csv
import io
import json

from flask import Blueprint, Response, abort, g, render_template, request, url_for

from dozq.publication import public, queries
from dozq.regulation import markup
from dozq.regulation import services as regulation_services
from dozq.tenancy.access import public as public_view
from dozq.tenancy.public_pages import enter_founder_by_slug, enter_institution_by_slug

bp = Blueprint("public_pages", __name__, url_prefix="/p/<institution_slug>")
founder_bp = Blueprint("public_founder", __name__, url_prefix="/pf/<founder_slug>")

T = "publication/public/"

#: The embeddable page may be framed by any site (the institution's own website).
EMBED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors *"
)
EMBED_ENDPOINTS = {"public_pages.embed"}


@bp.url_value_preprocessor
def enter(endpoint, values) -> None:
    institution = enter_institution_by_slug(values.pop("institution_slug", ""))
    if institution is None:
        abort(404)
    g.public_institution = institution


@bp.url_defaults
def add_slug(endpoint, values) -> None:
    if "public_institution" in g:
        values.setdefault("institution_slug", g.public_institution.slug)


@bp.after_request
def allow_framing(response):
    """Only the embed page may be shown in a frame on another site: its own CSP (the
    app's security headers keep it and then add no X-Frame-Options)."""
    if request.endpoint in EMBED_ENDPOINTS:
        response.headers["Content-Security-Policy"] = EMBED_CSP
    return response


def _page(template: str, **context):
    response = Response(render_template(template, institution=g.public_institution, **context))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _overview() -> dict:
    cycles = public.published_cycles()
    latest = public.cycle_results(cycles[0]) if cycles else None
    return {
        "regulation": public.published_regulation(),
        "archive": public.regulation_archive(),
        "cycles": cycles,
        "latest": latest,
        "programmes": queries.published_programmes(),
    }


@bp.get("/")
@public_view
def institution():
    """The institution's public page."""
    return _page(T + "institution.html", **_overview())


@bp.get("/embed")
@public_view
def embed():
    """A compact version for an iframe on the institution's website."""
    return _page(T + "embed.html", **_overview())


@bp.get("/regulation/<int:regulation_edition_id>")
@public_view
def regulation(regulation_edition_id: int):
    edition = public.public_edition_or_none(regulation_edition_id)
    if edition is None:
        abort(404)
    sections = regulation_services.latest_version(edition).sections
    groups = {s.id: markup.groups(s.body, n) for n, s in enumerate(sections, start=1)}
    return _page(T + "regulation.html", edition=edition, sections=sections, groups=groups)


@bp.get("/self-assessment/<int:assessment_cycle_id>")
@public_view
def cycle(assessment_cycle_id: int):
    published = public.published_cycle_or_none(assessment_cycle_id)
    if published is None:
        abort(404)
    return _page(T + "cycle.html", results=public.cycle_results(published))


@bp.get("/monitoring/<int:monitoring_programme_id>")
@public_view
def programme(monitoring_programme_id: int):
    found = public.public_programme_or_none(monitoring_programme_id)
    if found is None:
        abort(404)
    return _page(T + "programme.html", programme=found)


# Open data.

DATA_COLUMNS = [
    "cycle_id",
    "cycle_title",
    "school_year",
    "published_on",
    "kind",
    "code",
    "title",
    "score",
    "level",
]


def _data_rows() -> list[dict]:
    rows = []
    for published in public.published_cycles():
        results = public.cycle_results(published)
        cycle = published.cycle
        for direction in results.directions:
            for node in (direction, *direction.children):
                rows.append(
                    {
                        "cycle_id": cycle.id,
                        "cycle_title": cycle.title,
                        "school_year": f"{cycle.school_year}/{cycle.school_year + 1}",
                        "published_on": published.published_at.date().isoformat()
                        if published.published_at
                        else "",
                        "kind": node.kind.value,
                        "code": node.code,
                        "title": node.text,
                        "score": str(node.score) if node.score is not None else "",
                        "level": node.level.name if node.level else "",
                    }
                )
    return rows


@bp.get("/data.json")
@public_view
def data_json():
    """The published results as open data (JSON)."""
    institution = g.public_institution
    body = {
        "institution": {"name": institution.full_name, "edrpou": institution.edrpou},
        "source": url_for(".institution", _external=True),
        "results": _data_rows(),
        "monitoring_programmes": [
            {
                "id": item.id,
                "subject": item.subject,
                "approved_by": item.approval_text,
                "published_on": item.published_at.date().isoformat(),
                "results": item.results,
                "url": url_for(".programme", monitoring_programme_id=item.id, _external=True),
            }
            for item in queries.published_programmes()
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/data.csv")
@public_view
def data_csv():
    """The published results as open data (CSV, UTF-8 with BOM for spreadsheets)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DATA_COLUMNS)
    writer.writeheader()
    writer.writerows(_data_rows())
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f"attachment; filename={g.public_institution.slug}-results.csv"
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# The founder's public page.


@founder_bp.url_value_preprocessor
def enter_founder(endpoint, values) -> None:
    found = enter_founder_by_slug(values.pop("founder_slug", ""))
    if found is None:
        abort(404)
    g.public_founder, g.public_institutions = found


@founder_bp.url_defaults
def add_founder_slug(endpoint, values) -> None:
    if "public_founder" in g:
        values.setdefault("founder_slug", g.public_founder.slug)


@founder_bp.get("/")
@public_view
def founder():
    """The founder's institutions (alphabetically) and what each published."""
    institutions = g.public_institutions
    summaries = public.founder_summaries([i.id for i in institutions])
    response = Response(
        render_template(
            T + "founder.html",
            founder=g.public_founder,
            institutions=institutions,
            summaries=summaries,
        )
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
