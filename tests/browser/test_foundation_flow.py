"""The foundation end to end in a real browser: a founder's administrator adds an
institution and invites its head by e-mail; the head joins through the link and
edits the institution's profile in place (htmx), errors included."""

import random
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under DOZQ_TEST_STRICT)
    expect = None

from tests.browser.conftest import PHONE, error_log, log_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "пароль-керівника-2025"


def unique_number() -> str:
    """Digits only: names stay Ukrainian (the crawl checks for Latin words)."""
    return str(random.randrange(10**5, 10**6))


def field_value(page, label: str) -> str:
    return page.get_by_label(label, exact=True).input_value()


def prop(page, term: str):
    """The <dd> next to the <dt> ``term`` of the profile."""
    return page.locator(f"#profile-props dt:text-is('{term}') + dd")


def mark_document(page) -> None:
    """A flag that lives as long as this document: a full page load drops it."""
    page.evaluate("() => { window.dozqSameDocument = true; }")


def assert_same_document(page, url: str) -> None:
    assert page.url == url, f"the address changed to {page.url}"
    assert page.evaluate("() => window.dozqSameDocument === true"), "the whole page was reloaded"


def test_founder_adds_institution_and_its_head_edits_the_profile(live_server, new_page):
    number = unique_number()
    short_name = f"ЗДО № {number} «Ромашка»"
    director_name = f"Оксана Тестова {number}"
    director_email = f"head.{number}@example.com"

    # The founder's administrator adds an institution.
    founder = new_page()
    log_in(founder, "founder@example.com")
    assert founder.url == live_server.url("/f/sonyachne/")
    founder.get_by_role("link", name="Додати заклад").click()
    expect(founder).to_have_url(live_server.url("/f/sonyachne/institutions/new"))
    expect(founder.get_by_role("heading", level=1)).to_have_text("Новий заклад")
    founder.get_by_label("Повна назва").fill(
        f"Заклад дошкільної освіти (дитячий садок) № {number} «Ромашка» Сонячненської міської ради"
    )
    founder.get_by_label("Скорочена назва").fill(short_name)
    founder.get_by_label("Тип закладу").select_option(label="дитячий садок")
    founder.get_by_label("Код ЄДРПОУ").fill(f"42{number}")
    founder.get_by_label("Телефон").fill("+380 44 111 11 11")
    founder.get_by_role("button", name="Зберегти").click()
    expect(founder.get_by_role("heading", level=1)).to_have_text(short_name)
    assert re.fullmatch(
        rf"{re.escape(live_server.base_url)}/f/sonyachne/institutions/\d+", founder.url
    )
    expect(founder.locator(".flash-success")).to_contain_text(f"Заклад «{short_name}» створено")
    expect(prop(founder, "Тип закладу")).to_have_text("дитячий садок")
    institution_page = founder.url

    # … and invites its head.
    founder.get_by_role("link", name="Запросити керівника").click()
    expect(founder.get_by_role("heading", level=1)).to_have_text(f"Запросити до: {short_name}")
    expect(founder.get_by_label("Роль")).to_have_count(0)  # a head is all one can invite here
    founder.get_by_label("Прізвище, ім'я, по батькові").fill(director_name)
    founder.get_by_label("Електронна пошта").fill(director_email)
    founder.get_by_role("button", name="Надіслати запрошення").click()
    expect(founder).to_have_url(institution_page)
    expect(founder.locator(".flash-success")).to_have_text(
        f"Запрошення надіслано на {director_email}."
    )
    expect(founder.get_by_role("heading", name="Надіслані запрошення")).to_be_visible()
    expect(founder.get_by_text(f"{director_name} ({director_email})")).to_be_visible()
    error_log(founder).assert_none()

    # The letter carries a link to this server.
    letter = live_server.mail_to(director_email)[-1]
    assert letter["subject"] == "Запрошення до dozq"
    assert short_name in letter["body"]
    link = live_server.link_in_mail_to(director_email)
    assert link.startswith(live_server.url("/invite/"))

    # The head opens it on a phone, sets a password and is signed in.
    head = new_page(viewport=PHONE)
    head.goto(link)
    expect(head.get_by_role("heading", level=1)).to_have_text("Запрошення до dozq")
    expect(head.get_by_text("керівник закладу", exact=True)).to_be_visible()
    expect(head.get_by_label("Прізвище, ім'я, по батькові")).to_have_value(director_name)
    head.get_by_label("Новий пароль").fill(NEW_PASSWORD)
    head.get_by_label("Повторіть пароль").fill(NEW_PASSWORD)
    head.get_by_role("button", name="Прийняти запрошення").click()
    expect(head.get_by_role("heading", level=1)).to_have_text(short_name)
    assert re.fullmatch(rf"{re.escape(live_server.base_url)}/i/[a-z0-9-]+/", head.url), head.url
    expect(head.locator(".flash-success")).to_contain_text("Запрошення прийнято")
    expect(head.locator(".context-bar")).to_contain_text("Роль: керівник закладу")
    expect(head.locator(".user-menu")).to_contain_text(director_name)

    # The profile, from the menu.
    menu = head.get_by_role("navigation", name="Головне меню")
    menu.get_by_role("link", name="Профіль закладу").click()
    expect(head.get_by_role("heading", level=1)).to_have_text("Профіль закладу")
    expect(menu.get_by_role("link", name="Профіль закладу")).to_have_attribute(
        "aria-current", "page"
    )
    expect(prop(head, "Телефон")).to_have_text("+380 44 111 11 11")
    profile_url = head.url
    assert profile_url.endswith("/profile")

    # «Редагувати профіль» swaps the form in place: same address, same document.
    mark_document(head)
    head.get_by_role("link", name="Редагувати профіль").click()
    expect(head.locator("#profile-form")).to_be_visible()
    # Typing starts once htmx has settled the swap (a person is never faster than
    # that; the test was, and now and then typed into a form about to be replaced).
    head.wait_for_load_state("networkidle")
    assert_same_document(head, profile_url)
    expect(head.get_by_role("heading", level=1)).to_have_text("Профіль закладу")
    expect(head.get_by_label("Скорочена назва")).to_have_value(short_name)

    # A wrong ЄДРПОУ: the form comes back (422) with the error beside the field,
    # and everything else typed is still there.
    head.get_by_label("Код ЄДРПОУ").fill("1234")
    head.get_by_label("Адреса").fill(f"вул. Садова, {number}, м. Сонячне")
    head.get_by_label("Телефон").fill("+380 67 222 22 22")
    with head.expect_response(
        lambda response: response.request.method == "POST" and "/profile/edit" in response.url
    ) as answer:
        head.get_by_role("button", name="Зберегти").click()
    assert answer.value.status == 422
    edrpou = head.get_by_label("Код ЄДРПОУ")
    error = head.locator(".field.has-error", has=head.locator("#edrpou")).locator(".error")
    expect(error).to_have_text("Код ЄДРПОУ складається з 8 цифр.")
    expect(edrpou).to_have_attribute("aria-invalid", "true")
    expect(edrpou).to_have_attribute("aria-describedby", re.compile(r"\bedrpou-error\b"))
    expect(head.get_by_role("alert")).to_have_text("Форму не збережено: виправте позначені поля.")
    assert field_value(head, "Код ЄДРПОУ") == "1234"
    assert field_value(head, "Адреса") == f"вул. Садова, {number}, м. Сонячне"
    assert field_value(head, "Телефон") == "+380 67 222 22 22"
    assert field_value(head, "Скорочена назва") == short_name
    assert_same_document(head, profile_url)

    # Corrected, it saves; the profile shows the new values in place, and says so.
    head.get_by_label("Код ЄДРПОУ").fill(f"43{number}")
    with head.expect_response(
        lambda response: response.request.method == "POST" and "/profile/edit" in response.url
    ) as saved:
        head.get_by_role("button", name="Зберегти").click()
    assert saved.value.status == 200
    expect(head.locator("#profile-form")).to_have_count(0)
    expect(head.get_by_role("status")).to_have_text("Профіль збережено.")
    expect(head.get_by_role("status")).to_be_focused()
    expect(prop(head, "Телефон")).to_have_text("+380 67 222 22 22")
    expect(prop(head, "Адреса")).to_have_text(f"вул. Садова, {number}, м. Сонячне")
    expect(prop(head, "Код ЄДРПОУ")).to_have_text(f"43{number}")
    assert_same_document(head, profile_url)

    # Saved for good: a fresh load shows the same, and so does the founder's page.
    head.reload()
    expect(prop(head, "Телефон")).to_have_text("+380 67 222 22 22")
    founder.goto(institution_page)
    expect(prop(founder, "Телефон")).to_have_text("+380 67 222 22 22")
    expect(founder.get_by_role("heading", name="Керівники в dozq")).to_be_visible()
    expect(founder.get_by_text(f"{director_name} ({director_email})")).to_be_visible()

    # The rejected save (422) is the only thing the console may mention.
    problems = error_log(head).since(ignore_status_of=f"{profile_url}/edit")
    assert not problems, "the browser reported problems:\n  " + "\n  ".join(problems)
    error_log(founder).assert_none()
