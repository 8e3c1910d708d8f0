"""Publication end to end in a real browser, with the demo data.

A self-assessment cycle: «Веселка» has a cycle of last school year discussed at the
pedagogical council (prepared with the app's own services: the demo has none at
that step); before it is published the founder's heat map says «не оприлюднено»
for it. Its director publishes it on the cycle's page; the public page (no
sign-in, on a phone) and the embeddable page show it with its levels by
direction; the founder's heat map for that school year then shows those levels.

A monitoring programme: the director of «Сонечко» publishes one; the public page
shows it with the order that approved it.
"""

import random
import re
from datetime import date

import pytest
from sqlalchemy import select

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under DOZQ_TEST_STRICT)
    expect = None

from tests.browser.conftest import PHONE, error_log, log_in

pytestmark = pytest.mark.browser

SLUG = "zdo-1-sonechko"
SUBJECT = "Адаптація дітей раннього віку (браузерний тест)"

VESELKA = "ЗДО № 2 «Веселка»"
VESELKA_SLUG = "zdo-2-veselka"
VESELKA_DIRECTOR = "director.veselka@example.com"
#: The score every indicator of a direction gets, and what the direction then shows
#: on the institution's (default) scale.
SCORES = {"1": "3.5", "3": "2.4"}
LEVELS = {
    "1": ("3,50 — другий (достатній)", "level-2"),
    "3": ("2,40 — третій (вимагає покращення)", "level-3"),
}
PUBLICATION_URL = "https://veselka.example.com/samootsiniuvannia"


def number() -> str:
    """Digits only: names stay Ukrainian (the crawl checks for Latin words)."""
    return str(random.randrange(10**5, 10**6))


def discussed_cycle(app, title: str, school_year: int) -> int:
    """A comprehensive cycle of «Веселка» at «обговорено»: directions 1 and 3 rated
    (``SCORES``), the council meeting recorded; made with the app's own services,
    as the director and the working group would. Its id."""
    from dozq.assessment import services
    from dozq.assessment.models import CycleStatus
    from dozq.auth.models import User
    from dozq.catalog import queries as catalog_queries
    from dozq.catalog import services as catalog_services
    from dozq.catalog.models import CatalogItem, ItemKind
    from dozq.db import db
    from dozq.tenancy.models import Role
    from dozq.tenancy.scope import Scope, tenant_scope
    from dozq.tenancy.services import all_institutions

    with app.app_context():
        director = db.session.scalar(select(User).where(User.email == VESELKA_DIRECTOR))
        institution = next(i for i in all_institutions() if i.slug == VESELKA_SLUG)
        starter = catalog_services.ensure_starter()
        with tenant_scope(db.session, Scope.for_institution(institution)):
            if catalog_queries.active_catalog() is None:
                catalog_services.adopt(director, starter)
            cycle = services.create_cycle(
                director,
                {
                    "title": title,
                    "school_year": school_year,
                    "starts_on": date(school_year, 10, 1),
                    "ends_on": date(school_year + 1, 5, 31),
                    "model_kind": "annual_comprehensive",
                    "scope_kind": "all",
                },
            )
            services.add_member(director, cycle, {"group_role": "head"}, director)
            for target in (CycleStatus.COLLECTING, CycleStatus.GENERALISING, CycleStatus.RATING):
                services.transition(director, Role.DIRECTOR, cycle, target)
            indicators = db.session.scalars(
                select(CatalogItem)
                .where(
                    CatalogItem.catalog_id == cycle.catalog_id,
                    CatalogItem.kind == ItemKind.INDICATOR,
                )
                .order_by(CatalogItem.id)
            ).all()
            rated = 0
            for indicator in indicators:
                score = SCORES.get(indicator.code.split(".")[0])
                if score is None:
                    continue
                services.rate_indicator(
                    director,
                    cycle,
                    indicator,
                    {
                        "score": score,
                        "narrative": "Спостереження та вивчення документації.",
                        "justification": "Бал відповідає зібраним доказам.",
                    },
                    0,
                )
                rated += 1
            assert rated, "the starter catalog has no indicators of directions 1 and 3"
            services.record_council_discussion(
                director,
                cycle,
                {
                    "held_on": date(school_year + 1, 5, 27),
                    "protocol_number": "№ 4",
                    "decisions": "Схвалити результати самооцінювання.",
                },
            )
            services.transition(director, Role.DIRECTOR, cycle, CycleStatus.DISCUSSED)
            db.session.commit()
            return cycle.id


def heat_map_row(page, institution: str):
    """The heat map's row of ``institution``."""
    return page.locator("#founder-board tbody tr").filter(
        has=page.get_by_role("rowheader", name=institution)
    )


def heat_map_cell(page, institution: str, code: str):
    """The heat map's cell of ``institution`` in the column of direction ``code``."""
    headers = page.locator("#founder-board thead th")
    expect(headers.filter(has_text=re.compile(rf"^Напрям {code}$"))).to_have_count(1)
    column = [text.strip() for text in headers.all_inner_texts()].index(f"Напрям {code}")
    return heat_map_row(page, institution).locator("th, td").nth(column)


def test_cycle_published_shows_on_public_page_and_heat_map(live_server, new_page):
    from dozq.quality_system.services import current_school_year

    year = current_school_year() - 1
    year_text = f"{year}/{year + 1}"
    title = f"Комплексне самооцінювання «Веселки» {number()}"
    cycle_id = discussed_cycle(live_server.app, title, year)

    # Before: the founder sees the cycle discussed, its levels not published. (The
    # heat map has the directions' columns: «Сонечко» published that year's results.)
    founder = new_page()
    log_in(founder, "founder@example.com")
    founder.goto("/f/sonyachne/dashboard/")
    founder.get_by_label("Навчальний рік", exact=True).select_option(label=year_text)
    expect(founder.locator("#heat-title")).to_have_text(f"Заклади: {year_text} навчальний рік")
    row = heat_map_row(founder, VESELKA)
    expect(row).to_contain_text(title)
    expect(row.locator(".badge")).to_have_text("обговорено")
    for code in LEVELS:
        cell = heat_map_cell(founder, VESELKA, code)
        expect(cell).to_have_text("не оприлюднено")
        expect(cell).to_have_class("level-none")
    error_log(founder).assert_none()

    # The director publishes the results on the cycle's page.
    director = new_page()
    log_in(director, VESELKA_DIRECTOR)
    director.goto(f"/i/{VESELKA_SLUG}/self-assessment/")
    director.get_by_role("link", name=title).click()
    expect(director.get_by_role("heading", level=1)).to_contain_text(title)
    expect(director.locator("#cycle-state")).to_contain_text("обговорено")
    director.get_by_label("Адреса сторінки з результатами").fill(PUBLICATION_URL)
    director.get_by_role("button", name="Позначити як оприлюднене").click()
    expect(director.locator("#cycle-state")).to_contain_text("оприлюднено")
    expect(director.get_by_role("link", name=PUBLICATION_URL)).to_be_visible()
    error_log(director).assert_none()

    # The public page, no sign-in, on a phone: the cycle with its levels by direction.
    visitor = new_page(viewport=PHONE)
    visitor.goto(f"/p/{VESELKA_SLUG}/")
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("«Веселка»")
    results = visitor.locator("section").filter(has=visitor.locator("#cycles-title"))
    expect(results.get_by_role("link", name=title)).to_be_visible()
    table = results.get_by_role("table", name=f"Рівні за напрямами та вимогами: {title}")
    for code, (text, css) in LEVELS.items():
        cell = table.get_by_role("row", name=re.compile(rf"^{code} ")).get_by_role("cell")
        expect(cell).to_have_text(text)
        expect(cell).to_have_class(css)
    results.get_by_role("link", name=title).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(title)
    expect(visitor.locator(".page-head")).to_contain_text(f"Навчальний рік {year_text}.")
    expect(visitor.locator(".page-head")).to_contain_text("Оприлюднено")
    assert visitor.url.endswith(f"/p/{VESELKA_SLUG}/self-assessment/{cycle_id}")
    levels = visitor.get_by_role("table", name="Рівні за напрямами та вимогами")
    for code, (text, css) in LEVELS.items():
        cell = levels.get_by_role("row", name=re.compile(rf"^{code} ")).get_by_role("cell")
        expect(cell).to_have_text(text)
        expect(cell).to_have_class(css)
    # The embeddable version shows the same and may be framed by any site.
    response = visitor.goto(f"/p/{VESELKA_SLUG}/embed")
    assert response is not None and response.ok
    assert "frame-ancestors *" in response.headers.get("content-security-policy", "")
    expect(visitor.get_by_role("link", name=title)).to_be_visible()
    error_log(visitor).assert_none()

    # After: the founder's heat map for that school year shows the published levels.
    founder.reload()
    expect(founder.locator("#heat-title")).to_have_text(f"Заклади: {year_text} навчальний рік")
    row = heat_map_row(founder, VESELKA)
    expect(row).to_contain_text(title)
    expect(row.locator(".badge")).to_have_text("оприлюднено")
    expect(row).not_to_contain_text("не оприлюднено")
    for code, (text, css) in LEVELS.items():
        cell = heat_map_cell(founder, VESELKA, code)
        expect(cell).to_have_text(text)
        expect(cell).to_have_class(css)
    error_log(founder).assert_none()


def test_programme_published_shows_on_public_page(live_server, new_page):
    director = new_page()
    log_in(director, "director@example.com")
    director.goto(f"/i/{SLUG}/monitoring/new")
    director.get_by_label("Предмет моніторингу").fill(SUBJECT)
    director.get_by_label("Мета").fill("З'ясувати, як діти адаптуються до закладу.")
    director.get_by_role("button", name="Зберегти").click()
    expect(director.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    director.get_by_label("Номер").fill("17-о/д")
    director.get_by_label("Дата").fill("2026-09-01")
    director.get_by_role("button", name="Оприлюднити").click()
    expect(director.locator(".flash-success")).to_contain_text("Програму оприлюднено")
    error_log(director).assert_none()

    visitor = new_page(viewport=PHONE)
    visitor.goto(f"/p/{SLUG}/")
    expect(visitor.get_by_role("heading", level=1)).to_contain_text("Сонечко")
    expect(visitor.get_by_role("link", name=SUBJECT)).to_be_visible()
    visitor.get_by_role("link", name=SUBJECT).click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text(SUBJECT)
    expect(visitor.locator(".page-head")).to_contain_text("наказ № 17-о/д від 01.09.2026")
    error_log(visitor).assert_none()
