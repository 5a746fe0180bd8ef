"""Response templates in English and Spanish, with their history (issue 17): the editor keeps both versions and
every earlier one with its editor; a reply posted unchanged from a template reaches each reader in their
language (the other version with a visible note where one is missing); a reply the staff member changed, or
edited afterwards, is their own words and is shown as written."""

from __future__ import annotations

import html
import json

import pytest
import sqlalchemy as sa

from civic.accounts.models import EmailFrequency, User
from civic.database import unit_of_work
from civic.extensions import db
from civic.issues.models import Comment, CommentRevision
from civic.staff.models import ResponseTemplate, ResponseTemplateRevision
from tests.test_staff import http_as, set_status

FIXED_EN = "Our crew filled this pothole.\nTell us within 30 days if it is not fixed."
FIXED_ES = "Nuestro equipo ha rellenado este bache.\nDínoslo en un plazo de 30 días si no quedó bien."
NOTE_ES = "Respuesta estándar, aún sin versión en español:"


def add_template(app, *, body=FIXED_EN, body_es=FIXED_ES, status="fixed", title="Pothole filled") -> int:
    from civic.accounts.models import Department
    from civic.issues.models import IssueStatus

    with app.app_context(), unit_of_work():
        streets = db.session.scalar(sa.select(Department).where(Department.slug == "streets"))
        template = ResponseTemplate(
            department_id=streets.id,
            status=IssueStatus(status) if status else None,
            title=title,
            body=body,
            title_es="Bache reparado" if body_es else None,
            body_es=body_es,
        )
        db.session.add(template)
        db.session.flush()
        return template.id


def official_text(client, issue_id, language: str) -> str:
    """The official response box as a reader with this browser language sees it."""
    page = client.get(f"/issues/{issue_id}", headers={"Accept-Language": language}).get_data(as_text=True)
    return page.split('id="official-response"')[1].split("</section>")[0]


def json_attribute(page: str, name: str) -> dict:
    return json.loads(html.unescape(page.split(f'{name}="')[1].split('"')[0]))


def only_official_reply(app) -> Comment:
    with app.app_context(), unit_of_work():
        comment = db.session.scalars(sa.select(Comment).where(Comment.official.is_(True))).one()
        db.session.expunge(comment)
        return comment


@pytest.fixture
def streets_staff(app, make_user):
    make_user("staff", department="streets")  # the department exists before templates are added
    return make_user("staff", department="streets", display_name="Dana Streets")


# --- the editor ----------------------------------------------------------------------------------


def test_editor_saves_the_spanish_version_and_each_edit_keeps_the_one_it_replaces(app, make_user, streets_staff):
    author = http_as(app, streets_staff)
    form = {"title": "Pothole filled", "category": "", "status": "fixed", "body": FIXED_EN}
    response = author.post("/staff/templates/new", data={**form, "title_es": "Bache reparado", "body_es": FIXED_ES})
    assert response.status_code == 302
    with app.app_context(), unit_of_work():
        template = db.session.scalars(sa.select(ResponseTemplate)).one()
        assert (template.title_es, template.body_es) == ("Bache reparado", FIXED_ES)
        assert template.revisions == [] and template.updated_at is None
        template_id = template.id

    colleague = make_user("staff", department="streets", display_name="Luis Calles")
    edited = {**form, "body": "Filled today.", "title_es": "Bache tapado", "body_es": "Tapado hoy."}
    assert http_as(app, colleague).post(f"/staff/templates/{template_id}", data=edited).status_code == 302
    # Saved again unchanged: nothing to keep.
    assert http_as(app, colleague).post(f"/staff/templates/{template_id}", data=edited).status_code == 302
    with app.app_context(), unit_of_work():
        template = db.session.get(ResponseTemplate, template_id)
        assert (template.body, template.title_es, template.body_es) == ("Filled today.", "Bache tapado", "Tapado hoy.")
        assert template.updated_at is not None
        [revision] = db.session.scalars(sa.select(ResponseTemplateRevision)).all()
        assert revision.template_id == template_id and revision.editor_id == colleague.id
        assert (revision.title, revision.body, revision.title_es, revision.body_es) == (
            "Pothole filled",
            FIXED_EN,
            "Bache reparado",
            FIXED_ES,
        )

    page = author.get(f"/staff/templates/{template_id}").get_data(as_text=True)
    history = page.split('id="template-history-heading"')[1]
    assert "Before Luis Calles changed it on" in history
    assert "Our crew filled this pothole." in history and "Nuestro equipo ha rellenado este bache." in history
    assert "Bache reparado" in history
    # The form shows the current version, both languages.
    assert 'value="Bache tapado"' in page and "Tapado hoy.</textarea>" in page


def test_a_spanish_version_comes_whole_and_within_the_same_limits(app, streets_staff):
    client = http_as(app, streets_staff)
    form = {"title": "Pothole filled", "category": "", "status": "fixed", "body": FIXED_EN}
    response = client.post("/staff/templates/new", data={**form, "title_es": "Bache reparado", "body_es": "  "})
    assert response.status_code == 400
    assert "Write the text of the Spanish version too." in response.get_data(as_text=True)
    response = client.post("/staff/templates/new", data={**form, "title_es": "x" * 121, "body_es": FIXED_ES})
    assert response.status_code == 400
    assert "120 characters" in response.get_data(as_text=True)
    with app.app_context(), unit_of_work():
        assert db.session.scalar(sa.select(sa.func.count(ResponseTemplate.id))) == 0
    # Neither Spanish field: an English-only template is fine.
    assert client.post("/staff/templates/new", data=form).status_code == 302


def test_the_list_shows_which_templates_lack_a_spanish_version(app, streets_staff):
    add_template(app, title="Translated one")
    add_template(app, title="English only", body_es=None, status=None)
    page = http_as(app, streets_staff).get("/staff/templates").get_data(as_text=True)
    rows = {row.split("</a>")[0]: row for row in page.split('<li><a href="/staff/templates/')[1:]}
    [english_only] = [row for title, row in rows.items() if "English only" in title]
    [translated] = [row for title, row in rows.items() if "Translated one" in title]
    assert "No Spanish version yet" in english_only and "No Spanish version yet" not in translated
    assert "1 template has no Spanish version yet" in page


# --- replies from a template --------------------------------------------------------------------


def test_an_unchanged_template_reply_reaches_each_reader_in_their_language(app, make_issue, streets_staff):
    template_id = add_template(app)
    issue_id = make_issue()
    staff = http_as(app, streets_staff)
    # As a browser posts a textarea: CRLF line ends and a stray space.
    posted = FIXED_EN.replace("\n", "\r\n") + " "
    assert set_status(staff, issue_id, "fixed", also_reply="y", reply=posted).status_code == 302

    reply = only_official_reply(app)
    assert reply.body == FIXED_EN  # the version posted, as cleaned (civic.text makes CRLF a newline)
    assert reply.system_code == "template_reply"
    assert reply.system_params == {"template_id": template_id, "posted": "en", "en": FIXED_EN, "es": FIXED_ES}
    reader = app.test_client()
    assert "Dínoslo en un plazo de 30 días" in official_text(reader, issue_id, "es")
    assert "Our crew filled" not in official_text(reader, issue_id, "es")
    assert "Our crew filled this pothole." in official_text(reader, issue_id, "en")

    # The template changes later: what the city said stays as it was, in both languages.
    with app.app_context(), unit_of_work():
        template = db.session.get(ResponseTemplate, template_id)
        template.body, template.body_es = "Something else.", "Otra cosa."
    assert "Dínoslo en un plazo de 30 días" in official_text(reader, issue_id, "es")
    assert "Our crew filled this pothole." in official_text(reader, issue_id, "en")


def test_the_spanish_version_posted_reaches_english_readers_in_english(app, make_issue, streets_staff):
    add_template(app)
    issue_id = make_issue()
    response = http_as(app, streets_staff).post(f"/staff/issues/{issue_id}/reply", data={"body": FIXED_ES})
    assert response.status_code == 302
    reply = only_official_reply(app)
    assert reply.body == FIXED_ES and reply.system_params["posted"] == "es"
    assert "Our crew filled this pothole." in official_text(app.test_client(), issue_id, "en")
    assert "Nuestro equipo ha rellenado" in official_text(app.test_client(), issue_id, "es")


def test_a_template_without_spanish_reaches_spanish_readers_in_english_with_a_note(app, make_issue, streets_staff):
    add_template(app, body_es=None)
    issue_id = make_issue()
    assert set_status(http_as(app, streets_staff), issue_id, "fixed", also_reply="y", reply=FIXED_EN).status_code == 302
    spanish = official_text(app.test_client(), issue_id, "es")
    assert NOTE_ES in spanish and spanish.index(NOTE_ES) < spanish.index("Our crew filled this pothole.")
    english = official_text(app.test_client(), issue_id, "en")
    assert "Our crew filled this pothole." in english and "not yet available" not in english


def test_a_reply_the_staff_member_changed_is_shown_as_written(app, make_issue, streets_staff):
    add_template(app)
    issue_id = make_issue()
    own = FIXED_EN + " We also repainted the line."
    assert set_status(http_as(app, streets_staff), issue_id, "fixed", also_reply="y", reply=own).status_code == 302
    reply = only_official_reply(app)
    assert reply.system_code is None and reply.body == own
    spanish = official_text(app.test_client(), issue_id, "es")
    assert "We also repainted the line." in spanish and "Nuestro equipo" not in spanish


def test_editing_a_template_reply_keeps_the_earlier_version_for_staff_and_shows_the_new_words(
    app, make_issue, streets_staff
):
    add_template(app)
    issue_id = make_issue()
    staff = http_as(app, streets_staff)
    assert staff.post(f"/staff/issues/{issue_id}/reply", data={"body": FIXED_EN}).status_code == 302
    reply = only_official_reply(app)
    assert reply.system_code == "template_reply"

    # Within the edit window, its author corrects it: now their own words, in every language.
    response = staff.post(f"/comments/{reply.id}/edit", data={"body": "Filled on Monday, sorry for the wait."})
    assert response.status_code == 302
    edited = only_official_reply(app)
    assert edited.system_code is None and edited.system_params is None
    with app.app_context(), unit_of_work():
        [revision] = db.session.scalars(sa.select(CommentRevision)).all()
        assert (revision.comment_id, revision.editor_id, revision.body) == (reply.id, streets_staff.id, FIXED_EN)
    spanish = official_text(app.test_client(), issue_id, "es")
    assert "Filled on Monday" in spanish and "Nuestro equipo" not in spanish

    # Staff see what it said before; residents do not.
    page = staff.get(f"/issues/{issue_id}").get_data(as_text=True)
    history = page.split('id="official-reply-history"')[1].split("</details>")[0]
    assert "Before Dana Streets edited it on" in history and "Our crew filled this pothole." in history
    assert 'id="official-reply-history"' not in app.test_client().get(f"/issues/{issue_id}").get_data(as_text=True)


def test_the_staff_form_fills_and_previews_in_the_staff_members_language(app, make_issue, make_user):
    template_id = add_template(app)
    received = "Thank you: our crew will inspect it."
    untranslated_id = add_template(app, body=received, body_es=None, status="acknowledged", title="Received")
    issue_id = make_issue()
    spanish_staff = make_user("staff", department="streets", locale="es")
    page = http_as(app, spanish_staff).get(f"/issues/{issue_id}?template={template_id}").get_data(as_text=True)
    assert "Nuestro equipo ha rellenado este bache." in page.split('name="reply"')[1].split("</textarea>")[0]
    suggestions = json_attribute(page, "data-suggestions")
    assert suggestions["fixed"] == FIXED_ES
    # The untranslated template is filled in English; its preview carries the note Spanish readers will see.
    assert suggestions["acknowledged"] == received
    previews = json_attribute(page, "data-previews")
    assert previews[FIXED_EN] == previews[FIXED_ES] == FIXED_ES  # the translated one: Spanish either way
    assert previews[received] == f"{NOTE_ES}\n\n{received}"
    assert f'value="{untranslated_id}" data-body="{received}">Received</option>' in page
    assert f'value="{template_id}" data-body="{FIXED_ES}">Bache reparado</option>' in page  # titles too


# --- e-mail -------------------------------------------------------------------------------------


def test_the_notification_email_to_a_spanish_follower_is_in_spanish(make_app, smtp_server, make_user, make_issue):
    """The notification e-mail names the reply but does not quote it; what it says is in the follower's
    language, and no English template text leaks into it."""
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, BASE_URL="https://civic.example")
    follower = make_user(locale="es")
    with app.app_context(), unit_of_work():
        db.session.get(User, follower.id).email_frequency = EmailFrequency.IMMEDIATE
    issue_id = make_issue(follower, title="Bache hondo")  # the reporter follows the issue
    staff = make_user("staff", department="streets")
    add_template(app)
    assert http_as(app, staff).post(f"/staff/issues/{issue_id}/reply", data={"body": FIXED_EN}).status_code == 302
    [message] = smtp_server.wait_for(1)
    assert message["To"] == follower.email
    content = message.get_content()
    assert "respondió" in message["Subject"] and "Hola" in content
    assert "Our crew filled" not in content


def test_an_english_reader_of_a_spanish_only_reply_gets_it_with_a_note_in_english(app, make_issue, streets_staff):
    """The editor requires English, but a stored template reply is read the same way round in both languages."""
    from civic.issues.models import Issue

    issue_id = make_issue()
    with app.app_context(), unit_of_work():
        issue = db.session.get(Issue, issue_id)
        db.session.add(
            Comment(
                issue_id=issue_id,
                author_id=streets_staff.id,
                official=True,
                department_id=issue.category.department_id,
                body=FIXED_ES,
                system_code="template_reply",
                system_params={"template_id": 1, "posted": "es", "en": None, "es": FIXED_ES},
            )
        )
    english = official_text(app.test_client(), issue_id, "en")
    assert "Standard answer, not yet available in English:" in english and "Nuestro equipo" in english
    assert "not yet available" not in official_text(app.test_client(), issue_id, "es")
