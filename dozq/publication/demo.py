"""Demo data of the publication area: a published internal monitoring programme with
its results at the founder's first institution (idempotent)."""

from datetime import date

from sqlalchemy import select

from dozq.auth.models import User
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.publication import services
from dozq.publication.models import MonitoringProgramme
from dozq.tenancy.scope import Scope, tenant_scope

SUBJECT = "Організація освітнього середовища на ігрових майданчиках"


def load_publication_demo(founder, emails: dict[str, str]) -> None:
    from dozq.tenancy.services import all_institutions

    institutions = [i for i in all_institutions() if i.founder_id == founder.id]
    director = db.session.scalar(select(User).where(User.email == emails.get("director")))
    if not institutions or director is None:
        return
    institution = min(institutions, key=lambda found: found.id)
    with tenant_scope(db.session, Scope.for_institution(institution)):
        if db.session.scalar(select(MonitoringProgramme.id).limit(1)) is not None:
            return
        indicators = db.session.scalars(
            select(CatalogItem.id)
            .where(CatalogItem.kind == ItemKind.INDICATOR, CatalogItem.enabled)
            .order_by(CatalogItem.id)
            .limit(2)
        ).all()
        programme = services.create_programme(
            director,
            {
                "subject": SUBJECT,
                "goal": "Визначити, наскільки безпечні й розвивальні ігрові майданчики.",
                "tasks": "Оглянути майданчики\nОпитати вихователів\nСкласти план покращень",
                "methods": "Спостереження, опитування, вивчення документації",
                "timeline": "Вересень–жовтень",
                "responsible": "Вихователь-методист, завгосп",
                "expected_results": "План оновлення майданчиків на рік",
            },
            indicators,
        )
        services.record_results(
            director,
            programme,
            "Чотири з шести майданчиків відповідають вимогам; для двох складено план ремонту.",
        )
        year = date.today().year
        services.publish_programme(director, programme, "order", "41-о/д", date(year, 9, 2))
        db.session.flush()
