"""notifications: person contacts, opt-outs, the outbox, calendar feeds

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CHANNEL_CHECK = "channel IN ('email', 'webhook')"
EVENT_CHECK = "event IN ('offer', 'reminder', 'cancellation', 'star')"


def _person_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["person_id"], ["people.id"], name=f"fk_{table}_person_id_people", ondelete="CASCADE"
    )


def upgrade():
    op.create_table(
        "person_contacts",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _person_fk("person_contacts"),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_contacts")),
    )

    op.create_table(
        "notification_opt_outs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(CHANNEL_CHECK, name=op.f("ck_notification_opt_outs_channel")),
        sa.CheckConstraint(EVENT_CHECK, name=op.f("ck_notification_opt_outs_event")),
        _person_fk("notification_opt_outs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_opt_outs")),
        sa.UniqueConstraint(
            "person_id",
            "channel",
            "event",
            name=op.f("uq_notification_opt_outs_person_id_channel_event"),
        ),
    )
    op.create_index(
        op.f("ix_notification_opt_outs_person_id"), "notification_opt_outs", ["person_id"]
    )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(CHANNEL_CHECK, name=op.f("ck_notifications_channel")),
        sa.CheckConstraint(EVENT_CHECK, name=op.f("ck_notifications_event")),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'skipped')",
            name=op.f("ck_notifications_status"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notifications_attempts_not_negative")),
        _person_fk("notifications"),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name="fk_notifications_assignment_id_assignments",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "channel", "dedupe_key", name=op.f("uq_notifications_channel_dedupe_key")
        ),
    )
    op.create_index(op.f("ix_notifications_person_id"), "notifications", ["person_id"])
    op.create_index(op.f("ix_notifications_assignment_id"), "notifications", ["assignment_id"])
    op.create_index(
        "ix_notifications_status_next_attempt_at", "notifications", ["status", "next_attempt_at"]
    )

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _person_fk("calendar_feeds"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    op.create_index(op.f("ix_calendar_feeds_person_id"), "calendar_feeds", ["person_id"])


def downgrade():
    op.drop_table("calendar_feeds")
    op.drop_table("notifications")
    op.drop_table("notification_opt_outs")
    op.drop_table("person_contacts")
