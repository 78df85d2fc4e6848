"""Adverse events, follow-ups, expedited reports, alerts and concern reports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mendwell.store.types
from mendwell.store.append_only import protect, unprotect_statements

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Follow-ups, report submissions and concern notes are never changed once written.
APPEND_ONLY = ("adverse_event_follow_up", "adverse_event_report", "concern_note")


def upgrade() -> None:
    op.create_table(
        "adverse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("dosing_session_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.String(length=200), nullable=True),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("checklist_item", sa.String(length=40), nullable=True),
        sa.Column("substance", sa.String(length=20), nullable=False),
        sa.Column("onset_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("aware_on", sa.Date(), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column(
            "seriousness_criteria",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("relatedness", sa.String(length=30), nullable=True),
        sa.Column("expectedness", sa.String(length=30), nullable=True),
        sa.Column("action_taken", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column(
            "special_interest",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("meddra_code", sa.String(length=8), nullable=True),
        sa.Column("meddra_version", sa.String(length=10), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("fatal_or_life_threatening", sa.Boolean(), nullable=False),
        sa.Column("expedited", sa.String(length=30), nullable=False),
        sa.Column("grade_ncit", sa.String(length=20), nullable=True),
        sa.Column(
            "clocks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "assessment_notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("vocabulary_id", sa.String(length=60), nullable=False),
        sa.Column("vocabulary_version", sa.String(length=20), nullable=False),
        sa.Column("jurisdiction", sa.String(length=20), nullable=True),
        sa.Column(
            "jurisdiction_facts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "jurisdiction_categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("jurisdiction_rules", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_adverse_event_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_adverse_event_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_adverse_event_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
    )
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adverse_event_client_id"), ["client_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_adverse_event_dosing_session_id"), ["dosing_session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_adverse_event_serious"), ["serious"], unique=False)
        batch_op.create_index(batch_op.f("ix_adverse_event_site_id"), ["site_id"], unique=False)
        batch_op.create_index("ix_adverse_event_site_onset", ["site_id", "onset_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_adverse_event_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_adverse_event_substance"), ["substance"], unique=False)

    op.create_table(
        "concern_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("about_user_id", sa.Integer(), nullable=True),
        sa.Column("about_text", sa.String(length=200), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "status_changed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("updated_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["about_user_id"],
            ["app_user.id"],
            name=op.f("fk_concern_report_about_user_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_concern_report_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["app_user.id"], name=op.f("fk_concern_report_reporter_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_concern_report_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_report")),
    )
    with op.batch_alter_table("concern_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_concern_report_about_user_id"), ["about_user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_concern_report_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_concern_report_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_concern_report_status"), ["status"], unique=False)

    op.create_table(
        "adverse_event_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adverse_event_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("raised_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "acknowledged_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledgement_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["app_user.id"],
            name=op.f("fk_adverse_event_alert_acknowledged_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["adverse_event_id"],
            ["adverse_event.id"],
            name=op.f("fk_adverse_event_alert_adverse_event_id_adverse_event"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_adverse_event_alert_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_adverse_event_alert_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event_alert")),
    )
    with op.batch_alter_table("adverse_event_alert", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_adverse_event_alert_adverse_event_id"),
            ["adverse_event_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_adverse_event_alert_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_adverse_event_alert_site_id"), ["site_id"], unique=False
        )

    op.create_table(
        "adverse_event_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adverse_event_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("followed_up_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("resolved_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status_change", sa.String(length=20), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adverse_event_id"],
            ["adverse_event.id"],
            name=op.f("fk_adverse_event_follow_up_adverse_event_id_adverse_event"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["app_user.id"],
            name=op.f("fk_adverse_event_follow_up_author_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_adverse_event_follow_up_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_adverse_event_follow_up_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event_follow_up")),
    )
    with op.batch_alter_table("adverse_event_follow_up", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_adverse_event_follow_up_adverse_event_id"),
            ["adverse_event_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_adverse_event_follow_up_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_adverse_event_follow_up_site_id"), ["site_id"], unique=False
        )

    op.create_table(
        "adverse_event_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adverse_event_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("clock_id", sa.String(length=40), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("submitted_to", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["adverse_event_id"],
            ["adverse_event.id"],
            name=op.f("fk_adverse_event_report_adverse_event_id_adverse_event"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_adverse_event_report_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
            name=op.f("fk_adverse_event_report_recorded_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_adverse_event_report_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event_report")),
    )
    with op.batch_alter_table("adverse_event_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_adverse_event_report_adverse_event_id"),
            ["adverse_event_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_adverse_event_report_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_adverse_event_report_site_id"), ["site_id"], unique=False
        )

    op.create_table(
        "concern_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concern_report_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status_from", sa.String(length=20), nullable=True),
        sa.Column("status_to", sa.String(length=20), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("written_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_concern_note_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["concern_report_id"],
            ["concern_report.id"],
            name=op.f("fk_concern_note_concern_report_id_concern_report"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_concern_note_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_note")),
    )
    with op.batch_alter_table("concern_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_concern_note_concern_report_id"), ["concern_report_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_concern_note_site_id"), ["site_id"], unique=False)

    for table in APPEND_ONLY:
        protect(op.get_bind(), table)


def downgrade() -> None:
    bind = op.get_bind()
    for table in APPEND_ONLY:
        for statement in unprotect_statements(bind.dialect.name, table):
            op.execute(statement)
    with op.batch_alter_table("concern_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_note_site_id"))
        batch_op.drop_index(batch_op.f("ix_concern_note_concern_report_id"))

    op.drop_table("concern_note")
    with op.batch_alter_table("adverse_event_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_report_site_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_report_client_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_report_adverse_event_id"))

    op.drop_table("adverse_event_report")
    with op.batch_alter_table("adverse_event_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_follow_up_site_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_follow_up_client_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_follow_up_adverse_event_id"))

    op.drop_table("adverse_event_follow_up")
    with op.batch_alter_table("adverse_event_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_alert_site_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_alert_client_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_alert_adverse_event_id"))

    op.drop_table("adverse_event_alert")
    with op.batch_alter_table("concern_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_report_status"))
        batch_op.drop_index(batch_op.f("ix_concern_report_site_id"))
        batch_op.drop_index(batch_op.f("ix_concern_report_client_id"))
        batch_op.drop_index(batch_op.f("ix_concern_report_about_user_id"))

    op.drop_table("concern_report")
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_substance"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_status"))
        batch_op.drop_index("ix_adverse_event_site_onset")
        batch_op.drop_index(batch_op.f("ix_adverse_event_site_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_serious"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_dosing_session_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_client_id"))

    op.drop_table("adverse_event")
