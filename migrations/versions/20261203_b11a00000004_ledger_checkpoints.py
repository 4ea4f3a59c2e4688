"""ledger checkpoints: signed statements of the accreditation ledger's head

Revision ID: b11a00000004
Revises: b12a00000002
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b11a00000004'
down_revision = 'b12a00000002'
branch_labels = None
depends_on = None


def upgrade():
    # A new table only (expand): the previous release never reads or writes it.
    op.create_table('accreditation_ledger_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('accreditation_ledger_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accreditation_ledger_checkpoints_seq'), ['seq'], unique=False)


def downgrade():
    with op.batch_alter_table('accreditation_ledger_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accreditation_ledger_checkpoints_seq'))
    op.drop_table('accreditation_ledger_checkpoints')
