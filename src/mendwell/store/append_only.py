"""Database-level protection for append-only tables (UPDATE, DELETE and TRUNCATE are refused)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION mendwell_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def protect_statements(dialect: str, table: str) -> list[str]:
    """SQL that makes ``table`` append-only on ``dialect``."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE is not allowed'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE is not allowed'); END",
        ]
    if dialect == "postgresql":
        return [
            _PG_FUNCTION,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION mendwell_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION mendwell_append_only()",
        ]
    raise ValueError(f"unsupported database dialect: {dialect}")


def protect(connection: Connection, table: str) -> None:
    for statement in protect_statements(connection.dialect.name, table):
        connection.execute(text(statement))


def unprotect_statements(dialect: str, table: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER {table}_no_update", f"DROP TRIGGER {table}_no_delete"]
    return [
        f"DROP TRIGGER {table}_append_only ON {table}",
        f"DROP TRIGGER {table}_no_truncate ON {table}",
    ]


_PG_LOCKED_FUNCTION = """
CREATE OR REPLACE FUNCTION mendwell_locked_when_signed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% % is signed and locked: % is not allowed', TG_TABLE_NAME, OLD.id, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def lock_signed_statements(dialect: str, table: str, column: str = "signed_at") -> list[str]:
    """SQL that refuses UPDATE and DELETE of a row of ``table`` once ``column`` is set."""
    when = f"OLD.{column} IS NOT NULL"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_signed_no_update BEFORE UPDATE ON {table} WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is signed and locked: UPDATE is not allowed'); "
            "END",
            f"CREATE TRIGGER {table}_signed_no_delete BEFORE DELETE ON {table} WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is signed and locked: DELETE is not allowed'); "
            "END",
        ]
    if dialect == "postgresql":
        return [
            _PG_LOCKED_FUNCTION,
            f"CREATE TRIGGER {table}_signed_locked BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION mendwell_locked_when_signed()",
        ]
    raise ValueError(f"unsupported database dialect: {dialect}")


def lock_signed(connection: Connection, table: str, column: str = "signed_at") -> None:
    for statement in lock_signed_statements(connection.dialect.name, table, column):
        connection.execute(text(statement))
