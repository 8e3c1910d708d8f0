"""Benchmarks of the foundation: the bare baseline and the founder's institutions list."""

from bench.harness import (
    Result,
    benchmark,
    get_ok,
    median_seconds,
    page_against_bare,
    signed_in_client,
)
from dozq.auth.models import User
from dozq.db import db
from dozq.tenancy.models import Founder, FounderAdmin, Institution, InstitutionKind
from dozq.tenancy.scope import Scope, tenant_scope

#: A city's education department with a hundred kindergartens.
INSTITUTIONS = 100


@benchmark("bare")
def bare(app) -> Result:
    """The baseline against itself: shows the noise of this machine (ratio ≈ 1)."""
    client = app.test_client()
    call = get_ok(client, "/_bench/bare")
    return Result(median_seconds(call) / median_seconds(call), 0)


@benchmark("founder_institutions")
def founder_institutions(app) -> Result:
    """The founder's list of its institutions, with a hundred of them."""
    with app.app_context():
        founder = Founder(slug="bench", name="Відділ освіти Бенчмаркової міської ради")
        admin = User(email="founder@bench.example.com", full_name="Адміністратор")
        db.session.add_all([founder, admin])
        db.session.flush()
        with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
            db.session.add(FounderAdmin(user_id=admin.id))
            db.session.add_all(
                Institution(
                    founder_id=founder.id,
                    slug=f"zdo-{number}",
                    full_name=f"Заклад дошкільної освіти № {number}",
                    short_name=f"ЗДО № {number}",
                    kind=InstitutionKind.NURSERY_KINDERGARTEN,
                )
                for number in range(1, INSTITUTIONS + 1)
            )
            db.session.commit()
        admin_id = admin.id
    with app.app_context():
        client = signed_in_client(app, db.session.get(User, admin_id))
    return page_against_bare(app, client, "/f/bench/", institutions=INSTITUTIONS)
