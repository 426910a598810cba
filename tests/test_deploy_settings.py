"""Secrets at rest (issue #12, "smaller holes" and the audit key): the embedded secret key and
database are readable by their owner only; production does not start without an audit chain key
of its own, and ``check --deploy`` refuses the public default."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from renda.audit.checks import audit_chain_key
from renda.voting.checks import ballot_seal_key

ROOT = Path(__file__).resolve().parent.parent
SETUP = "import django; django.setup(); from django.db import connection; connection.ensure_connection()"


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    inherited = {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "AUDIT_CHAIN_KEY",
        "BALLOT_SEAL_KEY",
        "PERSONAL_DATA_KEY",
        "RENDA_EMBEDDED",
        "DEBUG",
    }
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    clean.update({"DJANGO_SETTINGS_MODULE": "renda.settings", "RENDA_VAR_DIR": str(tmp_path / "var"), **env})
    return subprocess.run(  # noqa: S603 - our own interpreter and settings
        [sys.executable, "-c", SETUP], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_the_embedded_secret_key_and_database_are_private(tmp_path):
    done = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    var = tmp_path / "var"
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    for name in ("secret_key", "ballot_seal_key", "personal_data_key", "renda.sqlite3"):
        assert stat.S_IMODE((var / name).stat().st_mode) == 0o600, name
    assert len((var / "secret_key").read_text().strip()) > 40
    assert len((var / "ballot_seal_key").read_text().strip()) >= 32
    assert len((var / "personal_data_key").read_text().strip()) >= 32


def test_production_refuses_to_start_without_an_audit_chain_key(tmp_path):
    done = _run(tmp_path, RENDA_EMBEDDED="0", SECRET_KEY="k" * 50)
    assert done.returncode != 0 and "AUDIT_CHAIN_KEY 未设置" in done.stderr
    keyed = {"RENDA_EMBEDDED": "0", "SECRET_KEY": "k" * 50, "AUDIT_CHAIN_KEY": "a-key-of-the-operators-own"}
    unsealed = _run(tmp_path, **keyed)
    assert unsealed.returncode != 0 and "BALLOT_SEAL_KEY 未设置" in unsealed.stderr
    unencrypted = _run(tmp_path, **keyed, BALLOT_SEAL_KEY="b" * 40)
    assert unencrypted.returncode != 0 and "PERSONAL_DATA_KEY 未设置" in unencrypted.stderr
    started = _run(tmp_path, **keyed, BALLOT_SEAL_KEY="b" * 40, PERSONAL_DATA_KEY="p" * 40)
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize(("key", "refused"), [("renda-audit-v1", True), ("CHANGE-ME-TOO", True), ("short", True),
                                              ("a-key-of-the-operators-own", False)])  # fmt: skip
def test_check_deploy_refuses_the_public_audit_key(key, refused):
    with override_settings(AUDIT_CHAIN_KEY=key):
        found = [m.id for m in audit_chain_key()]
    assert found == (["renda.E001"] if refused else [])


@pytest.mark.parametrize(("key", "refused"), [("CHANGE-ME-THREE", True), ("short-key", True), ("x" * 40, False)])
def test_check_deploy_refuses_a_weak_ballot_seal_key(key, refused):
    with override_settings(BALLOT_SEAL_KEY=key):
        found = [m.id for m in ballot_seal_key()]
    assert found == (["renda.E002"] if refused else [])


@pytest.mark.parametrize(
    ("url", "inbound", "outbound", "refused"),
    [
        ("", "", "", False),  # not connected
        ("https://platform.example/renda", "same-secret-for-both", "same-secret-for-both", True),
        ("https://platform.example/renda", "inbound-secret-0001", "", True),
        ("https://platform.example/renda", "inbound-secret-0001", "outbound-secret-0002", False),
    ],
)
def test_check_deploy_wants_a_governance_secret_per_direction(url, inbound, outbound, refused):
    from renda.opinions.checks import governance_secrets

    with override_settings(
        GOVERNANCE_WEBHOOK_URL=url, GOVERNANCE_INBOUND_SECRET=inbound, GOVERNANCE_OUTBOUND_SECRET=outbound
    ):
        found = [m.id for m in governance_secrets()]
    assert found == (["renda.E003"] if refused else [])
