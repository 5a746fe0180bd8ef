"""text search over issues' titles and descriptions (SQLite FTS5, PostgreSQL full-text)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

SQLite: `issues_fts`, an external-content FTS5 table over issues.title and issues.description (the text is
not stored twice), with accents folded (unicode61 remove_diacritics 2); triggers keep it in step with every
insert, edit (by the reporter, a moderator's rewrite, personal data removed) and delete.
PostgreSQL: a generated tsvector column `search_vector` with a GIN index, in the `civic_search` text search
configuration: a copy of 'simple' (no stemming or stop words, so English and Spanish both work) that folds
accents through `unaccent` where the extension can be created. civic/issues/search.py queries both.
Existing issues are indexed here. Written by hand: Alembic cannot describe these.

Map markers now show an issue's first photo (civic/issues/markers.py), so photos bump the 'map' change counter
too (migration 0012): a photo hidden or replaced by the moderators leaves no cached marker pointing at it.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "issues_fts_insert": "AFTER INSERT ON issues BEGIN "
    "INSERT INTO issues_fts (rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "issues_fts_delete": "AFTER DELETE ON issues BEGIN "
    "INSERT INTO issues_fts (issues_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); END",
    # Only when the text changes: upvotes and comment counts rewrite issues rows far more often.
    "issues_fts_update": "AFTER UPDATE OF title, description ON issues BEGIN "
    "INSERT INTO issues_fts (issues_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
    "INSERT INTO issues_fts (rowid, title, description) VALUES (new.id, new.title, new.description); END",
}


def _postgres_unaccent() -> bool:
    """Create the unaccent extension when this role may; without it search works, accents unfolded."""
    bind = op.get_bind()
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    except Exception:  # noqa: BLE001 - not installed on the server, or not allowed: no accent folding
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


MAP_BUMP = "UPDATE change_counters SET n = n + 1 WHERE name = 'map'"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER photos_count_{event.lower()} AFTER {event} ON photos BEGIN {MAP_BUMP}; END")
        op.execute(
            "CREATE VIRTUAL TABLE issues_fts USING fts5(title, description, content='issues', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        op.execute("INSERT INTO issues_fts (issues_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute(  # the function is migration 0012's
            "CREATE TRIGGER photos_count AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON photos "
            "FOR EACH STATEMENT EXECUTE FUNCTION change_counters_bump()"
        )
        op.execute("CREATE TEXT SEARCH CONFIGURATION civic_search (COPY = simple)")
        if _postgres_unaccent():
            op.execute(
                "ALTER TEXT SEARCH CONFIGURATION civic_search "
                "ALTER MAPPING FOR word, hword, hword_part WITH unaccent, simple"
            )
        op.execute(
            "ALTER TABLE issues ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('civic_search'::regconfig, coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('civic_search'::regconfig, coalesce(description, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_issues_search_vector ON issues USING gin (search_vector)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS photos_count_{event}")
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS issues_fts")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS photos_count ON photos")
        op.execute("DROP INDEX IF EXISTS ix_issues_search_vector")
        op.execute("ALTER TABLE issues DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS civic_search")
