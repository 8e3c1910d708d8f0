"""Publication end to end in a real browser, with the demo data: the director of
«Сонечко» publishes a monitoring programme; the public page (no sign-in, on a phone)
shows it and the self-assessment published in the demo, with levels; the founder's
heat map shows the levels; the embed page may be framed."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under DOZQ_TEST_STRICT)
    expect = None

from tests.browser.conftest import PHONE, error_log, log_in

pytestmark = pytest.mark.browser

SLUG = "zdo-1-sonechko"
SUBJECT = "Адаптація дітей раннього віку (браузерний тест)"


def test_programme_published_shows_on_public_page_and_heat_map(live_server, new_page):
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
    expect(visitor.locator("#cycles-title")).to_be_visible()
    assert visitor.locator("td[class^='level-']").count() > 0
    visitor.get_by_role("link", name=SUBJECT).click()
    expect(visitor.get_by_role("heading", level=1)).to_contain_text(SUBJECT)
    expect(visitor.locator(".page-head")).to_contain_text("наказ № 17-о/д від 01.09.2026")
    error_log(visitor).assert_none()

    founder = new_page()
    log_in(founder, "founder@example.com")
    founder.goto("/f/sonyachne/dashboard/")
    expect(founder.get_by_role("heading", level=1)).to_have_text("Огляд закладів")
    expect(founder.locator("#founder-board")).to_contain_text("ЗДО № 1 «Сонечко»")
    error_log(founder).assert_none()
