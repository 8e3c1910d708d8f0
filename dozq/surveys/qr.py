"""QR codes (segno) of public links and single-use codes, for screens and printing."""

import io

import segno
from markupsafe import Markup, escape


def _qr(url: str):
    return segno.make(url, error="m")


def inline_svg(url: str, label: str, css_class: str = "qr") -> Markup:
    """An accessible inline ``<svg role="img">`` (no style attributes)."""
    svg = _qr(url).svg_inline(scale=4, svgclass=css_class, lineclass=None, omitsize=True)
    return Markup(
        svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1)
    )


def svg_file(url: str, title: str) -> bytes:
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="svg", scale=10, border=4, title=title, xmldecl=True)
    return buffer.getvalue()


def png_file(url: str) -> bytes:
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=12, border=4)
    return buffer.getvalue()
