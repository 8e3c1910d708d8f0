"""Benchmark of the catalog: an institution's catalog page at the official size."""

from bench.harness import Result, benchmark, page_against_bare, signed_in_client
from dozq.auth.models import User
from dozq.catalog import services
from dozq.catalog.generate import OFFICIAL_SHAPE, generated_catalog
from dozq.db import db
from dozq.tenancy.models import Founder, Institution, InstitutionKind, Membership, Role
from dozq.tenancy.scope import Scope, tenant_scope


@benchmark("catalog_page")
def catalog_page(app) -> Result:
    """The methodologist's catalog page: 4 directions, 14 requirements, 38 criteria and
    73 indicators, each row with its edit, switch-off and move buttons."""
    with app.app_context():
        founder = Founder(slug="bench", name="Відділ освіти Бенчмаркової міської ради")
        user = User(email="methodologist@bench.example.com", full_name="Методист")
        db.session.add_all([founder, user])
        db.session.flush()
        with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
            institution = Institution(
                founder_id=founder.id,
                slug="zdo-bench",
                full_name="Заклад дошкільної освіти № 1",
                short_name="ЗДО № 1",
                kind=InstitutionKind.NURSERY_KINDERGARTEN,
            )
            db.session.add(institution)
            db.session.flush()
        with tenant_scope(db.session, Scope.for_institution(institution)):
            db.session.add(Membership(user_id=user.id, role=Role.METHODOLOGIST))
            template, _created = services.save_template(
                None, generated_catalog(OFFICIAL_SHAPE), "Каталог офіційного розміру"
            )
            services.adopt(user, template)
            db.session.commit()
        user_id = user.id
    with app.app_context():
        client = signed_in_client(app, db.session.get(User, user_id))
    return page_against_bare(app, client, "/i/zdo-bench/catalog/", items=sum(OFFICIAL_SHAPE))
