"""course language: gradebook column names and score comments per LMS course

Revision ID: b18a00000003
Revises: b13a00000002
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b18a00000003'
down_revision = 'b13a00000002'
branch_labels = None
depends_on = None


def upgrade():
    # Expand-only: a nullable column; a course without it falls back to the learner's locale.
    with op.batch_alter_table('contexts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('contexts', schema=None) as batch_op:
        batch_op.drop_column('language')
