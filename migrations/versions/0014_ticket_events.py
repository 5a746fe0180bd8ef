"""311 ticket events, endpoint health and capabilities, duplicate-safe re-sends; the invented replies undone

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Until now the first sync of every accepted ticket posted an official comment "<agency> (311 #N): The city's
311 ticket is now open." that the city never wrote, notified residents of it and set the issue's
first_response_at, so the dashboard's time to first response measured civic's sync delay. This revision
turns each such comment into a ticket event (the ticket box's history), removes it from the thread, and
recomputes first_response_at from the official replies that remain. Comments carrying the city's own
notes are kept.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The synthetic comment, in English and in Spanish (the job ran in the default locale, but be safe).
SYNTHETIC = (
    re.compile(r"^.*\(311 #(?P<number>[^)]+)\): The city's 311 ticket is now (?P<status>[\w ]+)\.$", re.S),
    re.compile(r"^.*\(311 #(?P<number>[^)]+)\): El caso 311 de la ciudad ahora está (?P<status>[\w ]+)\.$", re.S),
)


def _create_tables() -> None:
    op.add_column(
        "open311_endpoints", sa.Column("capabilities", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
    )
    op.add_column("open311_endpoints", sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("open311_endpoints", sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("open311_endpoints", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("open311_submissions", sa.Column("absent_lookups", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("open311_submissions", sa.Column("first_absent_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "open311_submissions", sa.Column("maybe_at_city", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # Before this revision every try after the first looked first: keep that for what is still waiting.
    op.execute("UPDATE open311_submissions SET maybe_at_city = (attempts > 0 AND state IN ('queued', 'token'))")
    op.add_column(
        "open311_submissions",
        sa.Column("duplicate_ticket_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.create_table(
        "open311_ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "submission_id",
            sa.Integer(),
            sa.ForeignKey("open311_submissions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("city_status", sa.String(length=40), nullable=True),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("city_update_id", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_open311_ticket_events_submission_id", "open311_ticket_events", ["submission_id"])
    op.create_index("ix_open311_ticket_events_issue_id", "open311_ticket_events", ["issue_id"])


def _count_in_the_page_cache(table: str) -> None:
    """As 0013 does for every table public pages show: a change bumps the content counter."""
    bump = "UPDATE change_counters SET n = n + 1 WHERE name = 'content'"
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_content_{event.lower()} AFTER {event} ON {table} BEGIN {bump}; END")
    elif dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_content AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION content_counter_bump()"
        )


def _undo_invented_replies() -> None:
    conn = op.get_bind()
    comments = sa.table(
        "comments",
        sa.column("id"),
        sa.column("issue_id"),
        sa.column("author_id"),
        sa.column("official"),
        sa.column("body"),
        sa.column("created_at"),
    )
    issues = sa.table("issues", sa.column("id"), sa.column("comment_count"), sa.column("first_response_at"))
    submissions = sa.table(
        "open311_submissions", sa.column("id"), sa.column("issue_id"), sa.column("service_request_id")
    )
    events = sa.table(
        "open311_ticket_events",
        sa.column("submission_id"),
        sa.column("issue_id"),
        sa.column("kind"),
        sa.column("city_status"),
        sa.column("value"),
        sa.column("text"),
        sa.column("at"),
    )
    rows = conn.execute(
        sa.select(comments.c.id, comments.c.issue_id, comments.c.body, comments.c.created_at).where(
            comments.c.author_id.is_(None), comments.c.official.is_(True)
        )
    ).all()
    touched: set[int] = set()
    for row in rows:
        match = next((m for m in (p.match(row.body or "") for p in SYNTHETIC) if m), None)
        if match is None:
            continue  # the city's own words: a real update, kept
        submission_id = conn.execute(
            sa.select(submissions.c.id)
            .where(submissions.c.issue_id == row.issue_id, submissions.c.service_request_id == match["number"])
            .order_by(submissions.c.id)
            .limit(1)
        ).scalar()
        if submission_id is not None:
            conn.execute(
                events.insert().values(
                    submission_id=submission_id,
                    issue_id=row.issue_id,
                    kind="status",
                    city_status=match["status"].strip()[:40],
                    at=row.created_at,
                )
            )
        conn.execute(comments.delete().where(comments.c.id == row.id))
        conn.execute(
            issues.update().where(issues.c.id == row.issue_id).values(comment_count=issues.c.comment_count - 1)
        )
        touched.add(row.issue_id)
    for issue_id in touched:
        first = conn.execute(
            sa.select(sa.func.min(comments.c.created_at)).where(
                comments.c.issue_id == issue_id, comments.c.official.is_(True)
            )
        ).scalar()
        conn.execute(issues.update().where(issues.c.id == issue_id).values(first_response_at=first))


def upgrade():
    _create_tables()
    _count_in_the_page_cache("open311_ticket_events")
    _undo_invented_replies()


def downgrade():
    # The removed comments are not brought back: they said something the city never said.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS open311_ticket_events_content_{event}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS open311_ticket_events_content ON open311_ticket_events")
    op.drop_index("ix_open311_ticket_events_issue_id", table_name="open311_ticket_events")
    op.drop_index("ix_open311_ticket_events_submission_id", table_name="open311_ticket_events")
    op.drop_table("open311_ticket_events")
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: recreating open311_endpoints would delete it first,
    # and its ON DELETE CASCADE would take every submission with it.
    for column in ("duplicate_ticket_ids", "maybe_at_city", "first_absent_at", "absent_lookups"):
        op.drop_column("open311_submissions", column)
    for column in ("last_error", "last_error_at", "last_success_at", "capabilities"):
        op.drop_column("open311_endpoints", column)
