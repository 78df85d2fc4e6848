"""Safety screenings: versions, signatures, washout plans

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mendwell.store.types
from mendwell.store.append_only import protect

# Saved versions, signatures and signed washout plans are never changed: corrections are new
# versions or a new screening.
APPEND_ONLY = ("screening_version", "screening_signature", "screening_washout")

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("superseded_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_screening_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_screening_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_screening_site_id_site")),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["screening.id"],
            name=op.f("fk_screening_superseded_by_id_screening"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening")),
    )
    with op.batch_alter_table("screening", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_screening_client_status", ["client_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_screening_site_id"), ["site_id"], unique=False)

    op.create_table(
        "screening_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("substance", sa.String(length=20), nullable=False),
        sa.Column("protocol_id", sa.String(length=60), nullable=True),
        sa.Column("jurisdiction", sa.String(length=20), nullable=True),
        sa.Column("site_jurisdiction", sa.String(length=20), nullable=True),
        sa.Column("jurisdiction_choice", sa.String(length=20), nullable=False),
        sa.Column("proposed_stop_date", sa.Date(), nullable=True),
        sa.Column(
            "record",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column(
            "evaluation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_screening_version_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_screening_version_created_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screening.id"],
            name=op.f("fk_screening_version_screening_id_screening"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_screening_version_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_version")),
        sa.UniqueConstraint(
            "screening_id", "number", name=op.f("uq_screening_version_screening_id_number")
        ),
    )
    with op.batch_alter_table("screening_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_version_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_version_screening_id"), ["screening_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_screening_version_site_id"), ["site_id"], unique=False)

    op.create_table(
        "screening_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("screening_version_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("meaning", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_username", sa.String(length=64), nullable=False),
        sa.Column("signed_at", mendwell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "overrides",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column(
            "evaluation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("earliest_dosing_date", sa.Date(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_screening_signature_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screening.id"],
            name=op.f("fk_screening_signature_screening_id_screening"),
        ),
        sa.ForeignKeyConstraint(
            ["screening_version_id"],
            ["screening_version.id"],
            name=op.f("fk_screening_signature_screening_version_id_screening_version"),
        ),
        sa.ForeignKeyConstraint(
            ["signer_id"], ["app_user.id"], name=op.f("fk_screening_signature_signer_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_screening_signature_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_signature")),
        sa.UniqueConstraint("screening_id", name=op.f("uq_screening_signature_screening_id")),
    )
    with op.batch_alter_table("screening_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_signature_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_signature_site_id"), ["site_id"], unique=False
        )

    op.create_table(
        "screening_washout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("medication", sa.String(length=200), nullable=False),
        sa.Column("medication_id", sa.String(length=60), nullable=False),
        sa.Column("generic_name", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.String(length=30), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("washout_days", sa.Integer(), nullable=False),
        sa.Column("earliest_dosing_date", sa.Date(), nullable=False),
        sa.Column(
            "rule_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_screening_washout_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screening.id"],
            name=op.f("fk_screening_washout_screening_id_screening"),
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["screening_signature.id"],
            name=op.f("fk_screening_washout_signature_id_screening_signature"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_screening_washout_site_id_site")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_washout")),
    )
    with op.batch_alter_table("screening_washout", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_washout_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_washout_screening_id"), ["screening_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_washout_signature_id"), ["signature_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_screening_washout_site_id"), ["site_id"], unique=False)

    for table in APPEND_ONLY:
        protect(op.get_bind(), table)


def downgrade() -> None:
    with op.batch_alter_table("screening_washout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_washout_site_id"))
        batch_op.drop_index(batch_op.f("ix_screening_washout_signature_id"))
        batch_op.drop_index(batch_op.f("ix_screening_washout_screening_id"))
        batch_op.drop_index(batch_op.f("ix_screening_washout_client_id"))

    op.drop_table("screening_washout")
    with op.batch_alter_table("screening_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_signature_site_id"))
        batch_op.drop_index(batch_op.f("ix_screening_signature_client_id"))

    op.drop_table("screening_signature")
    with op.batch_alter_table("screening_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_version_site_id"))
        batch_op.drop_index(batch_op.f("ix_screening_version_screening_id"))
        batch_op.drop_index(batch_op.f("ix_screening_version_client_id"))

    op.drop_table("screening_version")
    with op.batch_alter_table("screening", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_site_id"))
        batch_op.drop_index("ix_screening_client_status")
        batch_op.drop_index(batch_op.f("ix_screening_client_id"))

    op.drop_table("screening")
