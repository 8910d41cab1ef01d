"""The learner model's calibrations: per-person memory parameters, item 2PL parameters, and the
evidence for true retention on each memory row

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('learner_memory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_correct', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('due_checks', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('due_recalled', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('due_expected', sa.Float(), server_default='0',
                                      nullable=False))
    op.create_table('memory_parameters',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('parameters', JSON, nullable=False),
    sa.Column('personal', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('scored_reviews', sa.Integer(), nullable=False),
    sa.Column('held_out', sa.Integer(), nullable=False),
    sa.Column('held_out_loss_fitted', sa.Float(), nullable=True),
    sa.Column('held_out_loss_default', sa.Float(), nullable=True),
    sa.Column('answers_at_fit', sa.Integer(), nullable=False),
    sa.Column('fitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_memory_parameters_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_memory_parameters'))
    )
    op.create_table('item_calibrations',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('pack', sa.String(length=64), nullable=False),
    sa.Column('family', sa.String(length=64), nullable=False),
    sa.Column('difficulty', sa.Float(), nullable=False),
    sa.Column('discrimination', sa.Float(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('proportion_correct', sa.Float(), nullable=False),
    sa.Column('difficulty_se', sa.Float(), nullable=True),
    sa.Column('discrimination_se', sa.Float(), nullable=True),
    sa.Column('flag', sa.Text(), nullable=True),
    sa.Column('fitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_item_calibrations_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'pack', 'family', name=op.f('pk_item_calibrations'))
    )


def downgrade() -> None:
    op.drop_table('item_calibrations')
    op.drop_table('memory_parameters')
    with op.batch_alter_table('learner_memory', schema=None) as batch_op:
        batch_op.drop_column('due_expected')
        batch_op.drop_column('due_recalled')
        batch_op.drop_column('due_checks')
        batch_op.drop_column('first_correct')
