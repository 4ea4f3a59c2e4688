"""participation records: a ledger entry of one completed module (no activity, no points)

Revision ID: b18a00000001
Revises: b11a00000004
Create Date: 2026-12-03 12:00:00.000000

Expand-only: a new nullable column, `activity_id` may now be NULL (the previous release always
writes it, and never reads a participation record as it filters by activity), and a unique
constraint that binds only rows with the new column set, which the previous release never writes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b18a00000001'
down_revision = 'b11a00000004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accreditation_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('module_id', sa.String(length=64), nullable=True))
        batch_op.alter_column('activity_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint('uq_accreditation_ledger_participation_once',
                                          ['module_id', 'user_id', 'kind', 'corrects_seq'])


def downgrade():
    with op.batch_alter_table('accreditation_ledger', schema=None) as batch_op:
        batch_op.drop_constraint('uq_accreditation_ledger_participation_once', type_='unique')
        batch_op.alter_column('activity_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('module_id')
