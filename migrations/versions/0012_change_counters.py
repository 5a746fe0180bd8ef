"""change counters: a number that grows with every change to issues or categories, for the map's cache

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25

civic/issues/viewcache.py keys cached map answers by it: any insert, update or delete of an issue or a
category (what the bbox API shows) makes every earlier answer unreachable. Triggers, so that no write path
can forget it. Written by hand: Alembic cannot describe triggers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COUNTED = ("issues", "categories")


def upgrade():
    op.create_table(
        "change_counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counters")),
    )
    op.execute("INSERT INTO change_counters (name, n) VALUES ('map', 0)")
    bump = "UPDATE change_counters SET n = n + 1 WHERE name = 'map'"
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in COUNTED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_count_{event.lower()} AFTER {event} ON {table} BEGIN {bump}; END")
    elif dialect == "postgresql":
        op.execute(
            f"CREATE FUNCTION change_counters_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {bump}; RETURN NULL; END $$"
        )
        for table in COUNTED:  # once per statement: a bulk load bumps it once
            op.execute(
                f"CREATE TRIGGER {table}_count AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump()"
            )


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in COUNTED:
        if dialect == "sqlite":
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_count_{event}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_count ON {table}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS change_counters_bump()")
    op.drop_table("change_counters")
