"""content counter: a number that grows with every change to what public pages show, for the page cache

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25

civic/pagecache.py keys the pages it keeps for anonymous readers by it. Every table bumps it except those
no public page shows and that change all the time (job leases every few seconds, notifications, the mail
outbox, token use, the moderation log, 311 API keys). A table added later and not given triggers here is
still covered by the cache's time limit (CIVIC_PAGE_CACHE_SECONDS).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NOT_COUNTED = {
    "job_leases",
    "notifications",
    "outgoing_mail",
    "api_tokens",
    "moderation_actions",
    "open311_api_keys",
    "change_counters",
    "issue_cells",
    "issue_cell_levels",
    "alembic_version",
}


def _counted_tables() -> list[str]:
    names = sa.inspect(op.get_bind()).get_table_names()
    return sorted(n for n in names if n not in NOT_COUNTED and not n.startswith(("sqlite_", "issue_rtree")))


def upgrade():
    op.execute("INSERT INTO change_counters (name, n) VALUES ('content', 0)")
    bump = "UPDATE change_counters SET n = n + 1 WHERE name = 'content'"
    dialect = op.get_bind().dialect.name
    for table in _counted_tables():
        if dialect == "sqlite":
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_content_{event.lower()} AFTER {event} ON {table} BEGIN {bump}; END")
        elif dialect == "postgresql":
            if table == _counted_tables()[0]:
                op.execute(
                    f"CREATE FUNCTION content_counter_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN {bump}; RETURN NULL; END $$"
                )
            op.execute(
                f"CREATE TRIGGER {table}_content AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION content_counter_bump()"
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in _counted_tables():
        if dialect == "sqlite":
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_content_{event}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_content ON {table}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS content_counter_bump()")
    op.execute("DELETE FROM change_counters WHERE name = 'content'")
