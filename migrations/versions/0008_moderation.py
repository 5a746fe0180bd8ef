"""moderation: flags, audit log, hidden content, suspended accounts, comment revisions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 03:00:00

Columns are added in place (ALTER TABLE ADD COLUMN), never by rebuilding a table: rebuilding `issues` on
SQLite would drop the triggers that keep its R*Tree index in step.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

HIDDEN = ("issues", "comments", "photos", "events")


def upgrade():
    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("issue", "comment", "photo", "event", name="contentkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "spam", "abuse", "personal_data", "off_topic", "other", name="flagreason", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_flags_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.UniqueConstraint("kind", "target_id", "user_id", name="uq_flags_kind_target_id_user_id"),
    )
    op.create_index("ix_flags_resolved_at_kind_target_id", "flags", ["resolved_at", "kind", "target_id"], unique=False)

    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "auto_hide",
                "hide",
                "restore",
                "dismiss",
                "edit",
                "replace_photo",
                "purge",
                "suspend",
                "unsuspend",
                name="actionkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["users.id"], name=op.f("fk_moderation_actions_moderator_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_actions")),
    )
    op.create_index(
        "ix_moderation_actions_kind_target_id", "moderation_actions", ["target_kind", "target_id"], unique=False
    )
    op.create_index(op.f("ix_moderation_actions_created_at"), "moderation_actions", ["created_at"], unique=False)

    op.create_table(
        "comment_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_comment_revisions_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["editor_id"], ["users.id"], name=op.f("fk_comment_revisions_editor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_revisions")),
    )
    op.create_index(op.f("ix_comment_revisions_comment_id"), "comment_revisions", ["comment_id"], unique=False)

    for table in HIDDEN:
        op.add_column(table, sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
    # /media looks up whether a photo is hidden on every request: few are, so this index stays tiny in use.
    op.create_index(op.f("ix_photos_hidden_at"), "photos", ["hidden_at"], unique=False)
    op.add_column("issue_revisions", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("suspended_reason", sa.Text(), nullable=True))


def downgrade():
    op.drop_column("users", "suspended_reason")
    op.drop_column("users", "suspended_at")
    op.drop_column("issue_revisions", "reason")
    op.drop_index(op.f("ix_photos_hidden_at"), table_name="photos")
    for table in HIDDEN:
        op.drop_column(table, "hidden_at")
    op.drop_index(op.f("ix_comment_revisions_comment_id"), table_name="comment_revisions")
    op.drop_table("comment_revisions")
    op.drop_index(op.f("ix_moderation_actions_created_at"), table_name="moderation_actions")
    op.drop_index("ix_moderation_actions_kind_target_id", table_name="moderation_actions")
    op.drop_table("moderation_actions")
    op.drop_index("ix_flags_resolved_at_kind_target_id", table_name="flags")
    op.drop_table("flags")
