"""Filling a DOCX template with a context: always escaped, always with our filters.

docxtpl leaves autoescaping off by default, and then an «&» in a name silently
disappears from the document; here it is always on. Images arrive in a context
as ``Picture`` (PNG bytes and a width) and become docxtpl's ``InlineImage``
of the template being rendered.
"""

import io
from dataclasses import dataclass
from pathlib import Path

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined, Undefined

from dozq.documents.wording import blank, capitalise
from dozq.web.filters import date_uk


@dataclass(frozen=True)
class Picture:
    """An image for a document: PNG bytes drawn on the server, printed ``width_mm`` wide."""

    data: bytes
    width_mm: int = 160


def make_env(strict: bool = False) -> Environment:
    env = Environment(autoescape=True, undefined=StrictUndefined if strict else Undefined)
    env.filters["date_uk"] = date_uk
    env.filters["blank"] = blank
    env.filters["capitalise"] = capitalise
    return env


def _pictures(template: DocxTemplate, value):
    """Picture → InlineImage, wherever it sits in the context (dicts and lists too)."""
    if isinstance(value, Picture):
        return InlineImage(template, io.BytesIO(value.data), width=Mm(value.width_mm))
    if isinstance(value, dict):
        return {key: _pictures(template, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_pictures(template, item) for item in value]
    return value


def _has_pictures(value) -> bool:
    if isinstance(value, Picture):
        return True
    if isinstance(value, dict):
        return any(_has_pictures(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_pictures(item) for item in value)
    return False


def render(template: str | Path | bytes, context: dict, *, strict: bool = False) -> bytes:
    """The filled document as DOCX bytes. ``template`` is a path or the file's bytes;
    ``strict`` makes an unknown variable or attribute an error (checking uploads)."""
    source = io.BytesIO(template) if isinstance(template, bytes) else template
    document = DocxTemplate(source)
    if _has_pictures(context):
        context = _pictures(document, context)
    document.render(context, jinja_env=make_env(strict), autoescape=True)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def template_variables(template: str | Path | bytes) -> set[str]:
    """The variables a template uses (Jinja syntax errors propagate)."""
    source = io.BytesIO(template) if isinstance(template, bytes) else template
    return set(DocxTemplate(source).get_undeclared_template_variables(make_env()))
