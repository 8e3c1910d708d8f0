"""Template filters: dates as Ukrainians write them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

KYIV = ZoneInfo("Europe/Kyiv")


def date_uk(value: date | datetime | None) -> str:
    """dd.mm.yyyy, in Kyiv time for moments."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(KYIV)
    return value.strftime("%d.%m.%Y")


def datetime_uk(value: datetime | None) -> str:
    """dd.mm.yyyy hh:mm in Kyiv time."""
    if value is None:
        return ""
    return value.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")


def init_filters(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.add_template_filter(date_uk)
    app.add_template_filter(datetime_uk)
