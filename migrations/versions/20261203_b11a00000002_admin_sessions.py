"""administrators' server-side sessions

Revision ID: b11a00000002
Revises: b11a00000001
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b11a00000002'
down_revision = 'b11a00000001'
branch_labels = None
depends_on = None


def upgrade():
    # A new table only (expand): the previous release keeps signing in with session["admin_id"].
    op.create_table('accreditation_admin_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['admin_id'], ['accreditation_admins.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('accreditation_admin_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accreditation_admin_sessions_admin_id'), ['admin_id'], unique=False)


def downgrade():
    with op.batch_alter_table('accreditation_admin_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accreditation_admin_sessions_admin_id'))

    op.drop_table('accreditation_admin_sessions')
