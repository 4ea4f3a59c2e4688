"""activity responses and lesson time

Revision ID: b12a00000002
Revises: b11a00000002
Create Date: 2026-12-03 09:00:00.000000

Expand-only: two new tables, nothing the previous release reads or writes changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b12a00000002'
down_revision = 'b11a00000002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'learning_activity_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('resource_link_pk', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.String(length=64), nullable=False),
        sa.Column('activity_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['module_id'], ['catalog_modules.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resource_link_pk'], ['resource_links.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'resource_link_pk', 'module_id', 'activity_id',
                            name='uq_learning_activity_responses'),
    )
    with op.batch_alter_table('learning_activity_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_activity_responses_resource_link_pk'), ['resource_link_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_activity_responses_user_id'), ['user_id'], unique=False)

    op.create_table(
        'learning_lesson_time',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('resource_link_pk', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.String(length=64), nullable=False),
        sa.Column('seconds', sa.Integer(), nullable=False),
        sa.Column('last_beat_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['module_id'], ['catalog_modules.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resource_link_pk'], ['resource_links.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'resource_link_pk', 'module_id', name='uq_learning_lesson_time'),
    )
    with op.batch_alter_table('learning_lesson_time', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_lesson_time_resource_link_pk'), ['resource_link_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_lesson_time_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('learning_lesson_time', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_lesson_time_user_id'))
        batch_op.drop_index(batch_op.f('ix_learning_lesson_time_resource_link_pk'))
    op.drop_table('learning_lesson_time')
    with op.batch_alter_table('learning_activity_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_activity_responses_user_id'))
        batch_op.drop_index(batch_op.f('ix_learning_activity_responses_resource_link_pk'))
    op.drop_table('learning_activity_responses')
