"""Reading catalogs from YAML, XLSX, CSV and DOCX files into ``ParsedCatalog``.

``stage`` reads an uploaded file into a small, format-neutral form (the YAML
text, or the table's rows of cell texts); ``parse`` builds the catalog from it,
optionally with a corrected column mapping. The web preview carries the staged
form between requests, signed, so that the user can correct the mapping
without uploading the file again.
"""

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from dozq.catalog.importers.tables import (
    Recognition,
    TableSource,
    interpret,
    read_table_file,
    unsupported_message,
)
from dozq.catalog.importers.yaml_source import parse_yaml_text
from dozq.catalog.tree import ImportFailure, ParsedCatalog

YAML_SUFFIXES = {"yaml", "yml"}
ZIP_SUFFIXES = {"docx", "xlsx"}
SUFFIXES = ("yaml", "yml", "xlsx", "csv", "docx")


@dataclass
class Preview:
    catalog: ParsedCatalog
    #: Columns recognised in a table (None for YAML).
    recognition: Recognition | None


def suffix_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def stage(filename: str, data: bytes) -> dict:
    """The file as rows (tables) or text (YAML); ``ImportFailure`` if unreadable."""
    suffix = suffix_of(filename)
    if not data:
        raise ImportFailure("файл порожній.")
    if suffix in YAML_SUFFIXES:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFailure("YAML-файл має бути в кодуванні UTF-8.") from None
        return {"kind": "yaml", "filename": filename, "text": text}
    if suffix in ZIP_SUFFIXES and not data.startswith(b"PK"):
        raise ImportFailure(f"файл має розширення .{suffix}, але не є документом цього формату.")
    if suffix not in SUFFIXES:
        raise ImportFailure(unsupported_message(suffix))
    return {"kind": "table", "source": read_table_file(filename, data).to_dict()}


def parse(staged: dict, roles: list[str] | None = None) -> Preview:
    """The catalog in a staged file; ``roles`` corrects the recognised columns."""
    if staged["kind"] == "yaml":
        catalog = parse_yaml_text(staged["text"])
        filename, recognition = staged["filename"], None
    else:
        source = TableSource.from_dict(staged["source"])
        catalog, recognition = interpret(source, roles)
        filename = source.filename
    if not catalog.name:
        catalog.name = Path(filename).stem[:200]
    return Preview(catalog, recognition)


def read_path(path: Path) -> ParsedCatalog:
    """A catalog file from disk (the command line), columns recognised automatically."""
    return parse(stage(path.name, path.read_bytes())).catalog


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="dozq.catalog.import")


def dump_staged(staged: dict) -> str:
    return _serializer().dumps(staged)


def load_staged(token: str) -> dict | None:
    """The staged file from a preview form, or None if it was tampered with."""
    try:
        return _serializer().loads(token or "")
    except BadSignature:
        return None


__all__ = [
    "ImportFailure",
    "Preview",
    "dump_staged",
    "load_staged",
    "parse",
    "read_path",
    "stage",
]
