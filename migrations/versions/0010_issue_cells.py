"""issue_cells: precomputed cluster counts per map grid level, kept by triggers (issue 9, city view at scale)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25

A cell at level z is 90 / 2**z degrees square (64 screen pixels at zoom z), numbered from (-180, -90):
gx = floor((lon + 180) / 90 * 2**z). Multiplying by a power of two is exact in floating point, so a cell's
children at level z + 1 are exactly (2gx, 2gx + 1) x (2gy, 2gy + 1). Each row counts the visible issues
(not hidden by moderators) of one category and status in one cell, with the sums of their coordinates and
ids: the centroid of a cluster is sum / n, and when n == 1 the sum of ids is the issue's id. One more row
per cell, category_id 0 and status '', counts every visible issue in it: the map without filters (nearly
every request) reads one row per cell.
See civic/issues/cells.py, which reads the table. Written by hand: Alembic cannot describe triggers.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LEVELS = range(8, 17)  # keep in step with civic.issues.cells.CELL_LEVELS
KEY = "level, gx, gy, category_id, status"


def upgrade():
    op.create_table(
        "issue_cell_levels",
        sa.Column("level", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("scale", sa.Float(), nullable=False),  # 2 ** level
    )
    op.create_table(
        "issue_cells",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("gx", sa.Integer(), nullable=False),
        sa.Column("gy", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_lat", sa.Float(), nullable=False),
        sa.Column("sum_lon", sa.Float(), nullable=False),
        sa.Column("sum_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("level", "gx", "gy", "category_id", "status", name="pk_issue_cells"),
        sqlite_with_rowid=False,  # rows stored in key order: a view's cells are one contiguous range
    )
    op.bulk_insert(
        sa.table("issue_cell_levels", sa.column("level", sa.Integer), sa.column("scale", sa.Float)),
        [{"level": z, "scale": float(2**z)} for z in LEVELS],
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _postgresql_trigger()
    # Existing issues, counted once; the triggers keep the counts from now on.
    floor = "CAST(%s AS INTEGER)" if dialect == "sqlite" else "floor(%s)::integer"
    gx, gy = floor % "(i.lon + 180.0) / 90.0 * l.scale", floor % "(i.lat + 90.0) / 90.0 * l.scale"
    for category, status in (("i.category_id", "i.status"), ("0", "''")):  # per kind, then all kinds
        op.execute(
            f"INSERT INTO issue_cells ({KEY}, n, sum_lat, sum_lon, sum_id) "
            f"SELECT l.level, {gx}, {gy}, {category}, {status}, count(*), sum(i.lat), sum(i.lon), sum(i.id) "
            f"FROM issues i CROSS JOIN issue_cell_levels l WHERE i.hidden_at IS NULL "
            f"GROUP BY l.level, {gx}, {gy}" + (", i.category_id, i.status" if category != "0" else "")
        )


def _sqlite_add(row: str, sign: str, when: str) -> str:
    """Two upserts per level (its kind, and all kinds) for the issue `row` (new or old), adding (sign 1) or
    removing (sign -1) it."""
    return (
        f"INSERT INTO issue_cells ({KEY}, n, sum_lat, sum_lon, sum_id) "
        f"SELECT l.level, CAST(({row}.lon + 180.0) / 90.0 * l.scale AS INTEGER), "
        f"CAST(({row}.lat + 90.0) / 90.0 * l.scale AS INTEGER), k.category_id, k.status, "
        f"{sign}, {sign} * {row}.lat, {sign} * {row}.lon, {sign} * {row}.id "
        f"FROM issue_cell_levels l CROSS JOIN (SELECT {row}.category_id AS category_id, {row}.status AS status "
        f"UNION ALL SELECT 0, '') AS k WHERE {when} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n, sum_lat = sum_lat + excluded.sum_lat, "
        f"sum_lon = sum_lon + excluded.sum_lon, sum_id = sum_id + excluded.sum_id;"
    )


def _sqlite_triggers():
    op.execute(
        "CREATE TRIGGER issue_cells_insert AFTER INSERT ON issues BEGIN "
        + _sqlite_add("new", "1", "new.hidden_at IS NULL")
        + " END"
    )
    op.execute(
        "CREATE TRIGGER issue_cells_delete AFTER DELETE ON issues BEGIN "
        + _sqlite_add("old", "-1", "old.hidden_at IS NULL")
        + " END"
    )
    op.execute(
        "CREATE TRIGGER issue_cells_update AFTER UPDATE OF lat, lon, status, category_id, hidden_at "
        "ON issues BEGIN "
        + _sqlite_add("old", "-1", "old.hidden_at IS NULL")
        + _sqlite_add("new", "1", "new.hidden_at IS NULL")
        + " END"
    )


def _postgresql_trigger():
    # Old and new rows go in one statement, summed per cell and in key order: a move within a cell touches
    # its row once, and concurrent status changes lock rows in the same order (no deadlock).
    op.execute(f"""
CREATE FUNCTION issue_cells_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.lat = NEW.lat AND OLD.lon = NEW.lon AND OLD.status = NEW.status
       AND OLD.category_id = NEW.category_id AND (OLD.hidden_at IS NULL) = (NEW.hidden_at IS NULL) THEN
        RETURN NULL;
    END IF;
    INSERT INTO issue_cells ({KEY}, n, sum_lat, sum_lon, sum_id)
    SELECT l.level, floor((d.lon + 180.0) / 90.0 * l.scale)::integer,
           floor((d.lat + 90.0) / 90.0 * l.scale)::integer, d.category_id, d.status,
           sum(d.sign), sum(d.sign * d.lat), sum(d.sign * d.lon), sum(d.sign * d.id)
    FROM issue_cell_levels l CROSS JOIN (
        SELECT OLD.lat, OLD.lon, k.category_id, k.status, OLD.id, -1
        FROM (VALUES (OLD.category_id, OLD.status), (0, '')) AS k (category_id, status)
        WHERE TG_OP IN ('UPDATE', 'DELETE') AND OLD.hidden_at IS NULL
        UNION ALL
        SELECT NEW.lat, NEW.lon, k.category_id, k.status, NEW.id, 1
        FROM (VALUES (NEW.category_id, NEW.status), (0, '')) AS k (category_id, status)
        WHERE TG_OP IN ('UPDATE', 'INSERT') AND NEW.hidden_at IS NULL
    ) AS d (lat, lon, category_id, status, id, sign)
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ({KEY}) DO UPDATE SET n = issue_cells.n + excluded.n,
        sum_lat = issue_cells.sum_lat + excluded.sum_lat, sum_lon = issue_cells.sum_lon + excluded.sum_lon,
        sum_id = issue_cells.sum_id + excluded.sum_id;
    RETURN NULL;
END $$;
""")
    # Every new issue rewrites eighteen rows: leave room on each page for in-place (HOT) updates, and vacuum often.
    op.execute(
        "ALTER TABLE issue_cells SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, "
        "autovacuum_analyze_scale_factor = 0.05)"
    )
    op.execute(
        "CREATE TRIGGER issue_cells_change AFTER INSERT OR DELETE OR UPDATE OF lat, lon, status, "
        "category_id, hidden_at ON issues FOR EACH ROW EXECUTE FUNCTION issue_cells_apply()"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("issue_cells_insert", "issue_cells_delete", "issue_cells_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS issue_cells_change ON issues")
        op.execute("DROP FUNCTION IF EXISTS issue_cells_apply()")
    op.drop_table("issue_cells")
    op.drop_table("issue_cell_levels")
