"""Every registry is documented: roles and permissions, settings, CLI commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from mendwell.cli import app
from mendwell.permissions import PERMISSION_DESCRIPTIONS, ROLE_PERMISSIONS, Permission, Role
from mendwell.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_the_roles_table_is_the_enforced_matrix() -> None:
    text = (DOCS / "roles.md").read_text()
    header = re.search(r"^\| Permission \| What it allows \| (.+) \|$", text, re.M)
    assert header
    columns = [c.strip() for c in header.group(1).split("|")]
    assert columns == [r.value for r in Role]
    for permission in Permission:
        row = re.search(rf"^\| `{re.escape(permission.value)}` \| (.+?) \| (.+) \|$", text, re.M)
        assert row, f"{permission.value} is not in docs/roles.md"
        assert row.group(1) == PERMISSION_DESCRIPTIONS[permission]
        marks = [c.strip() for c in row.group(2).split("|")]
        expected = ["✓" if permission in ROLE_PERMISSIONS[r] else "—" for r in Role]
        assert marks == expected, permission.value


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    for name, field in Settings.model_fields.items():
        assert f"`MENDWELL_{name.upper()}`" in text, name
        assert field.description, f"{name} has no description"


def _commands(group: Any, prefix: str = "mendwell") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            names.extend(_commands(command, f"{prefix} {name}"))
        else:
            names.append(f"{prefix} {name}")
    return names


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    commands = _commands(typer.main.get_command(app))  # type: ignore[arg-type]
    assert len(commands) >= 11
    for command in commands:
        assert f"`{command}" in text, f"{command} is not documented in docs/cli.md"


def test_every_command_has_help() -> None:
    group = typer.main.get_command(app)
    for name in _commands(group):  # type: ignore[arg-type]
        parts = name.split()[1:]
        command = group
        for part in parts:
            command = command.commands[part]  # type: ignore[attr-defined]
        assert command.help, f"{name} has no help text"
