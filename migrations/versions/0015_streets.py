"""The street gazetteer (the city's centreline segments) and each issue's nearest block

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

Segments are plain rows: the line as JSON text and its bounding box in indexed float columns, so the
nearest-segment lookup is the same query on SQLite and PostgreSQL (no PostGIS or SpatiaLite). Existing
issues get their block from `flask geo assign-blocks` once streets are imported.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "street_segments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seg_id", sa.String(length=40), nullable=True),
        sa.Column("pre_dir", sa.String(length=4), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("street_type", sa.String(length=8), nullable=True),
        sa.Column("suf_dir", sa.String(length=4), nullable=True),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=80), nullable=False),
        sa.Column("left_from", sa.Integer(), nullable=True),
        sa.Column("left_to", sa.Integer(), nullable=True),
        sa.Column("right_from", sa.Integer(), nullable=True),
        sa.Column("right_to", sa.Integer(), nullable=True),
        sa.Column("coordinates", sa.Text(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
    )
    op.create_index("ix_street_segments_name_key", "street_segments", ["name_key"])
    op.create_index("ix_street_segments_bbox", "street_segments", ["min_lat", "max_lat", "min_lon", "max_lon"])
    op.add_column("issues", sa.Column("block_number", sa.Integer(), nullable=True))
    op.add_column("issues", sa.Column("block_street", sa.String(length=120), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy of issues (its triggers and dependants stay).
    op.drop_column("issues", "block_street")
    op.drop_column("issues", "block_number")
    op.drop_index("ix_street_segments_bbox", table_name="street_segments")
    op.drop_index("ix_street_segments_name_key", table_name="street_segments")
    op.drop_table("street_segments")
