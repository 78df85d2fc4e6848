"""The `mendwell` command: init, users, backup and restore, audit verification, demo."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from mendwell.cli import app
from mendwell.store.db import make_engine
from mendwell.store.models import AuditEvent, Client, User

NOW = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)

runner = CliRunner()
KEY = "cli-test-audit-key"


@pytest.fixture
def env(fresh_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "MENDWELL_DATABASE_URL": fresh_url,
        "MENDWELL_DATA_DIR": str(tmp_path / "data"),
        "MENDWELL_AUDIT_KEY": KEY,
    }


def run(env: dict[str, str], *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env=env, input=input)


def init(env: dict[str, str]):  # type: ignore[no-untyped-def]
    return run(
        env,
        "init",
        "--admin-username",
        "root",
        "--admin-name",
        "Rue Root",
        "--admin-password",
        "a long enough passphrase",
        "--site-code",
        "HQ",
        "--site-name",
        "Headquarters",
    )


def scalar(url: str, query):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(query).scalar()
    finally:
        engine.dispose()


def test_init_creates_the_schema_and_first_admin_then_is_idempotent(env) -> None:  # type: ignore[no-untyped-def]
    first = init(env)
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    assert "Created admin 'root'" in first.output
    again = init(env)
    assert again.exit_code == 0
    assert "up to date" in again.output
    assert "Created admin" not in again.output
    url = env["MENDWELL_DATABASE_URL"]
    assert scalar(url, select(func.count()).select_from(User)) == 1


def test_init_prompts_for_the_admin_when_flags_are_missing(env) -> None:  # type: ignore[no-untyped-def]
    result = run(
        env, "init", input="root\nRue Root\na long enough passphrase\na long enough passphrase\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created admin 'root'" in result.output


def test_init_rejects_a_weak_password_naming_the_field(env) -> None:  # type: ignore[no-untyped-def]
    result = run(
        env, "init", "--admin-username", "root", "--admin-name", "Rue", "--admin-password", "short"
    )
    assert result.exit_code == 1
    assert "password: must be at least 12 characters" in result.output


def test_commands_refuse_an_uninitialised_database(env) -> None:  # type: ignore[no-untyped-def]
    result = run(env, "user", "list")
    assert result.exit_code == 1
    assert "run `mendwell init`" in result.output


def test_bad_settings_fail_fast_naming_the_variable(env) -> None:  # type: ignore[no-untyped-def]
    result = run({**env, "MENDWELL_SESSION_IDLE_MINUTES": "soon"}, "user", "list")
    assert result.exit_code == 2
    assert "MENDWELL_SESSION_IDLE_MINUTES" in result.output


def test_user_create_list_set_role_disable(env) -> None:  # type: ignore[no-untyped-def]
    assert init(env).exit_code == 0
    created = run(
        env,
        "user",
        "create",
        "wren",
        "--name",
        "Wren Facilitator",
        "--role",
        "facilitator",
        "--site",
        "hq",
        "--password",
        "another long passphrase",
    )
    assert created.exit_code == 0, created.output
    listing = run(env, "user", "list")
    assert "wren" in listing.output
    assert "facilitator@HQ" in listing.output
    assert run(env, "user", "set-role", "wren", "medical", "--site", "HQ").exit_code == 0
    assert "medical@HQ" in run(env, "user", "list").output
    disabled = run(env, "user", "disable", "wren", "--reason", "left the program")
    assert disabled.exit_code == 0
    assert "disabled" in run(env, "user", "list").output
    duplicate = run(
        env,
        "user",
        "create",
        "wren",
        "--name",
        "W",
        "--role",
        "rater",
        "--site",
        "HQ",
        "--password",
        "another long passphrase",
    )
    assert duplicate.exit_code == 1
    assert "username: is already taken" in duplicate.output
    unknown_site = run(env, "user", "set-role", "wren", "rater", "--site", "NOPE")
    assert unknown_site.exit_code == 1
    assert "no site with code NOPE" in unknown_site.output
    url = env["MENDWELL_DATABASE_URL"]
    actions = scalar(
        url,
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action.in_(["role_change", "disable"])),
    )
    assert actions == 2


def test_reset_two_factor_removes_the_app_and_records_the_reason(env) -> None:  # type: ignore[no-untyped-def]
    from mendwell.store.models import AuthenticatorSecret, RecoveryCode

    assert init(env).exit_code == 0
    url = env["MENDWELL_DATABASE_URL"]
    engine = make_engine(url)
    with engine.begin() as conn:
        root = conn.execute(select(User.id).where(User.username == "root")).scalar_one()
        conn.execute(
            AuthenticatorSecret.__table__.insert().values(
                user_id=root, secret="JBSWY3DPEHPK3PXP", created_at=NOW, confirmed_at=NOW
            )
        )
        conn.execute(
            RecoveryCode.__table__.insert().values(user_id=root, code_hash="0" * 64, created_at=NOW)
        )
    engine.dispose()
    result = run(env, "user", "reset-two-factor", "root", "--reason", "lost phone")
    assert result.exit_code == 0, result.output
    assert scalar(url, select(func.count()).select_from(AuthenticatorSecret)) == 0
    assert scalar(url, select(func.count()).select_from(RecoveryCode)) == 0
    reason = scalar(url, select(AuditEvent.reason).where(AuditEvent.action == "two_factor_reset"))
    assert reason == "lost phone"
    unknown = run(env, "user", "reset-two-factor", "nobody")
    assert unknown.exit_code == 1
    assert "no user named nobody" in unknown.output


def test_the_last_admin_cannot_be_removed(env) -> None:  # type: ignore[no-untyped-def]
    assert init(env).exit_code == 0
    result = run(env, "user", "set-role", "root", "none", "--site", "HQ")
    assert result.exit_code == 1
    assert "no admin" in result.output


def test_audit_verify_passes_then_detects_tampering(env) -> None:  # type: ignore[no-untyped-def]
    from mendwell.store.append_only import protect_statements, unprotect_statements

    assert init(env).exit_code == 0
    ok = run(env, "audit", "verify")
    assert ok.exit_code == 0
    assert ok.output.startswith("OK:")
    engine = make_engine(env["MENDWELL_DATABASE_URL"])
    with engine.begin() as conn:
        for s in unprotect_statements(engine.dialect.name, "audit_event"):
            conn.execute(text(s))
        conn.execute(text("UPDATE audit_event SET username = 'mallory' WHERE seq = 2"))
        for s in protect_statements(engine.dialect.name, "audit_event"):
            conn.execute(text(s))
    engine.dispose()
    bad = run(env, "audit", "verify")
    assert bad.exit_code == 1
    assert "altered at event 2" in bad.output


def test_backup_while_writing_then_restore(env, tmp_path: Path, backend: str) -> None:  # type: ignore[no-untyped-def]
    assert init(env).exit_code == 0
    url = env["MENDWELL_DATABASE_URL"]
    # Keep the database busy while the backup runs.
    stop = threading.Event()

    def writer() -> None:
        from mendwell.actions import accounts
        from mendwell.bootstrap import open_database
        from mendwell.schemas.accounts import UserCreate
        from mendwell.settings import load_settings
        from mendwell.store.db import transaction

        database = open_database(
            load_settings(database_url=url, audit_key=KEY, data_dir=env["MENDWELL_DATA_DIR"])
        )
        n = 0
        while not stop.is_set() and n < 40:
            with transaction(database.sessionmaker) as db:
                org_id = db.scalar(select(User.organisation_id))
                accounts.create_user(
                    database.context(db),
                    database.settings,
                    org_id,
                    UserCreate(
                        username=f"writer{n}", full_name="W", password="a long enough passphrase"
                    ),
                )
            n += 1
        database.engine.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        target = tmp_path / "backup.bin"
        result = run(env, "backup", "--output", str(target))
        assert result.exit_code == 0, result.output
        assert target.stat().st_size > 0
    finally:
        stop.set()
        thread.join()
    users_at_backup_or_later = scalar(url, select(func.count()).select_from(User))
    assert (
        run(
            env,
            "user",
            "create",
            "after",
            "--name",
            "After Backup",
            "--role",
            "rater",
            "--site",
            "HQ",
            "--password",
            "a long enough passphrase",
        ).exit_code
        == 0
    )
    restored = run(env, "restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "audit trail verified" in restored.output
    users = scalar(url, select(func.count()).select_from(User))
    assert 1 <= users <= users_at_backup_or_later
    assert scalar(url, select(func.count()).select_from(User).where(User.username == "after")) == 0
    assert run(env, "audit", "verify").exit_code == 0


def test_backup_refuses_to_overwrite(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert init(env).exit_code == 0
    target = tmp_path / "existing"
    target.write_text("keep me")
    result = run(env, "backup", "--output", str(target))
    assert result.exit_code == 1
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_demo_builds_sixty_clients_deterministically(tmp_path: Path, backend: str) -> None:
    outputs = []
    codes = []
    for attempt in range(2):
        env = {"MENDWELL_DATA_DIR": str(tmp_path / f"d{attempt}"), "MENDWELL_AUDIT_KEY": KEY}
        result = runner.invoke(app, ["demo", "--no-serve"], env=env)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        url = f"sqlite:///{tmp_path / f'd{attempt}' / 'demo.sqlite3'}"
        engine = make_engine(url)
        with engine.connect() as conn:
            codes.append(
                conn.execute(
                    select(Client.code, Client.legal_name, Client.status).order_by(Client.id)
                ).all()
            )
        engine.dispose()
    assert len(codes[0]) == 60
    assert codes[0] == codes[1]
    statuses = {row[2] for row in codes[0]}
    assert statuses == {
        "referred",
        "screening",
        "ineligible",
        "eligible",
        "enrolled",
        "in_treatment",
        "follow_up",
        "completed",
        "withdrawn",
        "lost_to_follow_up",
    }
    for login in ("admin", "alice", "carol", "mara", "rita", "ana"):
        assert login in outputs[0]
    assert "mendwell-demo-2026" in outputs[0]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_demo_logins_work(tmp_path: Path, backend: str) -> None:
    from mendwell.demo import DEMO_PASSWORD, DEMO_SETTINGS
    from mendwell.settings import load_settings
    from mendwell.web.app import create_app
    from support.web import Browser

    env = {"MENDWELL_DATA_DIR": str(tmp_path), "MENDWELL_AUDIT_KEY": KEY}
    assert runner.invoke(app, ["demo", "--no-serve"], env=env).exit_code == 0
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        data_dir=tmp_path,
        audit_key=KEY,
        **DEMO_SETTINGS,
    )
    web = create_app(settings)
    for username in ("admin", "alice", "bob", "carol", "dan", "mara", "rita", "ana"):
        browser = Browser(web)
        assert browser.login(username, DEMO_PASSWORD).status_code == 303, username
        assert browser.get("/").status_code == 200
    carol = Browser(web)
    carol.login("carol", DEMO_PASSWORD)
    assert "1 client" not in carol.get("/clients").text  # she sees her own clients only
    web.state.engine.dispose()
