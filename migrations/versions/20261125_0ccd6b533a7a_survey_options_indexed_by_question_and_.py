"""survey options indexed by question and institution (the tenant filter misled SQLite)

Revision ID: 0ccd6b533a7a
Revises: 53450b751afa
Create Date: 2026-11-25 19:09:57.242399

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0ccd6b533a7a"
down_revision = "53450b751afa"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("survey_option", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_option_question_id"))
        batch_op.create_index(
            "ix_survey_option_question_id_institution_id",
            ["question_id", "institution_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("survey_option", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_option_question_id_institution_id")
        batch_op.create_index(
            batch_op.f("ix_survey_option_question_id"), ["question_id"], unique=False
        )
