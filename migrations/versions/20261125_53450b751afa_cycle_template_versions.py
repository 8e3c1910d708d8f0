"""cycle template versions: a founder edits a template not yet launched

Revision ID: 53450b751afa
Revises: e2ff7899a67b
Create Date: 2026-11-25 19:00:34.600073

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "53450b751afa"
down_revision = "e2ff7899a67b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cycle_template", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("cycle_template", schema=None) as batch_op:
        batch_op.drop_column("version")
