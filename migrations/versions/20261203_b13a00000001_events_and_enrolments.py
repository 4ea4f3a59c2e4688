"""events, enrolments and attendance; accreditation activities may point at an event

Revision ID: b13a00000001
Revises: b18a00000003
Create Date: 2026-12-03 16:00:00.000000

Expand-only: four new tables and one nullable column the previous release never reads or writes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b13a00000001'
down_revision = 'b18a00000003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_key', sa.String(length=160), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('module_id', sa.String(length=64), nullable=True),
        sa.Column('course_id', sa.String(length=64), nullable=True),
        sa.Column('mode', sa.String(length=32), nullable=False),
        sa.Column('title', sa.JSON(), nullable=False),
        sa.Column('description', sa.JSON(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('location', sa.String(length=255), nullable=True),
        sa.Column('online_url', sa.String(length=1024), nullable=True),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('organiser', sa.String(length=255), nullable=False),
        sa.Column('organiser_user_id', sa.Integer(), nullable=True),
        sa.Column('context_pk', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=255), nullable=False),
        sa.Column('seats_version', sa.Integer(), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['context_pk'], ['contexts.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['module_id'], ['catalog_modules.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organiser_user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source_key'),
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_starts_at'), ['starts_at'], unique=False)

    op.create_table(
        'event_enrolments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('resource_link_pk', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('uid', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resource_link_pk'], ['resource_links.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'user_id', name='uq_event_enrolments_once'),
        sa.UniqueConstraint('uid'),
    )
    with op.batch_alter_table('event_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_enrolments_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_enrolments_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_enrolments_user_id'), ['user_id'], unique=False)

    op.create_table(
        'event_attendance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('late_minutes', sa.Integer(), nullable=False),
        sa.Column('left_early_minutes', sa.Integer(), nullable=False),
        sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'user_id', name='uq_event_attendance_once'),
    )
    with op.batch_alter_table('event_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_attendance_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_attendance_user_id'), ['user_id'], unique=False)

    op.create_table(
        'event_attendance_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('changed_by', sa.String(length=255), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('event_attendance_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_attendance_changes_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_attendance_changes_user_id'), ['user_id'], unique=False)

    op.add_column('accreditation_activities', sa.Column('event_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_accreditation_activities_event_id'), 'accreditation_activities', ['event_id'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_accreditation_activities_event_id'), table_name='accreditation_activities')
    with op.batch_alter_table('accreditation_activities', schema=None) as batch_op:
        batch_op.drop_column('event_id')
    op.drop_table('event_attendance_changes')
    op.drop_table('event_attendance')
    op.drop_table('event_enrolments')
    op.drop_table('events')
