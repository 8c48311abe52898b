"""a task's repository and ref (it runs in a git worktree)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repository", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("ref", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("ref")
        batch_op.drop_column("repository")
