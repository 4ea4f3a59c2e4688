"""the grade outbox carries event attendance scores too: attempt_id may be empty, event_id and event_seq

Revision ID: b13b00000001
Revises: b13a00000001
Create Date: 2026-12-03 19:00:00.000000

Expand-only: attempt_id loses its NOT NULL (the previous release always writes it), two nullable
columns the previous release never writes, a foreign key and a unique index on those new columns
only (rows of the previous release leave them NULL, so they cannot collide or dangle). The unique
index is built CONCURRENTLY on PostgreSQL, so grade deliveries keep being written meanwhile.

Deploy note: only the new release writes rows without an attempt (event attendance scores). A
grade worker of the previous release that claimed one would not know the event's column and could
post it to the placement's post-test column, so let the rollout finish (old workers and web
processes, whose in-process drainer delivers too, stopped) before attendance is taken.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b13b00000001'
down_revision = 'b13a00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grade_deliveries', schema=None) as batch_op:
        batch_op.alter_column('attempt_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('event_seq', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_grade_deliveries_event_id_events', 'events', ['event_id'], ['id'],
                                    ondelete='CASCADE')
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.create_index('ix_grade_deliveries_event_id', 'grade_deliveries', ['event_id'], unique=False,
                            postgresql_concurrently=True)
            op.create_index('uq_grade_deliveries_event_seq', 'grade_deliveries', ['event_id', 'user_id', 'event_seq'],
                            unique=True, postgresql_concurrently=True)
    else:
        with op.batch_alter_table('grade_deliveries', schema=None) as batch_op:
            batch_op.create_index('ix_grade_deliveries_event_id', ['event_id'], unique=False)
            batch_op.create_index('uq_grade_deliveries_event_seq', ['event_id', 'user_id', 'event_seq'], unique=True)


def downgrade():
    with op.batch_alter_table('grade_deliveries', schema=None) as batch_op:
        batch_op.drop_index('uq_grade_deliveries_event_seq')
        batch_op.drop_index('ix_grade_deliveries_event_id')
        batch_op.drop_constraint('fk_grade_deliveries_event_id_events', type_='foreignkey')
        batch_op.drop_column('event_seq')
        batch_op.drop_column('event_id')
    op.execute(sa.text('DELETE FROM grade_deliveries WHERE attempt_id IS NULL'))
    with op.batch_alter_table('grade_deliveries', schema=None) as batch_op:
        batch_op.alter_column('attempt_id', existing_type=sa.Integer(), nullable=False)
