"""questionnaire structure versions: its questions kept between answers

Revision ID: 4b1d0c2e9a7f
Revises: 0ccd6b533a7a
Create Date: 2026-11-25 22:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4b1d0c2e9a7f"
down_revision = "0ccd6b533a7a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("survey_questionnaire", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("structure_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("survey_questionnaire", schema=None) as batch_op:
        batch_op.drop_column("structure_version")
