"""schools: a school admin's school, its staff, and its classes

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 17:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'schools',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('join_code_hash', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_schools')),
        sa.UniqueConstraint('join_code_hash', name=op.f('uq_schools_join_code_hash')),
    )
    op.create_table(
        'school_staff',
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('school_id', sa.BigInteger(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("role IN ('admin', 'teacher')",
                           name=op.f('ck_school_staff_role_valid')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_school_staff_user_id_users')),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id'], ondelete='CASCADE',
                                name=op.f('fk_school_staff_school_id_schools')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_school_staff')),
    )
    op.create_index(op.f('ix_school_staff_school_id'), 'school_staff', ['school_id'])
    op.add_column('classes', sa.Column('school_id', sa.BigInteger(), nullable=True))
    op.create_foreign_key(op.f('fk_classes_school_id_schools'), 'classes', 'schools',
                          ['school_id'], ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_classes_school_id'), 'classes', ['school_id'])
    # School admins registered before schools existed get the school they named.
    conn = op.get_bind()
    admins = conn.execute(sa.text(
        "SELECT id, left(coalesce(nullif(btrim(school_name), ''), "
        "display_name || chr(39) || 's school'), 200) FROM users "
        "WHERE 'SCHOOL_ADMIN' = ANY(roles) ORDER BY created_at, id")).all()
    for user_id, name in admins:
        school_id = conn.execute(sa.text("INSERT INTO schools (name) VALUES (:name) "
                                         "RETURNING id"), {"name": name}).scalar_one()
        conn.execute(sa.text("INSERT INTO school_staff (user_id, school_id, role) "
                             "VALUES (:user, :school, 'admin')"),
                     {"user": user_id, "school": school_id})
        conn.execute(sa.text("UPDATE classes SET school_id = :school WHERE teacher_id = :user"),
                     {"user": user_id, "school": school_id})


def downgrade() -> None:
    op.drop_index(op.f('ix_classes_school_id'), table_name='classes')
    op.drop_constraint(op.f('fk_classes_school_id_schools'), 'classes', type_='foreignkey')
    op.drop_column('classes', 'school_id')
    op.drop_index(op.f('ix_school_staff_school_id'), table_name='school_staff')
    op.drop_table('school_staff')
    op.drop_table('schools')
