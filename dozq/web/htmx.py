"""Page or fragment: the one rule every view follows."""

from flask import make_response, render_template, request


def is_fragment_request() -> bool:
    """htmx swaps part of the page; boosted links and history restores want it all."""
    hx = getattr(request, "htmx", None)
    return bool(hx) and not (hx.boosted or hx.history_restore_request)


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    """The full page for navigation; only the fragment when htmx swaps part of it."""
    template = fragment if fragment and is_fragment_request() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def render_around(page: str, fragment_html: str, status: int = 200, **context):
    """``render`` for a fragment rendered before (kept in a cache): the full page
    shows it where its template would be included; htmx gets it alone."""
    if is_fragment_request():
        response = make_response(fragment_html, status)
    else:
        response = make_response(render_template(page, **context), status)
    response.vary.add("HX-Request")
    return response
