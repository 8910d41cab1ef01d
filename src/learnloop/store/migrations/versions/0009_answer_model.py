"""The answer model: its history per person and skill and per person and pack, and the model
each organisation's packs are scored with

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('learner_skills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trace', JSON, nullable=True))
    op.create_table('learner_traces',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('pack', sa.String(length=64), nullable=False),
    sa.Column('trace', JSON, nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_learner_traces_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'pack', name=op.f('pk_learner_traces'))
    )
    op.create_table('answer_models',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('pack', sa.String(length=64), nullable=False),
    sa.Column('model', JSON, nullable=True),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('held_out_loss_fitted', sa.Float(), nullable=True),
    sa.Column('held_out_loss_shipped', sa.Float(), nullable=True),
    sa.Column('fitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_answer_models_org_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'pack', name=op.f('pk_answer_models'))
    )


def downgrade() -> None:
    op.drop_table('answer_models')
    op.drop_table('learner_traces')
    with op.batch_alter_table('learner_skills', schema=None) as batch_op:
        batch_op.drop_column('trace')
