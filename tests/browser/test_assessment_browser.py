"""Self-assessment end to end in a real browser: the director plans a cycle with a
working group and starts it; a teacher records an observation with a photo on a
390-px phone; the methodologist rates an indicator in place (htmx); the director
records the council meeting, marks the results discussed, adds a decision and
publishes the results: the public page and the founder's heat map show them."""

import random
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under DOZQ_TEST_STRICT)
    expect = None

from tests.browser.conftest import PHONE, error_log, log_in
from tests.factories import tiny_png

pytestmark = pytest.mark.browser

SLUG = "zdo-1-sonechko"


def number() -> str:
    """Digits only: names stay Ukrainian (the crawl checks for Latin words)."""
    return str(random.randrange(10**5, 10**6))


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width}px wide"


def test_plan_collect_rate_discuss_decide(live_server, new_page):
    title = f"Самооцінювання для перевірки {number()}"
    base = f"/i/{SLUG}/self-assessment"

    # The director plans the cycle.
    director = new_page()
    log_in(director, "director@example.com")
    director.goto(f"{base}/")
    director.get_by_role("link", name="Запланувати самооцінювання").click()
    expect(director.get_by_role("heading", level=1)).to_have_text("Запланувати самооцінювання")
    director.get_by_label("Назва").fill(title)
    director.get_by_label("Модель самооцінювання").select_option(
        label="Щорічне комплексне самооцінювання"
    )
    director.get_by_label("Обсяг").select_option(label="за всіма напрямами")
    director.get_by_role("button", name="Зберегти").click()
    expect(director.locator(".flash-success")).to_contain_text(f"Самооцінювання «{title}»")
    match = re.search(rf"{base}/(\d+)/plan$", director.url)
    assert match, director.url
    cycle = f"{base}/{match.group(1)}"
    # The demo's regulation is approved by order: no warning about it.
    expect(director.locator("#regulation-warning")).to_have_count(0)

    # … forms the working group in place (htmx) …
    director.get_by_label("Працівник").select_option(label="Марія Олександрівна Ткаченко")
    director.get_by_label("Роль у групі").select_option(label="голова робочої групи")
    director.get_by_label("За що відповідає").fill("Спостереження за освітнім середовищем")
    director.get_by_role("button", name="Додати до робочої групи").click()
    expect(director.locator("#members")).to_contain_text("Марія Олександрівна Ткаченко")
    expect(director.locator("#members")).to_contain_text("голова робочої групи")
    director.get_by_role("button", name="Запланувати методи за каталогом").click()
    expect(director.locator(".flash-success")).to_contain_text("Заплановано методів")

    # … and starts it.
    director.goto(cycle)
    director.get_by_role("button", name="Розпочати самооцінювання").click()
    expect(director.locator("#cycle-state")).to_contain_text("збір інформації")

    # A teacher records an observation on a phone, with a photo.
    teacher = new_page(viewport=PHONE)
    log_in(teacher, "teacher@example.com")
    teacher.goto(f"{cycle}/evidence")
    no_sideways_scroll(teacher)
    teacher.get_by_role("link", name="Спостереження за станом освітнього середовища").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text(
        "Спостереження за станом освітнього середовища"
    )
    no_sideways_scroll(teacher)
    teacher.get_by_label("Група", exact=True).fill("«Бджілка» (середня)")
    teacher.locator("#observers").get_by_label("Марія Олександрівна Ткаченко").check()
    teacher.get_by_label("Інші спостерігачі").fill("Ганна Мельник, батьківський комітет")
    for row, mark in ((1, "3"), (2, "2"), (3, "3")):
        teacher.locator(f"#mark-{row} input[value='{mark}']").check()
    picker = teacher.locator(".indicator-picker")
    first = picker.locator("input[type=checkbox]").first
    indicator_id = first.get_attribute("value")
    first.check()
    teacher.locator("input[type=file]").set_input_files(
        files=[{"name": "фото-1.png", "mimeType": "image/png", "buffer": tiny_png(64, 48)}]
    )
    teacher.get_by_role("button", name="Зберегти спостереження").click()
    expect(teacher.locator(".flash-success")).to_contain_text("Спостереження записано")
    expect(teacher.locator("#evidence-files")).to_contain_text("фото-1.png")
    expect(teacher.locator("#answers")).to_contain_text("так, повною мірою")
    no_sideways_scroll(teacher)
    error_log(teacher).assert_none()

    # The results are generalised and the rating starts (the scale is pinned).
    director.goto(cycle)
    director.get_by_role("button", name="Перейти до узагальнення").click()
    expect(director.locator("#cycle-state")).to_contain_text("узагальнення")
    director.get_by_role("button", name="Перейти до визначення рівнів").click()
    expect(director.locator("#cycle-state")).to_contain_text("визначення рівнів")

    # The methodologist rates the observed indicator in place.
    methodologist = new_page()
    log_in(methodologist, "methodologist@example.com")
    methodologist.goto(f"{cycle}/items/{indicator_id}")
    expect(methodologist.locator("#evidence")).to_contain_text("«Бджілка» (середня)")
    expect(methodologist.locator("#proposal")).to_contain_text("Пропозиція dozq")
    methodologist.get_by_label("Бал", exact=True).fill("3,5")
    methodologist.get_by_label("Опис: що виявлено").fill(
        "Спостереження в групі «Бджілка»: середовище безпечне, фото додано."
    )
    methodologist.get_by_label("Обґрунтування бала").fill("Позначки аркуша та фото.")
    methodologist.get_by_role("button", name="Зберегти бал").click()
    expect(methodologist.locator("#rating")).to_contain_text("Бал збережено")
    expect(methodologist.locator("#current-score")).to_contain_text("3,50")
    methodologist.goto(f"{cycle}/overview")
    expect(methodologist.locator("#matrix")).to_contain_text("3,50")
    error_log(methodologist).assert_none()

    # The director records the council meeting and marks the results discussed.
    director.goto(f"{cycle}/discussion")
    council = director.locator("#council-form")
    council.get_by_label("Номер протоколу").fill("№ 5")
    council.get_by_label("Ухвалені рішення").fill("Схвалити результати самооцінювання.")
    council.get_by_role("button", name="Записати засідання педагогічної ради").click()
    expect(director.locator("#discussions")).to_contain_text("протокол № 5")
    director.goto(cycle)
    director.get_by_role("button", name="Позначити як обговорене").click()
    expect(director.locator("#cycle-state")).to_contain_text("обговорено")

    # … and decides what to do.
    director.goto(f"{cycle}/decisions")
    form = director.locator("#decision-form")
    form.get_by_label("Що буде зроблено").fill("Придбати інтерактивну панель")
    form.get_by_label("Або відповідальні (словами)").fill("завгосп")
    form.get_by_label("Строк").fill("2030-05-31")
    form.get_by_role("button", name="Додати рішення").click()
    expect(director.locator("#decision-list")).to_contain_text("Придбати інтерактивну панель")
    expect(director.locator("#decision-list")).to_contain_text("31.05.2030")
    error_log(director).assert_none()

    # The director publishes the results: the public page and the founder's heat map
    # show them.
    director.goto(cycle)
    director.get_by_role("button", name="Позначити як оприлюднене").click()
    expect(director.locator("#cycle-state")).to_contain_text("оприлюднено")
    error_log(director).assert_none()
    visitor = new_page(viewport=PHONE)
    visitor.goto(f"/p/{SLUG}/")
    expect(visitor.locator("main")).to_contain_text(title)
    no_sideways_scroll(visitor)
    founder = new_page()
    log_in(founder, "founder@example.com")
    founder.goto("/f/sonyachne/dashboard/")
    row = founder.locator("#founder-board tbody tr", has_text="ЗДО № 1 «Сонечко»")
    expect(row).to_contain_text(title)
    expect(row.locator("td[class^='level-']:not(.level-none)").first).to_contain_text("3,50")
    error_log(founder).assert_none()
