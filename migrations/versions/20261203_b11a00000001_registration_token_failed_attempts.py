"""registration tokens count failed attempts

Revision ID: b11a00000001
Revises: cb74eaacfb84
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b11a00000001'
down_revision = 'cb74eaacfb84'
branch_labels = None
depends_on = None


def upgrade():
    # Expand only: NOT NULL with a server default, so the previous release's inserts keep working.
    with op.batch_alter_table('lti_registration_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('lti_registration_tokens', schema=None) as batch_op:
        batch_op.drop_column('failed_attempts')
