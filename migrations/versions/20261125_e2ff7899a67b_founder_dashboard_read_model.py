"""founder dashboard read model: direction results of final cycles, data versions

Revision ID: e2ff7899a67b
Revises: cb8e6b30c93d
Create Date: 2026-11-25 18:34:49.705786

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e2ff7899a67b"
down_revision = "cb8e6b30c93d"
branch_labels = None
depends_on = None

#: Cycles discussed before this revision get the results the founder's dashboard
#: showed for them until now: the mean of means up the catalog tree (indicators →
#: criteria → requirements → directions), each rounded half up to hundredths, and
#: the first level of the cycle's scale (by rank) the score reaches, or its last.
#: The casts keep every division an integer one (PostgreSQL sums bigints as numeric).
#: Newer cycles store the cycle's own roll-up when they are discussed.
BACKFILL = """
WITH by_criterion AS (
    SELECT a.cycle_id, indicator.parent_id AS item_id,
           (2 * CAST(SUM(a.score) AS BIGINT) + COUNT(a.score)) / (2 * COUNT(a.score)) AS points
    FROM item_assessment a
    JOIN assessment_cycle c ON c.id = a.cycle_id
    JOIN catalog_item indicator ON indicator.id = a.item_id
    WHERE a.score IS NOT NULL AND indicator.kind = 'INDICATOR'
      AND c.status IN ('DISCUSSED', 'PUBLISHED', 'CLOSED')
    GROUP BY a.cycle_id, indicator.parent_id
), by_requirement AS (
    SELECT b.cycle_id, criterion.parent_id AS item_id,
           (2 * CAST(SUM(b.points) AS BIGINT) + COUNT(b.points)) / (2 * COUNT(b.points)) AS points
    FROM by_criterion b JOIN catalog_item criterion ON criterion.id = b.item_id
    GROUP BY b.cycle_id, criterion.parent_id
), by_direction AS (
    SELECT b.cycle_id, requirement.parent_id AS item_id,
           (2 * CAST(SUM(b.points) AS BIGINT) + COUNT(b.points)) / (2 * COUNT(b.points)) AS points
    FROM by_requirement b JOIN catalog_item requirement ON requirement.id = b.item_id
    GROUP BY b.cycle_id, requirement.parent_id
), levelled AS (
    SELECT d.cycle_id, c.institution_id, direction.code, d.points,
           COALESCE(
               (SELECT l.id FROM scale_level l
                WHERE l.scale_id = c.scale_id AND l.min_score <= d.points
                ORDER BY l.rank LIMIT 1),
               (SELECT l.id FROM scale_level l
                WHERE l.scale_id = c.scale_id ORDER BY l.rank DESC LIMIT 1)
           ) AS level_id
    FROM by_direction d
    JOIN assessment_cycle c ON c.id = d.cycle_id
    JOIN catalog_item direction ON direction.id = d.item_id
)
INSERT INTO direction_result (cycle_id, institution_id, code, points, level_name, level_css)
SELECT levelled.cycle_id, levelled.institution_id, levelled.code, levelled.points,
       COALESCE(level.name, ''),
       CASE level.colour WHEN 'GREEN' THEN 'level-1' WHEN 'TEAL' THEN 'level-2'
            WHEN 'YELLOW' THEN 'level-3' WHEN 'RED' THEN 'level-4' ELSE '' END
FROM levelled LEFT JOIN scale_level level ON level.id = levelled.level_id
"""


def upgrade():
    op.create_table(
        "direction_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("level_name", sa.String(length=120), nullable=False),
        sa.Column("level_css", sa.String(length=20), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["assessment_cycle.id"],
            name=op.f("fk_direction_result_cycle_id_assessment_cycle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_direction_result_institution_id_institution"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_direction_result")),
        sa.UniqueConstraint("cycle_id", "code", name=op.f("uq_direction_result_cycle_id_code")),
    )
    with op.batch_alter_table("direction_result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_direction_result_cycle_id"), ["cycle_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_direction_result_institution_id"), ["institution_id"], unique=False
        )
    op.execute(BACKFILL)
    with op.batch_alter_table("institution", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("data_version", sa.BigInteger(), server_default="0", nullable=False)
        )
    # A random version each, as every later write gives (no two states share one).
    institution = sa.table("institution", sa.column("id"), sa.column("data_version"))
    connection = op.get_bind()
    for (institution_id,) in connection.execute(sa.select(institution.c.id)).all():
        connection.execute(
            institution.update()
            .where(institution.c.id == institution_id)
            .values(data_version=secrets.randbits(62))
        )


def downgrade():
    with op.batch_alter_table("institution", schema=None) as batch_op:
        batch_op.drop_column("data_version")
    with op.batch_alter_table("direction_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_direction_result_institution_id"))
        batch_op.drop_index(batch_op.f("ix_direction_result_cycle_id"))

    op.drop_table("direction_result")
