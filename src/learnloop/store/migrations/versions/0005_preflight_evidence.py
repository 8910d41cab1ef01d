"""Pre-flight evidence in learner state: work checks and repeated rule failures per skill

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 10:00:00.000000

The columns are derived state like the rest of `learner_skills`: existing rows start with no
work evidence, and `learnloop rebuild` fills them from the statements already stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learner_skills", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("work_passed", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("work_failed", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column(
                "rules",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default=sa.text("'[]'"),
                nullable=False,
            ))


def downgrade() -> None:
    with op.batch_alter_table("learner_skills", schema=None) as batch_op:
        batch_op.drop_column("rules")
        batch_op.drop_column("work_failed")
        batch_op.drop_column("work_passed")
