"""Small helpers the catalog's pages share (institution, founder, platform administrator)."""

import re
from urllib.parse import quote

from flask import Response

from dozq.catalog.models import (
    KIND_ACCUSATIVE,
    KIND_LABELS,
    KINDS,
    METHOD_LABELS,
    ORIGIN_LABELS,
    WORDING_LABELS,
    CatalogTemplate,
    WordingStatus,
)
from dozq.catalog.queries import TreeRow, flatten
from dozq.catalog.tree import counts_text
from dozq.db import db

#: Short marks beside each wording; the legend spells them out.
STATUS_SHORT = {
    WordingStatus.OFFICIAL_TEXT: "офіційний текст",
    WordingStatus.QUOTED_BY_ZDO: "офіційне, за цитатою ЗДО",
    WordingStatus.DOZQ_STARTER: "текст dozq",
    WordingStatus.IMPORTED: "імпортовано",
    WordingStatus.OWN: "власне формулювання",
}

LABELS = {
    "kind": {kind: label.capitalize() for kind, label in KIND_LABELS.items()},
    "child": {kind: KIND_ACCUSATIVE[kind.child] for kind in KINDS if kind.child},
    "status": WORDING_LABELS,
    "status_short": STATUS_SHORT,
    "method": METHOD_LABELS,
    "origin": ORIGIN_LABELS,
}


def tree_context(roots: list[TreeRow]) -> dict:
    """The rows of a tree in reading order, how many of each level, and the labels."""
    rows = flatten(roots)
    counts = dict.fromkeys(KINDS, 0)
    for row in rows:
        counts[row.kind] += 1
    return {"rows": rows, "counts": counts, "labels": LABELS, "counts_text": counts_text}


def template_or_none(template_id: int | None) -> CatalogTemplate | None:
    return db.session.get(CatalogTemplate, template_id) if template_id else None


def export_filename(name: str, suffix: str) -> str:
    stem = re.sub(r"[^\w\s.-]", "", name).strip() or "catalog"
    stem = re.sub(r"\s+", "-", stem)[:80]
    return f"{stem}.{suffix}"


def attachment(data: bytes, filename: str, mimetype: str) -> Response:
    """A download with a safe RFC 6266 file name (Cyrillic kept via filename*)."""
    ascii_name = filename.encode("ascii", "ignore").decode().strip("-") or "catalog"
    if ascii_name.startswith(".") or "." not in ascii_name:
        ascii_name = "catalog." + filename.rsplit(".", 1)[-1]
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
