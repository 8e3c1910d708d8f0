"""The regulation as a DOCX for an institution with the whole catalog.

``regulation_docx``: what a click on «Створити документ» costs, database reads
included (a fresh session each round: the edition, its sections and annex, the
institution, its staff), over docxtpl rendering the same template with the same
context prepared beforehand. The baseline here is docxtpl itself, not the bare
route: the ratio is dozq's overhead on top of the rendering it cannot avoid.
Goal: ≤ 1.5.
"""

import io

from docxtpl import DocxTemplate

from bench.harness import Result, benchmark, count_queries, median_seconds
from dozq.auth.models import User
from dozq.catalog import services as catalog
from dozq.db import db
from dozq.documents import services as documents
from dozq.documents.models import DocumentKind
from dozq.documents.render import make_env
from dozq.quality_system.services import set_up_quality_system
from dozq.regulation import services as regulation
from dozq.regulation.models import RegulationEdition
from dozq.tenancy.models import Founder, Institution, InstitutionKind, Membership, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope

ROUNDS = 15


def _world(app) -> tuple[int, int]:
    with app.app_context():
        founder = Founder(slug="bench-r", name="Відділ освіти Бенчмаркової міської ради")
        director = User(email="director@bench.example.com", full_name="Олена Петрівна Коваленко")
        db.session.add_all([founder, director])
        db.session.flush()
        with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
            institution = Institution(
                founder_id=founder.id,
                slug="zdo-bench",
                full_name="Заклад дошкільної освіти (ясла-садок) № 1 «Сонечко» "
                "Бенчмаркової міської ради",
                short_name="ЗДО № 1 «Сонечко»",
                kind=InstitutionKind.NURSERY_KINDERGARTEN,
                edrpou="41000001",
                address="вул. Квіткова, 5, м. Сонячне, 01002",
                director_name=director.full_name,
            )
            db.session.add(institution)
            db.session.flush()
        with tenant_scope(db.session, Scope.for_institution(institution)):
            db.session.add(Membership(user_id=director.id, role=Role.DIRECTOR, position="директор"))
            set_up_quality_system(institution, director)
            catalog.adopt(director, catalog.ensure_starter(director))
            edition = regulation.start_edition(director, institution)
            db.session.commit()
            return institution.id, edition.id


@benchmark("regulation_docx")
def regulation_docx(app) -> Result:
    institution_id, edition_id = _world(app)

    def generate() -> bytes:
        with app.app_context():
            institution = db.session.get(
                Institution, institution_id, execution_options={BYPASS_OPTION: True}
            )
            with tenant_scope(db.session, Scope.for_institution(institution)):
                edition = db.session.get(RegulationEdition, edition_id)
                data, _own = documents.render_kind(institution, DocumentKind.REGULATION, edition)
        return data

    with app.app_context():
        institution = db.session.get(
            Institution, institution_id, execution_options={BYPASS_OPTION: True}
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            edition = db.session.get(RegulationEdition, edition_id)
            context = documents.build_context(institution, DocumentKind.REGULATION, edition)
    template = documents.default_template(DocumentKind.REGULATION)

    def docxtpl_only() -> bytes:
        document = DocxTemplate(template)
        document.render(context, jinja_env=make_env(), autoescape=True)
        output = io.BytesIO()
        document.save(output)
        return output.getvalue()

    queries = count_queries(app, generate)
    size = len(generate())
    full, baseline = median_seconds(generate, ROUNDS), median_seconds(docxtpl_only, ROUNDS)
    return Result(
        full / baseline,
        queries,
        {
            "ms": round(full * 1000),
            "docxtpl_ms": round(baseline * 1000),
            "sections": len(context["sections"]),
            "annex_rows": len(context["annex"]),
            "docx_kb": round(size / 1024),
            "goal": "<=1.5",
        },
    )
