"""The regulation end to end in a real browser, at the demo's second kindergarten
(«Веселка», which has no regulation yet): the methodologist composes the draft and
edits a section in place, a parent comments through the public link, the proposal
is accepted, the text is revised and compared, the council's approval is recorded,
the director approves it by order (an early date is warned about) and publishes it,
and both acknowledge it."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under DOZQ_TEST_STRICT)
    expect = None

from tests.browser.conftest import PHONE, error_log, log_in

pytestmark = pytest.mark.browser

SLUG = "zdo-2-veselka"
REGULATION = f"/i/{SLUG}/regulation/"


def test_regulation_from_draft_to_acknowledgement(live_server, new_page):
    methodologist = new_page()
    log_in(methodologist, "methodologist@example.com")
    methodologist.goto(REGULATION)
    expect(methodologist.get_by_role("heading", level=1)).to_have_text(
        "Положення про внутрішню систему забезпечення якості освіти"
    )

    # The draft, composed from the configuration.
    methodologist.get_by_role("button", name="Скласти проєкт Положення").click()
    expect(methodologist.get_by_role("heading", level=1)).to_contain_text("Редакція 1")
    expect(methodologist.locator(".page-head")).to_contain_text(
        "ПОЛОЖЕННЯ про внутрішню систему забезпечення якості освіти закладу дошкільної освіти "
        "(дитячий садок) № 2 «Веселка»"
    )
    expect(
        methodologist.locator("nav[aria-label='Етапи підготовки Положення'] [aria-current='step']")
    ).to_contain_text("чернетка")
    edition_url = methodologist.url
    assert re.fullmatch(rf"{re.escape(live_server.url(REGULATION))}\d+", edition_url)

    # A section edited in place (htmx): same document, the new text shown.
    methodologist.evaluate("() => { window.dozqSameDocument = true; }")
    goals = methodologist.locator("#section-goals")
    goals.get_by_role("link", name="Редагувати розділ 2").click()
    goals.get_by_label("Текст розділу").fill(
        "Мета внутрішної системи – якісна дошкільна освіта.\n\n- радісне дитинство\n- безпека"
    )
    goals.get_by_role("button", name="Зберегти розділ").click()
    expect(methodologist.locator("#section-goals")).to_contain_text("Розділ збережено.")
    expect(methodologist.locator("#section-goals li").first).to_have_text("радісне дитинство")
    assert methodologist.evaluate("() => window.dozqSameDocument === true")

    # Discussion: the public link for parents.
    methodologist.get_by_role("button", name="Винести на обговорення").click()
    expect(methodologist.locator(".flash-success")).to_contain_text("винесено на обговорення")
    public_link = methodologist.get_by_label("Посилання для батьків").input_value()
    assert public_link.startswith(live_server.url("/obgovorennia/"))

    # A parent, on a phone, without an account.
    parent = new_page(viewport=PHONE)
    parent.goto(public_link)
    expect(parent.get_by_role("heading", level=1)).to_have_text("Обговорення проєкту Положення")
    expect(parent.get_by_text("Мета внутрішної системи – якісна дошкільна освіта.")).to_be_visible()
    parent.get_by_label("Розділ", exact=True).select_option(
        label="2. Мета та цілі внутрішньої системи"
    )
    parent.get_by_label("Пропозиція або зауваження", exact=True).fill(
        "Виправте, будь ласка, «внутрішної»."
    )
    parent.get_by_label("Хто ви (необов'язково)").fill("мама Олесі")
    parent.get_by_role("button", name="Надіслати пропозицію").click()
    expect(parent.locator(".flash-success")).to_contain_text("Дякуємо!")
    error_log(parent).assert_none()

    # The proposal is accepted with a reason.
    methodologist.goto(edition_url)
    methodologist.get_by_role("link", name="Пропозиції (1)").click()
    proposal = methodologist.locator("article", has_text="Виправте, будь ласка")
    expect(proposal).to_contain_text("Батьки: мама Олесі")
    proposal.get_by_label("Врахувати").check()
    proposal.get_by_label("Пояснення").fill("Виправлено.")
    proposal.get_by_role("button", name="Зберегти рішення").click()
    expect(methodologist.locator(".flash-success")).to_have_text(
        "Рішення щодо пропозиції збережено."
    )
    expect(methodologist.locator("article", has_text="Виправте, будь ласка")).to_contain_text(
        "враховано"
    )

    # Revision: a new version where the text is corrected.
    methodologist.goto(edition_url)
    methodologist.get_by_label("Що доопрацьовується (необов'язково)").fill(
        "За пропозиціями батьків"
    )
    methodologist.get_by_role("button", name="Завершити обговорення й доопрацювати").click()
    expect(methodologist.locator(".flash-success")).to_contain_text("створено нову версію")
    methodologist.locator("#section-goals").get_by_role("link", name="Редагувати розділ 2").click()
    methodologist.locator("#section-goals").get_by_label("Текст розділу").fill(
        "Мета внутрішньої системи – якісна дошкільна освіта.\n\n- радісне дитинство\n- безпека"
    )
    methodologist.locator("#section-goals").get_by_role("button", name="Зберегти розділ").click()
    expect(methodologist.locator("#section-goals")).to_contain_text("Розділ збережено.")

    # The two versions side by side.
    methodologist.get_by_role("link", name="Порівняти версії").click()
    expect(methodologist.get_by_role("heading", level=1)).to_have_text("Порівняння версій")
    expect(methodologist.get_by_text("Змінено розділів: 1 з")).to_be_visible()
    expect(methodologist.locator("del", has_text="внутрішної")).to_be_visible()
    expect(methodologist.locator("ins", has_text="внутрішньої")).to_be_visible()

    # The council's approval.
    methodologist.goto(edition_url)
    methodologist.get_by_role("link", name="Схвалення педагогічною радою").click()
    methodologist.get_by_label("Номер протоколу").fill("1")
    methodologist.get_by_label("Дата засідання").fill("2025-08-28")
    methodologist.get_by_role("button", name="Зафіксувати схвалення").click()
    expect(methodologist.locator(".flash-success")).to_contain_text("Схвалення педагогічною радою")
    expect(methodologist.get_by_role("heading", level=1)).to_contain_text(
        "схвалено педагогічною радою"
    )
    # The methodologist may not approve by order.
    expect(methodologist.get_by_role("link", name="Затвердити наказом")).to_have_count(0)
    error_log(methodologist).assert_none()

    # The director: the order (dated before the council: a warning, not a refusal).
    director = new_page()
    log_in(director, "director.veselka@example.com")
    director.goto(edition_url)
    director.get_by_role("link", name="Затвердити наказом").click()
    director.get_by_label("Номер наказу").fill("15-о/д")
    director.get_by_label("Дата наказу").fill("2025-08-27")
    director.get_by_role("button", name="Зафіксувати затвердження").click()
    expect(director.locator(".flash-success")).to_contain_text("Затвердження наказом зафіксовано")
    expect(director.locator(".flash-warning").first).to_contain_text(
        "раніше, ніж педагогічна рада схвалила Положення"
    )

    # Publication: it is in force.
    director.get_by_role("button", name="Оприлюднити").click()
    expect(director.get_by_role("heading", level=1)).to_contain_text("оприлюднено, чинна редакція")

    # Acknowledgements: the director and the methodologist.
    director.get_by_role("button", name="Ознайомлений(-а)").click()
    expect(director.locator(".flash-success")).to_have_text("Дякуємо! Ознайомлення зафіксовано.")
    methodologist.goto(edition_url)
    methodologist.get_by_role("button", name="Ознайомлений(-а)").click()
    methodologist.get_by_role("link", name="Хто ознайомився").click()
    expect(methodologist.locator(".page-head")).to_contain_text("Ознайомилися 2 з 2 працівників.")
    expect(methodologist.locator("#acknowledgements")).to_contain_text("Ірина Василівна Мельник")

    # The regulation page lists it as the one in force.
    director.goto(REGULATION)
    expect(director.locator("#in-force-title + p")).to_contain_text("Редакція 1")
    error_log(director).assert_none()
    error_log(methodologist).assert_none()
