"""team self-assessment rounds and their private answers

Revision ID: b13a00000002
Revises: b18a00000001
Create Date: 2026-12-03 12:00:00.000000

Expand-only: two new tables, nothing the previous release reads or writes changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b13a00000002'
down_revision = 'b18a00000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'selfassessment_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('context_pk', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('definition_hash', sa.String(length=64), nullable=False),
        sa.Column('opened_by', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('aggregate', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['context_pk'], ['contexts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['opened_by'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('selfassessment_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfassessment_rounds_context_pk'), ['context_pk'], unique=False)

    op.create_table(
        'selfassessment_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('scores', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['selfassessment_rounds.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id', 'user_id', name='uq_selfassessment_answers_round_user'),
    )
    with op.batch_alter_table('selfassessment_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selfassessment_answers_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selfassessment_answers_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('selfassessment_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfassessment_answers_user_id'))
        batch_op.drop_index(batch_op.f('ix_selfassessment_answers_round_id'))
    op.drop_table('selfassessment_answers')
    with op.batch_alter_table('selfassessment_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selfassessment_rounds_context_pk'))
    op.drop_table('selfassessment_rounds')
