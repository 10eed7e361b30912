"""no double booking (assignment times, exclusion constraint / triggers), edit versions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00.000000

Upgrading refuses to run while a person already holds two booked (offered, confirmed or
completed) assignments whose times overlap: the error lists them, to be cancelled (or
their shifts moved) by hand before running the upgrade again. Seats still active on
cancelled shifts are cancelled first, as cancelling a shift now does.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Kept in step with models/assignment.py (a migration must not import the live models).
BOOKED = "'offered', 'confirmed', 'completed'"
CONSTRAINT = "ex_assignments_no_double_booking"
MESSAGE = "assignment overlaps another booked assignment of the same person"
VERSIONED = ("needs", "shifts", "positions", "people")
SQLITE_TRIGGERS = (
    "assignments_no_double_booking_insert",
    "assignments_no_double_booking_update",
    "assignments_times_required",
)


def _overlap_exists(new: str, exclude_self: bool) -> str:
    same_row = f" AND a.id <> {new}.id" if exclude_self else ""
    return f"""{new}.status IN ({BOOKED}) AND EXISTS (
        SELECT 1 FROM assignments AS a
        WHERE a.person_id = {new}.person_id AND a.status IN ({BOOKED})
          AND a.starts_at < {new}.ends_at AND {new}.starts_at < a.ends_at{same_row})"""


def _sqlite_triggers() -> list[str]:
    # Writers are serialised by BEGIN IMMEDIATE (models/db.py), so a check in a trigger
    # sees every committed booking: no write skew. Times are '[)': touching shifts pass.
    return [
        f"""CREATE TRIGGER assignments_no_double_booking_insert BEFORE INSERT ON assignments
            WHEN {_overlap_exists("NEW", exclude_self=False)}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
        f"""CREATE TRIGGER assignments_no_double_booking_update
            BEFORE UPDATE OF person_id, status, starts_at, ends_at ON assignments
            WHEN {_overlap_exists("NEW", exclude_self=True)}
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
        # SQLite cannot make the new columns NOT NULL without rebuilding the table (which
        # the ledgers' RESTRICT references forbid): a trigger holds that rule instead.
        """CREATE TRIGGER assignments_times_required BEFORE INSERT ON assignments
            WHEN NEW.starts_at IS NULL OR NEW.ends_at IS NULL
            BEGIN SELECT RAISE(ABORT, 'assignment times are required'); END""",
    ]


def _refuse_existing_overlaps() -> None:
    clashes = (
        op.get_bind()
        .execute(
            sa.text(
                f"""SELECT a.person_id, a.id, a.starts_at, a.ends_at, b.id, b.starts_at, b.ends_at
                FROM assignments AS a JOIN assignments AS b
                  ON a.person_id = b.person_id AND a.id < b.id
                 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
                WHERE a.status IN ({BOOKED}) AND b.status IN ({BOOKED})
                ORDER BY a.person_id, a.id, b.id"""
            )
        )
        .all()
    )
    if clashes:
        listed = "\n".join(
            f"  person {p}: assignment {a} ({a_start} to {a_end}) overlaps assignment {b} "
            f"({b_start} to {b_end})"
            for p, a, a_start, a_end, b, b_start, b_end in clashes[:100]
        )
        more = f"\n  ... and {len(clashes) - 100} more" if len(clashes) > 100 else ""
        raise RuntimeError(
            f"migration 0007 refuses to run: {len(clashes)} pair(s) of booked assignments "
            f"double-book a person. Cancel one of each pair (or move its shift), then upgrade "
            f"again:\n{listed}{more}"
        )


def upgrade():
    for table in VERSIONED:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))

    op.add_column("assignments", sa.Column("starts_at", sa.DateTime(timezone=True)))
    op.add_column("assignments", sa.Column("ends_at", sa.DateTime(timezone=True)))
    op.execute(
        """UPDATE assignments SET
             starts_at = (SELECT s.starts_at FROM shifts AS s WHERE s.id = assignments.shift_id),
             ends_at = (SELECT s.ends_at FROM shifts AS s WHERE s.id = assignments.shift_id)"""
    )
    # A cancelled shift no longer holds anyone's time (services/shifts.py now cancels the
    # seats with the shift); completed seats are service records and stay.
    op.execute(
        """UPDATE assignments SET status = 'cancelled'
           WHERE status IN ('proposed', 'offered', 'confirmed')
             AND shift_id IN (SELECT id FROM shifts WHERE cancelled)"""
    )
    _refuse_existing_overlaps()

    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("assignments", "starts_at", nullable=False)
        op.alter_column("assignments", "ends_at", nullable=False)
        # btree_gist gives GiST the `=` on integers; it is a trusted extension (PostgreSQL
        # 13+), so the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            f"""ALTER TABLE assignments ADD CONSTRAINT {CONSTRAINT}
                EXCLUDE USING gist (person_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
                WHERE (status IN ({BOOKED}))"""
        )
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE assignments DROP CONSTRAINT IF EXISTS {CONSTRAINT}")
        op.drop_column("assignments", "ends_at")
        op.drop_column("assignments", "starts_at")
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        # SQLite 3.35+ drops a column that no index or constraint uses, without a rebuild.
        op.execute("ALTER TABLE assignments DROP COLUMN ends_at")
        op.execute("ALTER TABLE assignments DROP COLUMN starts_at")
    for table in reversed(VERSIONED):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN version")
        else:
            op.drop_column(table, "version")
