"""Measures: submissions, self-report links, safety alerts, custom instruments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 02:41:24.961584
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mendwell.store.types
from mendwell.store.append_only import protect, unprotect_statements

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_instrument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=60), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_custom_instrument_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["app_user.id"],
            name=op.f("fk_custom_instrument_uploaded_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_instrument")),
        sa.UniqueConstraint(
            "organisation_id",
            "instrument_id",
            "version",
            name=op.f("uq_custom_instrument_organisation_id_instrument_id_version"),
        ),
    )
    with op.batch_alter_table("custom_instrument", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custom_instrument_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "self_report_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "instrument_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "saved_answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("saved_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_self_report_link_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_self_report_link_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["app_user.id"],
            name=op.f("fk_self_report_link_revoked_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_self_report_link_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_report_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_self_report_link_token_hash")),
    )
    with op.batch_alter_table("self_report_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_report_link_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_self_report_link_site_id"), ["site_id"], unique=False)

    op.create_table(
        "measure_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=60), nullable=False),
        sa.Column("instrument_version", sa.String(length=40), nullable=False),
        sa.Column("custom_instrument_id", sa.Integer(), nullable=True),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "scoring_options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "score",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("administered_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("entered_via", sa.String(length=20), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("respondent", sa.String(length=20), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=True),
        sa.Column("independent_rater", sa.Boolean(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("original_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_measure_submission_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["measure_submission.id"],
            name=op.f("fk_measure_submission_corrects_id_measure_submission"),
        ),
        sa.ForeignKeyConstraint(
            ["custom_instrument_id"],
            ["custom_instrument.id"],
            name=op.f("fk_measure_submission_custom_instrument_id_custom_instrument"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["app_user.id"],
            name=op.f("fk_measure_submission_entered_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["self_report_link.id"],
            name=op.f("fk_measure_submission_link_id_self_report_link"),
        ),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["measure_submission.id"],
            name=op.f("fk_measure_submission_original_id_measure_submission"),
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"], ["app_user.id"], name=op.f("fk_measure_submission_rater_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_measure_submission_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_submission")),
        sa.UniqueConstraint("corrects_id", name=op.f("uq_measure_submission_corrects_id")),
    )
    with op.batch_alter_table("measure_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measure_submission_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            "ix_measure_submission_client_instrument", ["client_id", "instrument_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_measure_submission_original_id"), ["original_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_measure_submission_site_id"), ["site_id"], unique=False
        )

    op.create_table(
        "safety_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=60), nullable=False),
        sa.Column("flag_code", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.String(length=60), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "acknowledged_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("acknowledgement_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["app_user.id"],
            name=op.f("fk_safety_alert_acknowledged_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_safety_alert_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_safety_alert_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["measure_submission.id"],
            name=op.f("fk_safety_alert_submission_id_measure_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_alert")),
    )
    with op.batch_alter_table("safety_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_alert_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_alert_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_safety_alert_submission_id"), ["submission_id"], unique=False
        )
    # Submissions are never changed: a correction is a new row pointing at the original.
    protect(op.get_bind(), "measure_submission")


def downgrade() -> None:
    bind = op.get_bind()
    for statement in unprotect_statements(bind.dialect.name, "measure_submission"):
        op.execute(statement)
    with op.batch_alter_table("safety_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_alert_submission_id"))
        batch_op.drop_index(batch_op.f("ix_safety_alert_site_id"))
        batch_op.drop_index(batch_op.f("ix_safety_alert_client_id"))

    op.drop_table("safety_alert")
    with op.batch_alter_table("measure_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_submission_site_id"))
        batch_op.drop_index(batch_op.f("ix_measure_submission_original_id"))
        batch_op.drop_index("ix_measure_submission_client_instrument")
        batch_op.drop_index(batch_op.f("ix_measure_submission_client_id"))

    op.drop_table("measure_submission")
    with op.batch_alter_table("self_report_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_self_report_link_site_id"))
        batch_op.drop_index(batch_op.f("ix_self_report_link_client_id"))

    op.drop_table("self_report_link")
    with op.batch_alter_table("custom_instrument", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_instrument_organisation_id"))

    op.drop_table("custom_instrument")
