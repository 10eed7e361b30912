"""attendance records, star awards, ledger corrections, reliability clearing

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 08:02:50.830410

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _add_self_reference(table: str, column: str, fk_name: str) -> None:
    """A nullable column referencing its own table, without rebuilding the table.

    A batch rebuild on SQLite would drop the append-only triggers of the ledgers (and copy
    rows through them), so SQLite gets an inline REFERENCES clause instead.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {fk_name} REFERENCES {table} (id) ON DELETE RESTRICT"
        )
        return
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(fk_name, table, table, [column], ["id"], ondelete="RESTRICT")


def upgrade():
    op.create_table(
        "star_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_star_awards_level")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_star_awards_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_star_awards")),
        sa.UniqueConstraint("person_id", "level", name=op.f("uq_star_awards_person_id_level")),
    )
    op.create_index(op.f("ix_star_awards_person_id"), "star_awards", ["person_id"])

    op.create_table(
        "attendance_records",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('completed', 'no_show', 'excused')",
            name=op.f("ck_attendance_records_outcome"),
        ),
        sa.CheckConstraint(
            "checked_out_at IS NULL OR checked_in_at IS NULL OR checked_out_at > checked_in_at",
            name=op.f("ck_attendance_records_check_out_after_check_in"),
        ),
        sa.CheckConstraint(
            "minutes IS NULL OR minutes >= 0",
            name=op.f("ck_attendance_records_minutes_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_attendance_records_assignment_id_assignments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_attendance_records_person_id_people"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_attendance_records_recorded_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_attendance_records")),
    )
    op.create_index(op.f("ix_attendance_records_outcome"), "attendance_records", ["outcome"])
    op.create_index(op.f("ix_attendance_records_person_id"), "attendance_records", ["person_id"])

    _add_self_reference(
        "hours_entries", "corrects_entry_id", "fk_hours_entries_corrects_entry_id_hours_entries"
    )
    op.create_index(
        op.f("ix_hours_entries_corrects_entry_id"), "hours_entries", ["corrects_entry_id"]
    )
    _add_self_reference(
        "points_entries", "reverses_entry_id", "fk_points_entries_reverses_entry_id_points_entries"
    )
    # An entry is reversed at most once.
    op.create_index(
        op.f("ix_points_entries_reverses_entry_id"),
        "points_entries",
        ["reverses_entry_id"],
        unique=True,
    )

    op.add_column(
        "people", sa.Column("reliability_cleared_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade():
    op.drop_column("people", "reliability_cleared_at")
    op.drop_index(op.f("ix_points_entries_reverses_entry_id"), table_name="points_entries")
    op.drop_index(op.f("ix_hours_entries_corrects_entry_id"), table_name="hours_entries")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column that no index or constraint other than its REFERENCES uses.
        op.execute("ALTER TABLE points_entries DROP COLUMN reverses_entry_id")
        op.execute("ALTER TABLE hours_entries DROP COLUMN corrects_entry_id")
    else:
        op.drop_column("points_entries", "reverses_entry_id")
        op.drop_column("hours_entries", "corrects_entry_id")
    op.drop_index(op.f("ix_attendance_records_person_id"), table_name="attendance_records")
    op.drop_index(op.f("ix_attendance_records_outcome"), table_name="attendance_records")
    op.drop_table("attendance_records")
    op.drop_index(op.f("ix_star_awards_person_id"), table_name="star_awards")
    op.drop_table("star_awards")
