"""Jurisdiction profile and session files, and how they combine with a protocol."""

from pathlib import Path

import pytest

from mendwell.clinical.protocols.schema import load_protocol
from mendwell.clinical.sessions.jurisdiction import (
    load_jurisdiction_profile,
    load_jurisdiction_sessions,
    load_sessions_file,
    resolve_session_rules,
)
from mendwell.knowledge.registry import check_files, kinds
from mendwell.knowledge.sources import KNOWLEDGE_DIR, KnowledgeFileError

OREGON_SESSIONS = KNOWLEDGE_DIR / "jurisdictions" / "us-or" / "sessions.yaml"


def test_oregon_profile_keeps_records_for_5_years():
    profile = load_jurisdiction_profile("us-or")
    assert profile.record_retention.years == 5  # OAR 333-333-4820
    assert profile.record_retention.security_video_days == 30
    assert profile.record_retention.unconfirmed  # quoted from the pre-2025 version


def test_colorado_retention_is_unknown_and_flagged():
    retention = load_jurisdiction_profile("us-co").record_retention
    assert retention.years is None
    assert retention.unconfirmed


def test_unknown_jurisdiction():
    with pytest.raises(KeyError, match="xx"):
        load_jurisdiction_sessions("xx")


def test_oregon_protocol_takes_session_rules_from_us_or():
    rules = resolve_session_rules(load_protocol("oregon-service-centre"))
    assert rules.jurisdiction is not None
    assert rules.jurisdiction.jurisdiction == "us-or"
    assert {r.id for r in rules.staffing} == {
        "oregon-facilitator-present",
        "oregon-licensee-representative",
    }
    assert [limit.id for limit in rules.dose_limits] == ["oregon-session-cap"]
    assert rules.duration_table is not None


def test_trial_protocol_without_jurisdiction():
    rules = resolve_session_rules(load_protocol("mdma-at-phase3"))
    assert rules.jurisdiction is None
    assert rules.duration_table is None
    assert rules.overnight_stay is not None
    assert rules.overnight_stay.required


def test_kinds_only_pick_their_own_files(tmp_path: Path):
    # eligibility.yaml in the same folder belongs to another kind and must not be read here.
    folder = tmp_path / "jurisdictions" / "us-or"
    folder.mkdir(parents=True)
    (folder / "eligibility.yaml").write_text("not: [a sessions file\n")
    (folder / "sessions.yaml").write_text(OREGON_SESSIONS.read_text())
    kind = next(k for k in kinds() if k.name == "jurisdiction-sessions")
    report = check_files(kind, (tmp_path / kind.directory).rglob(kind.pattern))
    assert report.ok
    assert report.files_checked == 1


def test_sessions_file_in_the_wrong_folder(tmp_path: Path):
    folder = tmp_path / "us-co"
    folder.mkdir()
    path = folder / "sessions.yaml"
    path.write_text(OREGON_SESSIONS.read_text())
    with pytest.raises(KnowledgeFileError, match="sits in 'us-co'"):
        load_sessions_file(path)
