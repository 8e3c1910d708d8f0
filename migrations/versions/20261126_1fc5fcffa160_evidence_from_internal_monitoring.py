"""evidence from internal monitoring programmes

Evidence may name the institution's monitoring programme its results were taken
from (``evidence.monitoring_programme_id``, set to NULL when the programme is
deleted). The new kind INTERNAL_MONITORING needs no change of the schema: the
kind is a non-native enum (VARCHAR(30), no CHECK constraint, names stored), on
SQLite and PostgreSQL alike. Going down, such evidence is kept as a staff
member's evidence, the kind the earlier revisions know.

Revision ID: 1fc5fcffa160
Revises: 4b1d0c2e9a7f
Create Date: 2026-11-26 01:47:07.973502

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1fc5fcffa160"
down_revision = "4b1d0c2e9a7f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("monitoring_programme_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_evidence_monitoring_programme_id"),
            ["monitoring_programme_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_monitoring_programme_id_monitoring_programme"),
            "monitoring_programme",
            ["monitoring_programme_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    op.execute("UPDATE evidence SET kind = 'STAFF_NOTE' WHERE kind = 'INTERNAL_MONITORING'")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_evidence_monitoring_programme_id_monitoring_programme"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_evidence_monitoring_programme_id"))
        batch_op.drop_column("monitoring_programme_id")
