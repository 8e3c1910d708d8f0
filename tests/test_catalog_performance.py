"""The catalog page of an institution costs a bounded number of SQL statements."""

import pytest

from dozq.auth.models import User
from dozq.catalog import services
from dozq.catalog.generate import OFFICIAL_SHAPE, generated_catalog
from dozq.db import db
from dozq.tenancy.models import Role
from dozq.tenancy.scope import tenant_scope
from tests.factories import sign_in_as
from tests.test_catalog_views import scope_of, url

MAX_QUERIES = 10


def adopt_generated(app, tenant, shape, name):
    with app.app_context(), tenant_scope(db.session, scope_of(tenant)):
        template, _ = services.save_template(None, generated_catalog(shape), name)
        services.adopt(db.session.get(User, tenant.users[Role.DIRECTOR]), template)
        db.session.commit()


@pytest.mark.parametrize("role", [Role.METHODOLOGIST, Role.TEACHER], ids=str)
def test_official_size_catalog_page_is_bounded(app, client, world, count_queries, role):
    adopt_generated(app, world.a, OFFICIAL_SHAPE, "Офіційного розміру")
    sign_in_as(app, client, world.a.users[role])
    client.get(url(world.a))  # warm the session and caches
    with count_queries() as counter:
        response = client.get(url(world.a))
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('<tr id="item-') == sum(OFFICIAL_SHAPE)
    assert len(counter) <= MAX_QUERIES, "\n".join(counter.statements)
    item_queries = [s for s in counter.statements if "FROM catalog_item" in s]
    assert len(item_queries) == 1  # the whole tree in one query


def test_query_count_does_not_grow_with_the_catalog(app, client, world, count_queries):
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    counts = []
    for number, shape in enumerate([(4, 14, 38, 73), (8, 28, 76, 146)]):
        adopt_generated(app, world.a, shape, f"Розмір {number}")
        client.get(url(world.a))
        with count_queries() as counter:
            client.get(url(world.a))
        counts.append(len(counter))
    assert counts[0] == counts[1]
