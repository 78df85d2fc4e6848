"""Foundation: accounts, sites, roles, sessions, audit trail, client registry

Revision ID: 0001
Revises:
Create Date: 2026-11-25 01:55:18.241208
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mendwell.store.types
from mendwell.store.append_only import protect

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("entity_type", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.String(length=60), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_event_seq")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(
            "ix_audit_event_client_at", ["client_id", "occurred_at"], unique=False
        )
        batch_op.create_index("ix_audit_event_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index("ix_audit_event_user_at", ["user_id", "occurred_at"], unique=False)

    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempt_ip_at", ["ip", "attempted_at"], unique=False)
        batch_op.create_index(
            "ix_login_attempt_username_at", ["username", "attempted_at"], unique=False
        )

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "password_changed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_login_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_app_user_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_app_user_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=20), nullable=True),
        sa.Column("facilitators_see_assigned_only", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_site_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("organisation_id", "code", name=op.f("uq_site_organisation_id_code")),
    )
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_site_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_api_token_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("preferred_name", sa.String(length=100), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex_at_birth", sa.String(length=20), nullable=False),
        sa.Column("gender_identity", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("emergency_contact_name", sa.String(length=200), nullable=True),
        sa.Column("emergency_contact_phone", sa.String(length=40), nullable=True),
        sa.Column("emergency_contact_relationship", sa.String(length=100), nullable=True),
        sa.Column(
            "trauma_types",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ptsd_diagnosis_status", sa.String(length=30), nullable=False),
        sa.Column("ptsd_diagnosis_source", sa.String(length=200), nullable=True),
        sa.Column(
            "prior_psychotherapies",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("prior_medications", sa.Text(), nullable=True),
        sa.Column("treatment_resistant", sa.Boolean(), nullable=False),
        sa.Column("prior_psychedelic_use", sa.String(length=20), nullable=False),
        sa.Column("prior_psychedelic_details", sa.Text(), nullable=True),
        sa.Column("referral_source", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column(
            "status_changed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_client_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_client_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
        sa.UniqueConstraint("organisation_id", "code", name=op.f("uq_client_organisation_id_code")),
    )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_client_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_status"), ["status"], unique=False)

    op.create_table(
        "role_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("granted_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_role_assignment_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_role_assignment_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignment")),
        sa.UniqueConstraint("user_id", "site_id", name=op.f("uq_role_assignment_user_id_site_id")),
    )
    with op.batch_alter_table("role_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_assignment_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_role_assignment_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_session_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "client_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_client_assignment_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_client_assignment_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_client_assignment_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_assignment")),
        sa.UniqueConstraint(
            "client_id", "user_id", name=op.f("uq_client_assignment_client_id_user_id")
        ),
    )
    with op.batch_alter_table("client_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_assignment_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_client_assignment_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_assignment_user_id"), ["user_id"], unique=False)

    op.create_table(
        "client_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("to_status", sa.String(length=30), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["app_user.id"],
            name=op.f("fk_client_status_change_changed_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_client_status_change_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_client_status_change_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_status_change")),
    )
    with op.batch_alter_table("client_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_status_change_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_client_status_change_site_id"), ["site_id"], unique=False
        )

    protect(op.get_bind(), "audit_event")


def downgrade() -> None:
    with op.batch_alter_table("client_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_status_change_site_id"))
        batch_op.drop_index(batch_op.f("ix_client_status_change_client_id"))

    op.drop_table("client_status_change")
    with op.batch_alter_table("client_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_assignment_user_id"))
        batch_op.drop_index(batch_op.f("ix_client_assignment_site_id"))
        batch_op.drop_index(batch_op.f("ix_client_assignment_client_id"))

    op.drop_table("client_assignment")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))

    op.drop_table("user_session")
    with op.batch_alter_table("role_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_assignment_user_id"))
        batch_op.drop_index(batch_op.f("ix_role_assignment_site_id"))

    op.drop_table("role_assignment")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_status"))
        batch_op.drop_index(batch_op.f("ix_client_site_id"))
        batch_op.drop_index(batch_op.f("ix_client_organisation_id"))

    op.drop_table("client")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))

    op.drop_table("api_token")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_organisation_id"))

    op.drop_table("site")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_organisation_id"))

    op.drop_table("app_user")
    op.drop_table("organisation")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_username_at")
        batch_op.drop_index("ix_login_attempt_ip_at")

    op.drop_table("login_attempt")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_user_at")
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index("ix_audit_event_entity")
        batch_op.drop_index("ix_audit_event_client_at")
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
