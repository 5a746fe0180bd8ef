"""event edits, supplies requests, reminders, after-event reports, community fixes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 09:10:00

Columns are added in place (ALTER TABLE ADD COLUMN), never by rebuilding a table: rebuilding `issues` on
SQLite would drop the triggers that keep its R*Tree index in step.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def add_reference(table, column, target, name):
    """A nullable integer column with a foreign key (ON DELETE SET NULL), added without rebuilding the table."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {target} (id) ON DELETE SET NULL"
        )
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"], ondelete="SET NULL")


def upgrade():
    op.create_table(
        "event_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column(
            "moment", sa.Enum("before", "after", name="photomoment", native_enum=False, length=20), nullable=False
        ),
        sa.Column("uploader_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("thumb_key", sa.String(length=80), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_photos_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"], ["users.id"], name=op.f("fk_event_photos_uploader_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_photos")),
    )
    op.create_index(op.f("ix_event_photos_event_id"), "event_photos", ["event_id"], unique=False)

    op.create_table(
        "event_reports",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_event_reports_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_reports_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_reports")),
    )

    op.add_column("event_issues", sa.Column("fixed_at_event", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.add_column("events", sa.Column("area_neighbourhood", sa.String(length=80), nullable=True))
    op.add_column("events", sa.Column("supplies_request", sa.Text(), nullable=True))
    op.add_column(
        "events",
        sa.Column(
            "supplies_status",
            sa.Enum("requested", "accepted", "declined", name="suppliesstatus", native_enum=False, length=20),
            nullable=True,
        ),
    )
    op.add_column("events", sa.Column("supplies_response", sa.Text(), nullable=True))
    add_reference("events", "supplies_decided_by_id", "users", "fk_events_supplies_decided_by_id_users")
    op.add_column("events", sa.Column("supplies_decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("events", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))

    op.add_column("issues", sa.Column("fixed_by_community", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("issues", sa.Column("community_fix_confirmed_at", sa.DateTime(timezone=True), nullable=True))
    add_reference("issues", "community_fix_confirmed_by_id", "users", "fk_issues_community_fix_confirmed_by_id_users")

    op.add_column("rsvps", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("status_changes", sa.Column("by_community", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    for table, column in [
        ("status_changes", "by_community"),
        ("rsvps", "reminded_at"),
        ("issues", "community_fix_confirmed_by_id"),
        ("issues", "community_fix_confirmed_at"),
        ("issues", "fixed_by_community"),
        ("events", "updated_at"),
        ("events", "supplies_decided_at"),
        ("events", "supplies_decided_by_id"),
        ("events", "supplies_response"),
        ("events", "supplies_status"),
        ("events", "supplies_request"),
        ("events", "area_neighbourhood"),
        ("event_issues", "fixed_at_event"),
    ]:
        op.drop_column(table, column)
    op.drop_table("event_reports")
    op.drop_index(op.f("ix_event_photos_event_id"), table_name="event_photos")
    op.drop_table("event_photos")
