"""Demo data: a founder with three kindergartens and a person for every role.

Loaded by ``flask --app wsgi dozq demo``; running it again changes nothing but
the passwords (so that they match the one printed). The first institution is
the fullest: each capability adds its demo content there.
"""

from sqlalchemy import select

from dozq.assessment.demo import load_assessment_demo
from dozq.auth.models import Invitation, User
from dozq.auth.passwords import hash_password
from dozq.catalog.demo import load_catalog_demo
from dozq.db import db
from dozq.publication.demo import load_publication_demo
from dozq.quality_system.demo import fill_demo_configuration
from dozq.regulation.demo import load_regulation_demo
from dozq.surveys.demo import load_survey_demo
from dozq.tenancy import services as tenancy
from dozq.tenancy.models import Founder, FounderAdmin, InstitutionKind, Membership, Role
from dozq.tenancy.scope import Scope, tenant_scope

FOUNDER = {
    "slug": "sonyachne",
    "name": "Відділ освіти Сонячненської міської ради",
    "short_name": "Відділ освіти Сонячненської МР",
    "edrpou": "44123456",
    "address": "вул. Соборна, 1, м. Сонячне, 01001",
    "email": "osvita@sonyachne.example.com",
    "phone": "+380 44 000 00 00",
}

INSTITUTIONS = [
    {
        "full_name": "Заклад дошкільної освіти (ясла-садок) № 1 «Сонечко» "
        "Сонячненської міської ради",
        "short_name": "ЗДО № 1 «Сонечко»",
        "kind": InstitutionKind.NURSERY_KINDERGARTEN,
        "edrpou": "41000001",
        "address": "вул. Квіткова, 5, м. Сонячне, 01002",
        "website": "https://sonechko.example.com",
        "phone": "+380 44 000 00 01",
        "email": "sonechko@example.com",
        "director_name": "Олена Петрівна Коваленко",
        "director_title": "директор",
    },
    {
        "full_name": "Заклад дошкільної освіти (дитячий садок) № 2 «Веселка» "
        "Сонячненської міської ради",
        "short_name": "ЗДО № 2 «Веселка»",
        "kind": InstitutionKind.KINDERGARTEN,
        "edrpou": "41000002",
        "address": "вул. Шкільна, 12, м. Сонячне, 01003",
        "director_name": "Ірина Василівна Мельник",
        "director_title": "завідувач",
    },
    {
        "full_name": "Заклад дошкільної освіти (ясла-садок) комбінованого типу № 3 «Калинка» "
        "Сонячненської міської ради",
        "short_name": "ЗДО № 3 «Калинка»",
        "kind": InstitutionKind.COMBINED,
        "edrpou": "41000003",
        "address": "просп. Миру, 7, м. Сонячне, 01004",
        "director_name": "Наталія Іванівна Бондар",
    },
]

#: (e-mail, full name, where, role, position); where is an index into INSTITUTIONS.
PEOPLE = [
    ("director@example.com", "Олена Петрівна Коваленко", 0, Role.DIRECTOR, "директор"),
    (
        "methodologist@example.com",
        "Тетяна Миколаївна Шевченко",
        0,
        Role.METHODOLOGIST,
        "вихователь-методист",
    ),
    (
        "methodologist@example.com",
        "Тетяна Миколаївна Шевченко",
        1,
        Role.METHODOLOGIST,
        "вихователь-методист",
    ),
    ("teacher@example.com", "Марія Олександрівна Ткаченко", 0, Role.TEACHER, "вихователь"),
    ("staff@example.com", "Світлана Андріївна Лисенко", 0, Role.STAFF, "практичний психолог"),
    ("director.veselka@example.com", "Ірина Василівна Мельник", 1, Role.DIRECTOR, "завідувач"),
]

PLATFORM_ADMIN = ("admin@example.com", "Адміністратор платформи")
FOUNDER_ADMIN = ("founder@example.com", "Андрій Сергійович Гончаренко")


def _account(email: str, full_name: str, password_hash: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, full_name=full_name)
        db.session.add(user)
    user.password_hash = password_hash
    user.is_active = True
    db.session.flush()
    return user


def load_demo(password: str) -> list[tuple[str, str]]:
    """Create the demo world if it is missing; return (role, e-mail) of each login."""
    password_hash = hash_password(password)
    admin = _account(*PLATFORM_ADMIN, password_hash)
    admin.is_platform_admin = True
    founder_admin = _account(*FOUNDER_ADMIN, password_hash)
    founder = db.session.scalar(select(Founder).where(Founder.slug == FOUNDER["slug"]))
    if founder is None:
        founder = tenancy.create_founder(admin, FOUNDER)
        _build_founder(founder, founder_admin, password_hash)
    else:
        for email, full_name, *_ in PEOPLE:
            _account(email, full_name, password_hash)
    load_catalog_demo(founder, founder_admin, director_email=PEOPLE[0][0])
    first_people = {role.value: mail for mail, _name, at, role, _pos in PEOPLE if at == 0}
    load_regulation_demo(founder, first_people)
    load_survey_demo(founder, first_people)
    load_assessment_demo(founder, {**first_people, Role.FOUNDER_ADMIN.value: FOUNDER_ADMIN[0]})
    load_publication_demo(founder, first_people)
    logins = [
        (Role.PLATFORM_ADMIN.label, PLATFORM_ADMIN[0]),
        (Role.FOUNDER_ADMIN.label, FOUNDER_ADMIN[0]),
    ]
    seen = set()
    for email, _name, where, role, _position in PEOPLE:
        if email not in seen:
            seen.add(email)
            logins.append((f"{role.label}, {INSTITUTIONS[where]['short_name']}", email))
    return logins


def _build_founder(founder: Founder, founder_admin: User, password_hash: str) -> None:
    with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
        db.session.add(FounderAdmin(user_id=founder_admin.id))
        institutions = [
            tenancy.create_institution(founder_admin, {**data, "kind": data["kind"].value})
            for data in INSTITUTIONS
        ]
        for email, full_name, where, role, position in PEOPLE:
            user = _account(email, full_name, password_hash)
            db.session.add(
                Membership(
                    user_id=user.id,
                    institution_id=institutions[where].id,
                    role=role,
                    position=position,
                )
            )
        # Pending, so that the founder's page shows an invitation waiting; no
        # letter is sent (the demo prints only the logins).
        db.session.add(
            Invitation(
                email="director.kalynka@example.com",
                full_name="Наталія Іванівна Бондар",
                role=Role.DIRECTOR,
                position="директор",
                institution_id=institutions[2].id,
                invited_by_id=founder_admin.id,
            )
        )
        db.session.flush()
    with tenant_scope(db.session, Scope.for_institution(institutions[0])):
        fill_demo_configuration(founder_admin, institutions[0])
