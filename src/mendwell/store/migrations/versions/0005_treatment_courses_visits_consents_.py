"""Treatment courses, visits, consents, dosing gate, session notes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 02:43:59.420835
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mendwell.store.types
from mendwell.store.append_only import (
    lock_signed,
    protect,
    unprotect_statements,
)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Records of what happened are never changed or removed.
APPEND_ONLY = (
    "course_visit_change",
    "pregnancy_test",
    "dosing_gate_override",
    "dosing_gate_check",
    "session_note_addendum",
    "visit_measure_link",
)


def upgrade() -> None:
    op.create_table(
        "calendar_feed_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_calendar_feed_token_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_token_hash")),
    )
    with op.batch_alter_table("calendar_feed_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feed_token_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "protocol_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_protocol_definition_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["app_user.id"],
            name=op.f("fk_protocol_definition_uploaded_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_definition")),
        sa.UniqueConstraint(
            "organisation_id",
            "protocol_id",
            "version",
            name=op.f("uq_protocol_definition_organisation_id_protocol_id_version"),
        ),
    )
    with op.batch_alter_table("protocol_definition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protocol_definition_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("protocol_definition_id", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sa.String(length=80), nullable=False),
        sa.Column("protocol_version", sa.String(length=40), nullable=False),
        sa.Column("anchor_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("arm", sa.String(length=100), nullable=True),
        sa.Column(
            "screening",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("enrolled_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by_id", sa.Integer(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_course_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by_id"], ["app_user.id"], name=op.f("fk_course_enrolled_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["protocol_definition_id"],
            ["protocol_definition.id"],
            name=op.f("fk_course_protocol_definition_id_protocol_definition"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_course_site_id_site")),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["app_user.id"], name=op.f("fk_course_withdrawn_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_status"), ["status"], unique=False)

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("consent_type", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("document_ref", sa.String(length=200), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_consent_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_consent_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_consent_recorded_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_consent_site_id_site")),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"], ["app_user.id"], name=op.f("fk_consent_withdrawn_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_site_id"), ["site_id"], unique=False)

    op.create_table(
        "course_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("phase_id", sa.String(length=80), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("optional", sa.Boolean(), nullable=False),
        sa.Column("anchor", sa.String(length=80), nullable=False),
        sa.Column("anchor_basis", sa.String(length=20), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("earliest_date", sa.Date(), nullable=False),
        sa.Column("latest_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=True),
        sa.Column("scheduled_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("actual_date", sa.Date(), nullable=True),
        sa.Column("actual_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("missed_reason", sa.String(length=30), nullable=True),
        sa.Column("missed_note", sa.Text(), nullable=True),
        sa.Column("updated_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_course_visit_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_course_visit_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_course_visit_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_visit")),
        sa.UniqueConstraint(
            "course_id", "visit_id", name=op.f("uq_course_visit_course_id_visit_id")
        ),
    )
    with op.batch_alter_table("course_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_visit_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_visit_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            "ix_course_visit_site_dates", ["site_id", "earliest_date", "latest_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_course_visit_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_visit_status"), ["status"], unique=False)

    op.create_table(
        "dosing_gate_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.String(length=80), nullable=False),
        sa.Column("protocol_id", sa.String(length=80), nullable=False),
        sa.Column("protocol_version", sa.String(length=40), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("authorised", sa.Boolean(), nullable=False),
        sa.Column(
            "met",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "unmet",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "overridden",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_by_id"],
            ["app_user.id"],
            name=op.f("fk_dosing_gate_check_checked_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_dosing_gate_check_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_dosing_gate_check_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_dosing_gate_check_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dosing_gate_check")),
    )
    with op.batch_alter_table("dosing_gate_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dosing_gate_check_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dosing_gate_check_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dosing_gate_check_site_id"), ["site_id"], unique=False)

    op.create_table(
        "dosing_gate_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.String(length=80), nullable=False),
        sa.Column("condition", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("authorised_by_id", sa.Integer(), nullable=True),
        sa.Column("authorised_by_name", sa.String(length=200), nullable=False),
        sa.Column("authorised_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorised_by_id"],
            ["app_user.id"],
            name=op.f("fk_dosing_gate_override_authorised_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_dosing_gate_override_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_dosing_gate_override_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_dosing_gate_override_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dosing_gate_override")),
    )
    with op.batch_alter_table("dosing_gate_override", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dosing_gate_override_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dosing_gate_override_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dosing_gate_override_site_id"), ["site_id"], unique=False
        )

    op.create_table(
        "pregnancy_test",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_pregnancy_test_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_pregnancy_test_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
            name=op.f("fk_pregnancy_test_recorded_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_pregnancy_test_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pregnancy_test")),
    )
    with op.batch_alter_table("pregnancy_test", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pregnancy_test_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pregnancy_test_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pregnancy_test_site_id"), ["site_id"], unique=False)

    op.create_table(
        "course_visit_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_visit_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=True),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.Column("from_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("to_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason_code", sa.String(length=30), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "moved",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["app_user.id"],
            name=op.f("fk_course_visit_change_changed_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_course_visit_change_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_course_visit_change_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["course_visit_id"],
            ["course_visit.id"],
            name=op.f("fk_course_visit_change_course_visit_id_course_visit"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_course_visit_change_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_visit_change")),
    )
    with op.batch_alter_table("course_visit_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_visit_change_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_course_visit_change_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_course_visit_change_course_visit_id"), ["course_visit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_course_visit_change_site_id"), ["site_id"], unique=False
        )

    op.create_table(
        "session_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("course_visit_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("protocol_id", sa.String(length=80), nullable=False),
        sa.Column("protocol_version", sa.String(length=40), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("attendance", sa.String(length=30), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=True),
        sa.Column(
            "fidelity",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("risk_level", sa.String(length=20), nullable=False),
        sa.Column("risk_suicidal_ideation", sa.Boolean(), nullable=False),
        sa.Column("risk_harm_to_others", sa.Boolean(), nullable=False),
        sa.Column("risk_action", sa.Text(), nullable=True),
        sa.Column("free_text", sa.Text(), nullable=True),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_session_note_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_session_note_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_session_note_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["course_visit_id"],
            ["course_visit.id"],
            name=op.f("fk_session_note_course_visit_id_course_visit"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_session_note_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_note")),
        sa.UniqueConstraint("course_visit_id", name=op.f("uq_session_note_course_visit_id")),
    )
    with op.batch_alter_table("session_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_note_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_note_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_note_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_note_site_id"), ["site_id"], unique=False)

    op.create_table(
        "visit_measure_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("course_visit_id", sa.Integer(), nullable=False),
        sa.Column("self_report_link_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column(
            "instruments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("emailed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_visit_measure_link_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_visit_measure_link_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["course_visit_id"],
            ["course_visit.id"],
            name=op.f("fk_visit_measure_link_course_visit_id_course_visit"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_visit_measure_link_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["self_report_link_id"],
            ["self_report_link.id"],
            name=op.f("fk_visit_measure_link_self_report_link_id_self_report_link"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_visit_measure_link_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_measure_link")),
    )
    with op.batch_alter_table("visit_measure_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_measure_link_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_visit_measure_link_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_visit_measure_link_course_visit_id"), ["course_visit_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_visit_measure_link_site_id"), ["site_id"], unique=False
        )

    op.create_table(
        "session_note_addendum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("written_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_session_note_addendum_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_session_note_addendum_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["session_note.id"],
            name=op.f("fk_session_note_addendum_note_id_session_note"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_session_note_addendum_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_note_addendum")),
    )
    with op.batch_alter_table("session_note_addendum", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_note_addendum_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_note_addendum_note_id"), ["note_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_note_addendum_site_id"), ["site_id"], unique=False
        )

    bind = op.get_bind()
    for table in APPEND_ONLY:
        protect(bind, table)
    lock_signed(bind, "session_note")


def downgrade() -> None:
    bind = op.get_bind()
    for table in APPEND_ONLY:
        for statement in unprotect_statements(bind.dialect.name, table):
            op.execute(statement)
    op.execute(
        "DROP TRIGGER session_note_signed_locked ON session_note"
        if bind.dialect.name == "postgresql"
        else "DROP TRIGGER session_note_signed_no_update"
    )
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER session_note_signed_no_delete")
    with op.batch_alter_table("session_note_addendum", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_note_addendum_site_id"))
        batch_op.drop_index(batch_op.f("ix_session_note_addendum_note_id"))
        batch_op.drop_index(batch_op.f("ix_session_note_addendum_client_id"))

    op.drop_table("session_note_addendum")
    with op.batch_alter_table("visit_measure_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_measure_link_site_id"))
        batch_op.drop_index(batch_op.f("ix_visit_measure_link_course_visit_id"))
        batch_op.drop_index(batch_op.f("ix_visit_measure_link_course_id"))
        batch_op.drop_index(batch_op.f("ix_visit_measure_link_client_id"))

    op.drop_table("visit_measure_link")
    with op.batch_alter_table("session_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_note_site_id"))
        batch_op.drop_index(batch_op.f("ix_session_note_course_id"))
        batch_op.drop_index(batch_op.f("ix_session_note_client_id"))
        batch_op.drop_index(batch_op.f("ix_session_note_author_id"))

    op.drop_table("session_note")
    with op.batch_alter_table("course_visit_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_visit_change_site_id"))
        batch_op.drop_index(batch_op.f("ix_course_visit_change_course_visit_id"))
        batch_op.drop_index(batch_op.f("ix_course_visit_change_course_id"))
        batch_op.drop_index(batch_op.f("ix_course_visit_change_client_id"))

    op.drop_table("course_visit_change")
    with op.batch_alter_table("pregnancy_test", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pregnancy_test_site_id"))
        batch_op.drop_index(batch_op.f("ix_pregnancy_test_course_id"))
        batch_op.drop_index(batch_op.f("ix_pregnancy_test_client_id"))

    op.drop_table("pregnancy_test")
    with op.batch_alter_table("dosing_gate_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dosing_gate_override_site_id"))
        batch_op.drop_index(batch_op.f("ix_dosing_gate_override_course_id"))
        batch_op.drop_index(batch_op.f("ix_dosing_gate_override_client_id"))

    op.drop_table("dosing_gate_override")
    with op.batch_alter_table("dosing_gate_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dosing_gate_check_site_id"))
        batch_op.drop_index(batch_op.f("ix_dosing_gate_check_course_id"))
        batch_op.drop_index(batch_op.f("ix_dosing_gate_check_client_id"))

    op.drop_table("dosing_gate_check")
    with op.batch_alter_table("course_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_visit_status"))
        batch_op.drop_index(batch_op.f("ix_course_visit_site_id"))
        batch_op.drop_index("ix_course_visit_site_dates")
        batch_op.drop_index(batch_op.f("ix_course_visit_course_id"))
        batch_op.drop_index(batch_op.f("ix_course_visit_client_id"))

    op.drop_table("course_visit")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_site_id"))
        batch_op.drop_index(batch_op.f("ix_consent_course_id"))
        batch_op.drop_index(batch_op.f("ix_consent_client_id"))

    op.drop_table("consent")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_status"))
        batch_op.drop_index(batch_op.f("ix_course_site_id"))
        batch_op.drop_index(batch_op.f("ix_course_client_id"))

    op.drop_table("course")
    with op.batch_alter_table("protocol_definition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protocol_definition_organisation_id"))

    op.drop_table("protocol_definition")
    with op.batch_alter_table("calendar_feed_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feed_token_user_id"))

    op.drop_table("calendar_feed_token")
