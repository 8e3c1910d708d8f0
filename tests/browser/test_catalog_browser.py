"""The catalog in a real browser: the methodologist of the demo's first institution
switches an indicator off, adds an own indicator and moves a criterion up with the
keyboard (htmx, no page reload); the director then sees the same catalog."""

import random
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under DOZQ_TEST_STRICT)
    expect = None

from dozq.tenancy.services import slugify
from tests.browser.conftest import error_log, log_in

pytestmark = pytest.mark.browser

CATALOG = f"/i/{slugify('ЗДО № 1 «Сонечко»')}/catalog/"
CODE = re.compile(r"\s(\d\S*)")


def row(page, code: str):
    """The table row of the item with ``code``."""
    header = page.locator("th").filter(has_text=re.compile(rf"\s{re.escape(code)}(\s|$)"))
    return page.locator("#catalog-tree tbody tr").filter(has=header)


def codes_in_order(page) -> list[str]:
    return [
        CODE.search(text).group(1)
        for text in page.locator("#catalog-tree tbody th").all_inner_texts()
    ]


def mark_document(page) -> None:
    page.evaluate("() => { window.dozqSameDocument = true; }")


def same_document(page) -> bool:
    return page.evaluate("() => window.dozqSameDocument === true")


def test_methodologist_shapes_the_catalog_and_the_director_sees_it(live_server, new_page):
    text = f"Діти охоче розповідають про свої досягнення, група № {random.randrange(10**5, 10**6)}"

    methodologist = new_page()
    log_in(methodologist, "methodologist@example.com")
    methodologist.goto(CATALOG)
    expect(methodologist.get_by_role("heading", level=1)).to_have_text("Критерії та індикатори")
    expect(methodologist.locator(".page-head")).to_contain_text("Стартовий каталог dozq")
    expect(row(methodologist, "1.С1.1.1")).to_contain_text(
        "написано dozq за текстом методичних рекомендацій, не офіційне формулювання додатка"
    )
    mark_document(methodologist)

    # Switch an indicator off: it stays in the catalog, greyed, marked «вимкнено».
    methodologist.get_by_role("button", name="Вимкнути 1.С1.1.1", exact=True).click()
    expect(row(methodologist, "1.С1.1.1")).to_have_class("muted")
    expect(row(methodologist, "1.С1.1.1").locator(".badge")).to_have_text("вимкнено")
    expect(
        methodologist.get_by_role("button", name="Увімкнути 1.С1.1.1", exact=True)
    ).to_be_visible()
    assert same_document(methodologist), "switching off reloaded the whole page"

    # Move criterion 1.С1.2 above 1.С1.1 with the keyboard; the focus stays on the button.
    order = codes_in_order(methodologist)
    assert order.index("1.С1.1") < order.index("1.С1.2")
    up = methodologist.get_by_role("button", name="Вгору 1.С1.2", exact=True)
    up_id = up.get_attribute("id")
    up.focus()
    methodologist.keyboard.press("Enter")
    expect(
        methodologist.locator("#catalog-tree tbody th").nth(order.index("1.С1.1"))
    ).to_contain_text("1.С1.2")
    assert same_document(methodologist), "moving reloaded the whole page"
    expect(methodologist.locator(f"#{up_id}")).to_be_focused()
    order = codes_in_order(methodologist)
    # The criterion moved with its indicators.
    assert order.index("1.С1.2") < order.index("1.С1.2.1") < order.index("1.С1.1")

    # Add an own indicator to criterion 1.С1.2 (a forgotten wording is explained first).
    methodologist.get_by_role("link", name="Додати індикатор до 1.С1.2", exact=True).click()
    expect(methodologist.get_by_role("heading", level=1)).to_have_text("Додати індикатор")
    new_item_url = methodologist.url
    code = methodologist.get_by_label("Код", exact=True).input_value()
    assert code.startswith("1.С1.2.")
    methodologist.get_by_role("button", name="Додати", exact=True).click()
    expect(methodologist.locator("#text-error")).to_have_text("Введіть формулювання.")
    methodologist.get_by_label("Формулювання", exact=True).fill(text)
    methodologist.get_by_label("спостереження", exact=True).check()
    methodologist.get_by_role("button", name="Додати", exact=True).click()
    expect(methodologist.locator(".flash-success")).to_contain_text(f"Додано індикатор {code}")
    own = row(methodologist, code)
    expect(own).to_contain_text(text)
    expect(own).to_contain_text("власне формулювання закладу")
    expect(own).to_contain_text("спостереження")
    assert error_log(methodologist).since(ignore_status_of=new_item_url) == []

    # The director sees the same catalog.
    director = new_page()
    log_in(director, "director@example.com")
    director.goto(CATALOG)
    expect(row(director, "1.С1.1.1")).to_have_class("muted")
    expect(row(director, "1.С1.1.1").locator(".badge")).to_have_text("вимкнено")
    expect(row(director, code)).to_contain_text(text)
    order = codes_in_order(director)
    assert order.index("1.С1.2") < order.index(code) < order.index("1.С1.1")
    error_log(director).assert_none()
