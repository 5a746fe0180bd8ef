"""reader's language: stored text as codes, Spanish departments and templates, template history, names, populations

Issue 17. Text civic writes itself is stored as a code with parameters (rendered per reader); departments and
response templates get Spanish versions; templates keep their history; one name rule per account; neighbourhood
populations for the dashboard.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

Existing status-history lines and 311 notes that civic wrote in English are turned into codes where their
shape is unambiguous ("Reopened by a resident: …", "<agency> (311 #N): …"); anything else stays as written.
Existing accounts keep showing their names (what sign-up promised them); new accounts choose.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_REOPENED = re.compile(r"^(?:Reopened by a resident|Reabierto por un vecino|Reabierta por un vecino): (.*)$", re.S)
_CITY_NOTE = re.compile(r"^(.*?) \(311 #([^)]+)\): (.*)$", re.S)
_THE_CITY = {"The city", "La ciudad", "El ayuntamiento"}


def upgrade():
    op.add_column("departments", sa.Column("name_es", sa.String(length=120), nullable=True))
    op.add_column("response_templates", sa.Column("title_es", sa.String(length=120), nullable=True))
    op.add_column("response_templates", sa.Column("body_es", sa.Text(), nullable=True))
    op.add_column("response_templates", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "response_template_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "template_id", sa.Integer(), sa.ForeignKey("response_templates.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("editor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("title_es", sa.String(length=120), nullable=True),
        sa.Column("body_es", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_response_template_revisions_template_id", "response_template_revisions", ["template_id"])
    op.add_column("status_changes", sa.Column("reason_code", sa.String(length=40), nullable=True))
    op.add_column("status_changes", sa.Column("reason_params", sa.JSON(), nullable=True))
    op.add_column("comments", sa.Column("system_code", sa.String(length=40), nullable=True))
    op.add_column("comments", sa.Column("system_params", sa.JSON(), nullable=True))
    op.add_column("users", sa.Column("show_name", sa.Boolean(), nullable=False, server_default="1"))
    op.create_table(
        "neighbourhood_populations",
        sa.Column("name", sa.String(length=80), primary_key=True),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    _codes_for_existing_text()
    _spanish_names_for_default_departments()


# The default departments' Spanish names (civic/issues/catalog.py), for cities that kept the English default.
_DEPARTMENTS_ES = {
    "Streets Department": "Departamento de Calles",
    "Sanitation": "Servicio de Limpieza",
    "Licenses & Inspections": "Licencias e Inspecciones",
    "Parks & Recreation": "Parques y Recreación",
    "Police — Traffic Unit": "Policía — Unidad de Tráfico",
    "Community Life Improvement Program": "Programa de Mejora de la Vida Comunitaria",
}


def _spanish_names_for_default_departments():
    departments = sa.table("departments", sa.column("name", sa.String), sa.column("name_es", sa.String))
    for name, name_es in _DEPARTMENTS_ES.items():
        op.get_bind().execute(departments.update().where(departments.c.name == name).values(name_es=name_es))


def _codes_for_existing_text():
    bind = op.get_bind()
    changes = sa.table(
        "status_changes",
        sa.column("id", sa.Integer),
        sa.column("reason", sa.Text),
        sa.column("reason_code", sa.String),
        sa.column("reason_params", sa.JSON),
    )
    for row in bind.execute(sa.select(changes.c.id, changes.c.reason).where(changes.c.reason.is_not(None))):
        match = _REOPENED.match(row.reason)
        if match:
            bind.execute(
                changes.update()
                .where(changes.c.id == row.id)
                .values(reason_code="reopened_by_resident", reason_params={"text": match.group(1)})
            )
    comments = sa.table(
        "comments",
        sa.column("id", sa.Integer),
        sa.column("body", sa.Text),
        sa.column("author_id", sa.Integer),
        sa.column("official", sa.Boolean),
        sa.column("system_code", sa.String),
        sa.column("system_params", sa.JSON),
    )
    query = sa.select(comments.c.id, comments.c.body).where(
        comments.c.author_id.is_(None), comments.c.official.is_(sa.true())
    )
    for row in bind.execute(query):
        match = _CITY_NOTE.match(row.body or "")
        if match:
            agency = None if match.group(1) in _THE_CITY else match.group(1)
            params = {"agency": agency, "number": match.group(2), "notes": match.group(3)}
            bind.execute(
                comments.update().where(comments.c.id == row.id).values(system_code="city_note", system_params=params)
            )


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: recreating users or departments would trip the
    # foreign keys that point at them. Coded texts keep their English in `reason` and `body`.
    op.drop_table("neighbourhood_populations")
    op.drop_column("users", "show_name")
    for column in ("system_params", "system_code"):
        op.drop_column("comments", column)
    for column in ("reason_params", "reason_code"):
        op.drop_column("status_changes", column)
    op.drop_index("ix_response_template_revisions_template_id", table_name="response_template_revisions")
    op.drop_table("response_template_revisions")
    for column in ("updated_at", "body_es", "title_es"):
        op.drop_column("response_templates", column)
    op.drop_column("departments", "name_es")
