"""The regulation (Положення) workflow through its pages: a draft composed from the
configuration, discussion with staff and parents (the public link), a revision and
the comparison of versions, the council's approval, the director's order,
publication and acknowledgements; who may take which step; warnings that never block."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from dozq.assessment.models import PedagogicalCouncilMeeting
from dozq.audit.models import AuditEntry
from dozq.auth.models import User
from dozq.db import db
from dozq.regulation import services
from dozq.regulation.models import (
    CommentStatus,
    EditionStatus,
    RegulationAcknowledgement,
    RegulationComment,
    RegulationEdition,
    RegulationSection,
    RegulationTransition,
    RegulationVersion,
)
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from dozq.web.errors import DomainError
from tests.factories import add_member, make_founder, make_institution, make_user, sign_in_as


class Place:
    """A new institution with one person in every role and nothing of the regulation yet."""

    def __init__(self, app, name="Заклад дошкільної освіти (ясла-садок) № 7 «Зірочка»"):
        with app.app_context():
            founder = make_founder("founder-r", "Відділ освіти Регуляційної міської ради")
            institution = make_institution(founder, "zdo-r", "ЗДО № 7 «Зірочка»", full_name=name)
            self.institution_id = institution.id
            self.slug = institution.slug
            self.users = {}
            for role, full_name in (
                (Role.DIRECTOR, "Олена Петрівна Коваленко"),
                (Role.METHODOLOGIST, "Тетяна Миколаївна Шевченко"),
                (Role.TEACHER, "Марія Олександрівна Ткаченко"),
                (Role.STAFF, "Світлана Андріївна Лисенко"),
            ):
                user = make_user(f"{role.value}.r@test.example.com", full_name)
                add_member(institution, user, role, position=role.label)
                self.users[role] = user.id
            db.session.commit()

    def url(self, path: str = "") -> str:
        return f"/i/{self.slug}/regulation{path}"

    def scope(self):
        return scope_of(self.institution_id)


def scope_of(institution_id: int):
    institution = db.session.get(
        Institution, institution_id, execution_options={BYPASS_OPTION: True}
    )
    return tenant_scope(db.session, Scope.for_institution(institution))


def edition_of(place, edition_id):
    with place.scope():
        return db.session.get(RegulationEdition, edition_id)


def flashes(response) -> str:
    return " ".join(re.findall(r'class="flash flash-\w+"[^>]*>(.*?)</p>', response.get_data(True)))


@pytest.fixture
def place(app):
    return Place(app)


def as_role(app, client, place, role):
    sign_in_as(app, client, place.users[role])


def test_the_whole_workflow_from_draft_to_acknowledgement(app, client, place):
    # The methodologist composes the draft from the configuration.
    as_role(app, client, place, Role.METHODOLOGIST)
    response = client.post(place.url("/new"))
    assert response.status_code == 303
    edition_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    page = client.get(place.url(f"/{edition_id}")).get_data(True)
    assert (
        "ПОЛОЖЕННЯ про внутрішню систему забезпечення якості освіти закладу дошкільної освіти "
        "(ясла-садок) № 7 «Зірочка»" in page
    )
    assert "Загальні положення" in page and "Прикінцеві положення" in page
    assert "чернетка" in page
    with app.app_context(), place.scope():
        version = db.session.scalar(
            select(RegulationVersion).where(RegulationVersion.edition_id == edition_id)
        )
        sections = {s.key: s for s in version.sections}
        goals = sections["goals"]
        goals_id, goals_version = goals.id, goals.version
        first_version_id = version.id

    # She edits a section in place (htmx) …
    edited = "Мета – радісне дитинство.\n\n- перший пункт\n- другий пункт"
    response = client.post(
        place.url(f"/sections/{goals_id}/edit"),
        data={"body": edited, "version": goals_version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Розділ збережено." in response.get_data(True)
    assert "<li>перший пункт</li>" in response.get_data(True)
    # … and a stale form (someone saved first) is a conflict, not a silent overwrite.
    stale = client.post(
        place.url(f"/sections/{goals_id}/edit"),
        data={"body": "Інший текст", "version": goals_version},
    )
    assert stale.status_code == 409

    # Discussion: the draft goes to staff and parents.
    assert client.post(place.url(f"/{edition_id}/discussion")).status_code == 303
    with app.app_context():
        token = edition_of(place, edition_id).discussion_token
    assert token and len(token) >= 40

    # A parent, not signed in, comments through the public link.
    parent = app.test_client()
    public_page = parent.get(f"/obgovorennia/{token}/")
    assert public_page.status_code == 200
    assert "Мета – радісне дитинство." in public_page.get_data(True)
    response = parent.post(
        f"/obgovorennia/{token}/",
        data={
            "section": goals_id,
            "text": "Додайте, будь ласка, про прогулянки.",
            "author_name": "мама Олесі",
        },
    )
    assert response.status_code == 303
    assert parent.get(response.headers["Location"]).status_code == 200
    assert parent.get("/obgovorennia/not-a-valid-token/").status_code == 404

    # A teacher comments signed in.
    as_role(app, client, place, Role.TEACHER)
    response = client.post(
        place.url(f"/{edition_id}/comments"),
        data={"section": goals_id, "text": "Пропоную уточнити другий пункт."},
    )
    assert response.status_code == 303
    with app.app_context(), place.scope():
        comments = db.session.scalars(
            select(RegulationComment).order_by(RegulationComment.id)
        ).all()
        assert [(c.from_parent, c.author_name) for c in comments] == [
            (True, "мама Олесі"),
            (False, ""),
        ]
        parent_comment, staff_comment = (c.id for c in comments)

    # Each proposal is accepted or declined with a reason.
    as_role(app, client, place, Role.METHODOLOGIST)
    refused = client.post(
        place.url(f"/comments/{staff_comment}/decision"),
        data={f"c{staff_comment}-decision": "decline", f"c{staff_comment}-reason": ""},
        follow_redirects=True,
    )
    assert "Зазначте причину" in refused.get_data(True)
    client.post(
        place.url(f"/comments/{staff_comment}/decision"),
        data={
            f"c{staff_comment}-decision": "decline",
            f"c{staff_comment}-reason": "Пункт уже точний.",
        },
    )
    client.post(
        place.url(f"/comments/{parent_comment}/decision"),
        data={f"c{parent_comment}-decision": "accept", f"c{parent_comment}-reason": "Додано."},
    )
    comments_page = client.get(place.url(f"/{edition_id}/comments")).get_data(True)
    assert "враховано" in comments_page and "Пункт уже точний." in comments_page
    with app.app_context(), place.scope():
        statuses = {c.id: c.status for c in db.session.scalars(select(RegulationComment))}
    assert statuses == {
        parent_comment: CommentStatus.ACCEPTED,
        staff_comment: CommentStatus.DECLINED,
    }

    # Revision: a new version; the text changes there; the two compare side by side.
    assert (
        client.post(
            place.url(f"/{edition_id}/revision"), data={"note": "За пропозиціями"}
        ).status_code
        == 303
    )
    with app.app_context(), place.scope():
        newest = services.latest_version(edition_of(place, edition_id))
        assert newest.number == 2 and newest.note == "За пропозиціями"
        new_goals = next(s for s in newest.sections if s.key == "goals")
        new_goals_id, new_goals_version = new_goals.id, new_goals.version
    # The old version is frozen; the new one takes the change.
    assert (
        client.post(
            place.url(f"/sections/{goals_id}/edit"),
            data={"body": "Ні", "version": goals_version + 1},
        ).status_code
        == 422
    )
    client.post(
        place.url(f"/sections/{new_goals_id}/edit"),
        data={"body": edited + "\n- щоденні прогулянки", "version": new_goals_version},
    )
    compare = client.get(
        place.url(f"/{edition_id}/compare?a={first_version_id}&b={newest.id}")
    ).get_data(True)
    assert "<ins>– щоденні прогулянки</ins>" in compare
    assert "Змінено розділів: 1 з" in compare

    # The pedagogical council approves (protocol number and date).
    response = client.post(
        place.url(f"/{edition_id}/council"),
        data={"meeting": "", "protocol_number": "2", "held_on": "2025-08-28"},
    )
    assert response.status_code == 303
    with app.app_context(), place.scope():
        edition = edition_of(place, edition_id)
        assert edition.status == EditionStatus.COUNCIL_APPROVED
        meeting = db.session.get(PedagogicalCouncilMeeting, edition.council_meeting_id)
        assert (meeting.protocol_number, meeting.held_on) == ("2", date(2025, 8, 28))

    # Only the director approves by order; an order dated before the council is warned about.
    assert (
        client.post(
            place.url(f"/{edition_id}/order"),
            data={"order_number": "1", "order_date": "2025-08-29"},
        ).status_code
        == 403
    )
    as_role(app, client, place, Role.DIRECTOR)
    assert client.get(place.url(f"/{edition_id}/order")).status_code == 200
    response = client.post(
        place.url(f"/{edition_id}/order"),
        data={"order_number": "32-о/д", "order_date": "27.08.2025"},
        follow_redirects=True,
    )
    assert "раніше, ніж педагогічна рада схвалила" in flashes(response)
    with app.app_context():
        edition = edition_of(place, edition_id)
        assert edition.status == EditionStatus.ORDER_APPROVED
        assert (edition.order_number, edition.order_date) == ("32-о/д", date(2025, 8, 27))

    # Publication by the director; then it is the edition in force.
    as_role(app, client, place, Role.TEACHER)
    assert client.post(place.url(f"/{edition_id}/publish")).status_code == 403
    as_role(app, client, place, Role.DIRECTOR)
    assert client.post(place.url(f"/{edition_id}/publish")).status_code == 303
    with app.app_context(), place.scope():
        institution = db.session.get(Institution, place.institution_id)
        in_force = services.published_regulation(institution)
        assert in_force.edition.id == edition_id and in_force.version.number == 2

    # Acknowledgements: each staff member for themselves, once.
    for role in (Role.TEACHER, Role.STAFF, Role.TEACHER):
        as_role(app, client, place, role)
        assert client.post(place.url(f"/{edition_id}/acknowledge")).status_code == 303
    as_role(app, client, place, Role.METHODOLOGIST)
    sheet = client.get(place.url(f"/{edition_id}/acknowledgements")).get_data(True)
    assert "Ознайомилися 2 з 4 працівників." in sheet
    with app.app_context(), place.scope():
        assert db.session.query(RegulationAcknowledgement).count() == 2

    # The parents' link now says the discussion is over and takes no more proposals.
    closed = parent.get(f"/obgovorennia/{token}/").get_data(True)
    assert "Обговорення цього проєкту завершено" in closed
    late = parent.post(f"/obgovorennia/{token}/", data={"section": new_goals_id, "text": "Ще одне"})
    assert late.status_code == 422

    # Every step is recorded: the transitions and the audit log.
    with app.app_context(), place.scope():
        moves = [
            (t.from_status, t.to_status)
            for t in db.session.scalars(
                select(RegulationTransition).order_by(RegulationTransition.id)
            )
        ]
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert moves == [
        (None, EditionStatus.DRAFT),
        (EditionStatus.DRAFT, EditionStatus.DISCUSSION),
        (EditionStatus.DISCUSSION, EditionStatus.REVISION),
        (EditionStatus.REVISION, EditionStatus.COUNCIL_APPROVED),
        (EditionStatus.COUNCIL_APPROVED, EditionStatus.ORDER_APPROVED),
        (EditionStatus.ORDER_APPROVED, EditionStatus.PUBLISHED),
    ]
    assert {
        "regulation.started",
        "regulation.section_edited",
        "regulation.discussion_opened",
        "regulation.commented",
        "regulation.comment_decided",
        "regulation.revision_started",
        "regulation.council_approved",
        "regulation.order_approved",
        "regulation.published",
        "regulation.acknowledged",
    } <= actions


#: (method, path, data) of each step, with the roles that may not take it.
def steps(edition_id, section_id, comment_id):
    return [
        ("post", "/new", {}, (Role.TEACHER, Role.STAFF)),
        (
            "post",
            f"/sections/{section_id}/edit",
            {"body": "x", "version": 1},
            (Role.TEACHER, Role.STAFF),
        ),
        ("get", f"/{edition_id}/recompose", None, (Role.TEACHER, Role.STAFF)),
        ("post", f"/{edition_id}/recompose", {"keys": "goals"}, (Role.TEACHER, Role.STAFF)),
        ("post", f"/{edition_id}/discussion", {}, (Role.TEACHER, Role.STAFF)),
        (
            "post",
            f"/comments/{comment_id}/decision",
            {f"c{comment_id}-decision": "accept"},
            (Role.TEACHER, Role.STAFF),
        ),
        ("post", f"/{edition_id}/revision", {}, (Role.TEACHER, Role.STAFF)),
        ("post", f"/{edition_id}/council", {"protocol_number": "1"}, (Role.TEACHER, Role.STAFF)),
        (
            "post",
            f"/{edition_id}/order",
            {"order_number": "1"},
            (Role.METHODOLOGIST, Role.TEACHER, Role.STAFF),
        ),
        ("post", f"/{edition_id}/publish", {}, (Role.METHODOLOGIST, Role.TEACHER, Role.STAFF)),
        ("get", f"/{edition_id}/acknowledgements", None, (Role.TEACHER, Role.STAFF)),
        ("get", f"/{edition_id}/notice", None, (Role.TEACHER, Role.STAFF)),
    ]


def test_roles_that_may_not_take_a_step_cannot(app, client, world):
    """403 for a role the step is not for, on every route; the database is unchanged."""
    with app.app_context(), scope_of(world.a.institution_id):
        edition = services.edition_in_progress()
        section = services.latest_version(edition).sections[0]
        comment = db.session.scalar(select(RegulationComment).order_by(RegulationComment.id.desc()))
        ids = edition.id, section.id, comment.id
        before = (edition.status, edition.version, section.body, comment.status)
    slug = world.a.slug
    for method, path, data, forbidden in steps(*ids):
        for role in forbidden:
            sign_in_as(app, client, world.a.users[role])
            response = getattr(client, method)(f"/i/{slug}/regulation{path}", data=data)
            assert response.status_code == 403, (role, method, path, response.status_code)
    # A founder's administrator is no member: the institution's pages do not exist for them.
    sign_in_as(app, client, world.a.founder_admin_id)
    assert client.post(f"/i/{slug}/regulation/{ids[0]}/publish").status_code == 404
    with app.app_context(), scope_of(world.a.institution_id):
        edition = db.session.get(RegulationEdition, ids[0])
        section = db.session.get(RegulationSection, ids[1])
        comment = db.session.get(RegulationComment, ids[2])
        assert (edition.status, edition.version, section.body, comment.status) == before


def test_steps_out_of_order_are_refused_with_a_reason(app, place):
    with app.app_context(), place.scope():
        institution = db.session.get(Institution, place.institution_id)
        director = db.session.get(User, place.users[Role.DIRECTOR])
        edition = services.start_edition(director, institution)
        with pytest.raises(DomainError, match="Уже готується редакція 1"):
            services.start_edition(director, institution)
        with pytest.raises(DomainError, match="не можна перевести"):
            services.approve_by_order(director, edition, "1", date(2025, 9, 1))
        with pytest.raises(DomainError, match="Оприлюднити можна"):
            services.publish(director, edition, institution)
        section = services.latest_version(edition).sections[0]
        with pytest.raises(DomainError, match="Обговорення"):
            services.add_comment(edition, section, "Рано", from_parent=True)
        with pytest.raises(DomainError, match="Ознайомлюються"):
            services.acknowledge(director, edition)


def test_odd_dates_and_numbers_are_warned_about_not_blocked(app, place):
    with app.app_context(), place.scope():
        institution = db.session.get(Institution, place.institution_id)
        director = db.session.get(User, place.users[Role.DIRECTOR])
        edition = services.start_edition(director, institution)
        found = services.approve_by_council(director, edition, "___", None)
        assert edition.status == EditionStatus.COUNCIL_APPROVED
        assert "Не зазначено номер протоколу засідання педагогічної ради." in found
        assert "Не зазначено дату засідання педагогічної ради." in found
        assert (
            "Проєкт не виносили на обговорення з педагогічним і батьківським колективами." in found
        )
        found = services.approve_by_order(director, edition, "", date(2999, 1, 1))
        assert edition.status == EditionStatus.ORDER_APPROVED
        assert "Не зазначено номер наказу про затвердження." in found
        assert any("ще не настала" in warning for warning in found)
    assert services.date_warnings("5", date(202, 8, 28), today=date(2025, 9, 1)) == [
        "Засідання педагогічної ради: дата 28.08.202 виглядає помилковою."
    ]
    assert services.date_warnings(
        "5", date(2025, 8, 28), "12", date(2025, 8, 20), order=True, today=date(2025, 9, 1)
    ) == [
        "Наказ датовано 20.08.2025, раніше, ніж педагогічна рада схвалила Положення "
        "(28.08.2025). Зазвичай Положення затверджують після схвалення; перевірте дати."
    ]
    assert services.date_warnings("№ 3", date(2025, 8, 28), today=date(2025, 9, 1)) == []


def test_a_new_edition_starts_from_the_one_in_force_which_stays_until_the_next(app, place):
    with app.app_context(), place.scope():
        institution = db.session.get(Institution, place.institution_id)
        director = db.session.get(User, place.users[Role.DIRECTOR])
        first = services.start_edition(director, institution)
        section = next(s for s in services.latest_version(first).sections if s.key == "final")
        services.update_section(
            director, first, section, "Особливий текст редакції 1.", section.version
        )
        services.approve_by_council(director, first, "1", date(2025, 8, 28))
        services.approve_by_order(director, first, "1", date(2025, 8, 29))
        services.publish(director, first, institution)
        second = services.start_edition(director, institution)
        assert second.number == 2 and second.based_on_id == first.id
        copied = next(s for s in services.latest_version(second).sections if s.key == "final")
        assert copied.body == "Особливий текст редакції 1."
        # Until the second is published, the first is the one in force.
        assert services.published_regulation(institution).edition.id == first.id
        services.approve_by_council(director, second, "4", date(2026, 8, 27))
        services.approve_by_order(director, second, "5", date(2026, 8, 28))
        archived = services.publish(director, second, institution)
        assert archived.id == first.id
        assert first.status == EditionStatus.ARCHIVED and first.archived_at is not None
        assert services.published_regulation(institution).edition.id == second.id
        assert [e.id for e in services.archive(institution)] == [first.id]


def test_an_edition_page_reads_the_same_number_of_statements_however_long_it_is(
    app, client, place, count_queries
):
    with app.app_context(), place.scope():
        institution = db.session.get(Institution, place.institution_id)
        director = db.session.get(User, place.users[Role.DIRECTOR])
        edition = services.start_edition(director, institution)
        services.open_discussion(director, edition)
        section_ids = [s.id for s in services.latest_version(edition).sections]
        edition_id = edition.id
        db.session.commit()

    def add_comments(count):
        with app.app_context(), place.scope():
            edition = db.session.get(RegulationEdition, edition_id)
            for index in range(count):
                section_id = section_ids[index % len(section_ids)]
                section = db.session.get(RegulationSection, section_id)
                services.add_comment(edition, section, f"Пропозиція {index}", from_parent=True)
            db.session.commit()

    as_role(app, client, place, Role.METHODOLOGIST)
    counts = []
    for count in (1, 10):
        add_comments(count)
        for path in (f"/{edition_id}", f"/{edition_id}/comments"):
            with count_queries() as counter:
                assert client.get(place.url(path)).status_code == 200
            counts.append(len(counter))
    assert counts[:2] == counts[2:], counts


def test_the_public_link_has_a_flood_guard(app, client, place, monkeypatch):
    from dozq.regulation import public

    monkeypatch.setattr(public, "LIMIT", (2, 3600))
    public.limiter.reset()
    with app.app_context(), place.scope():
        institution = db.session.get(Institution, place.institution_id)
        director = db.session.get(User, place.users[Role.DIRECTOR])
        edition = services.start_edition(director, institution)
        services.open_discussion(director, edition)
        token = edition.discussion_token
        section_id = services.latest_version(edition).sections[0].id
        db.session.commit()
    statuses = [
        client.post(
            f"/obgovorennia/{token}/", data={"section": section_id, "text": f"№ {n}"}
        ).status_code
        for n in range(3)
    ]
    assert statuses == [303, 303, 429]
    public.limiter.reset()


def test_numbers_are_kept_without_their_sign_so_documents_print_it_once(app, place):
    from dozq.documents import services as documents
    from dozq.documents.models import DocumentKind
    from tests.test_documents_render import text_of

    with app.app_context(), place.scope():
        institution = db.session.get(Institution, place.institution_id)
        director = db.session.get(User, place.users[Role.DIRECTOR])
        edition = services.start_edition(director, institution)
        services.approve_by_council(director, edition, "№ 3", date(2025, 8, 28))
        services.approve_by_order(director, edition, "№32-о/д", date(2025, 8, 29))
        assert (edition.council_protocol_number, edition.order_number) == ("3", "32-о/д")
        data, _own = documents.render_kind(institution, DocumentKind.REGULATION, edition)
    text = text_of(data)
    assert "від 28.08.2025 № 3" in text and "від 29.08.2025 № 32-о/д" in text
    assert "№ №" not in text
