"""The starter catalog: every quote is in the recommendations, nothing unconfirmed is official."""

import re
from pathlib import Path

import yaml
from sqlalchemy import func, select

from dozq.catalog import importers, services
from dozq.catalog.models import CatalogTemplate, WordingStatus
from dozq.catalog.tree import STARTER_PATH
from dozq.db import db
from dozq.tenancy.models import Role
from tests.factories import sign_in_as

DATA = Path(__file__).resolve().parent / "data"
SEED = DATA / "metodychni-rekomendatsii-zdo-2020.txt"
REFERENCE = DATA / "criteria-2020.yaml"

STARTER_LABEL = "написано dozq за текстом методичних рекомендацій, не офіційне формулювання додатка"
OFFICIAL = (WordingStatus.OFFICIAL_TEXT, WordingStatus.QUOTED_BY_ZDO)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def starter():
    return importers.read_path(STARTER_PATH)


def test_every_seed_quote_occurs_in_the_recommendations():
    seed = normalise(SEED.read_text(encoding="utf-8"))
    nodes = [node for node in starter().walk() if node.seed_quote]
    assert len(nodes) > 100
    missing = [node.code for node in nodes if normalise(node.seed_quote) not in seed]
    assert missing == []


def test_every_own_item_has_a_quote_and_a_cyrillic_code():
    for node in starter().walk():
        if node.wording_status is WordingStatus.DOZQ_STARTER:
            assert node.seed_quote, node.code
            assert "С" in node.code, node.code  # Cyrillic «С», never an annex number


def _confirmed(reference: dict) -> dict[str, tuple[str, str]]:
    """Code → (status, wording) of the items the reference confirms."""
    confirmed = {}

    def walk(node: dict) -> None:
        for key in ("directions", "requirements", "criteria", "indicators"):
            for child in node.get(key) or []:
                text = child.get("title") or child.get("text")
                if text and child.get("wording_status") in ("official_text", "quoted_by_zdo"):
                    confirmed[child["code"]] = (child["wording_status"], normalise(text))
                walk(child)

    walk(reference)
    return confirmed


def test_nothing_outside_the_references_confirmed_items_is_official():
    reference = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    confirmed = _confirmed(reference)
    official = {
        node.code: (node.wording_status.value, normalise(node.text))
        for node in starter().walk()
        if node.wording_status in OFFICIAL
    }
    assert official  # the four direction titles and 4.1, 4.1.1, 4.1.1.1
    for code, claim in official.items():
        assert confirmed.get(code) == claim, code
    assert set(official) == {"1", "2", "3", "4", "4.1", "4.1.1", "4.1.1.1"}


def test_the_starter_loads_once(app):
    with app.app_context():
        first = services.ensure_starter()
        db.session.commit()
        again = services.ensure_starter()
        db.session.commit()
        assert again.id == first.id
        assert db.session.scalar(select(func.count(CatalogTemplate.id))) == 1


def test_the_page_labels_starter_and_official_items(app, client, world):
    """Adopted by an institution: every starter item carries the starter label and
    only the confirmed items are called official."""
    with app.app_context():
        template = services.ensure_starter()
        db.session.commit()
        template_id = template.id
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    response = client.post(f"/i/{world.a.slug}/catalog/adopt", data={"template_id": template_id})
    assert response.status_code == 303
    page = client.get(f"/i/{world.a.slug}/catalog/").get_data(as_text=True)
    nodes = list(starter().walk())
    starter_count = sum(node.wording_status is WordingStatus.DOZQ_STARTER for node in nodes)
    # Once per row, once more in the legend.
    assert page.count(STARTER_LABEL) == starter_count + 1
    rows = re.findall(r'<tr id="item-\d+"[^>]*>(.*?)</tr>', page, re.S)
    assert len(rows) == len(nodes)
    official = re.compile(r"(?<!не )офіційне формулювання")
    official_codes = {
        re.search(r'<th scope="row">\S+(?: \(правило\))? ([^<\s]+)', row).group(1)
        for row in rows
        if official.search(row)
    }
    assert official_codes == {"1", "2", "3", "4", "4.1", "4.1.1", "4.1.1.1"}
