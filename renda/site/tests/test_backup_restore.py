"""manage.py backup / restore (issue #12): a restored copy has every record the backup had and its
audit chain verifies; an archive that does not match its manifest is reported, not trusted.

The commands run as an operator runs them, in their own processes, on an installation of their own
(a temporary var directory, and on PostgreSQL two scratch databases), never on the test database.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
KEEP = {"PATH", "HOME", "LANG", "PYTHONPATH", "SYSTEMROOT"}


def _env(var: Path, database_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in KEEP}
    env.update({"DJANGO_SETTINGS_MODULE": "renda.settings", "RENDA_VAR_DIR": str(var), "PYTHONIOENCODING": "utf-8"})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def _roundtrip(tmp_path: Path, source_url: str = "", target_url: str = "") -> None:
    var = tmp_path / "var"
    source = _env(var, source_url)
    for step in (("migrate", "-v0"), ("seed_demo", "--no-opinions", "--no-scenes")):
        done = _manage(source, *step)
        assert done.returncode == 0, done.stderr[-2000:]
    (var / "media" / "opinions").mkdir(parents=True, exist_ok=True)
    (var / "media" / "opinions" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    archive = tmp_path / "backup.tar.gz"
    done = _manage(source, "backup", "--output", str(archive))
    assert done.returncode == 0 and "已备份" in done.stdout, done.stderr
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    # Somewhere else (a new machine, or the same one after a loss): an empty, migrated installation.
    restored_var = tmp_path / "restored"
    restored_var.mkdir()
    for key in ("secret_key", "ballot_seal_key"):
        (restored_var / key).write_text((var / key).read_text())
    target = _env(restored_var, target_url)
    assert _manage(target, "migrate", "-v0").returncode == 0
    refused = _manage(target, "restore", str(archive))
    assert refused.returncode != 0 and "--yes" in refused.stderr
    done = _manage(target, "restore", str(archive), "--yes")
    assert done.returncode == 0, done.stderr
    assert "与备份一致" in done.stdout and "审计链完整" in done.stdout
    assert (restored_var / "media" / "opinions" / "photo.jpg").read_bytes() == b"\xff\xd8 a photo"
    assert _manage(target, "verify_audit").returncode == 0

    # An archive whose manifest promises more than it holds is reported.
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(archive, "r:gz") as original, tarfile.open(forged, "w:gz") as out:
        for member in original.getmembers():
            data = original.extractfile(member) if member.isfile() else None
            if member.name == "manifest.json" and data is not None:
                manifest = json.load(data)
                manifest["counts"]["org.Deputy"] += 1
                payload = json.dumps(manifest).encode()
                member.size = len(payload)
                out.addfile(member, io.BytesIO(payload))
            else:
                out.addfile(member, data)
    done = _manage(target, "restore", str(forged), "--yes")
    assert done.returncode != 0 and "org.Deputy" in done.stderr and "核对发现" in done.stderr


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite installation")
def test_a_sqlite_backup_restores_with_every_record_and_a_verified_chain(tmp_path):
    _roundtrip(tmp_path)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL installation")
def test_a_postgresql_backup_restores_with_every_record_and_a_verified_chain(tmp_path):
    import psycopg

    base = connection.settings_dict
    names = [f"renda_bk_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    dsn = (
        f"host={base.get('HOST') or '127.0.0.1'} port={base.get('PORT') or 5432} user={base.get('USER') or 'postgres'}"
    )
    with psycopg.connect(dsn + " dbname=postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        urls = [
            f"postgres://{base.get('USER') or 'postgres'}@{base.get('HOST') or '127.0.0.1'}:{base.get('PORT') or 5432}/{n}"
            for n in names
        ]
        _roundtrip(tmp_path, urls[0], urls[1])
    finally:
        with psycopg.connect(dsn + " dbname=postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
