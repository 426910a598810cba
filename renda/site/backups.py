"""Backups an office can restore: the database (SQLite's online backup, or PostgreSQL's pg_dump)
and the uploaded media in one ``.tar.gz`` with a manifest of record counts and the audit chain
head, so that a restore can prove it brought back what was saved.

    manage.py backup  [--output FILE]          # var/backups/renda-<time>.tar.gz by default
    manage.py restore FILE --yes               # replaces the database and media, then verifies

The restore verifies the restored copy before it says so: every table's count equals the
manifest's and the audit chain verifies (its anchors are left out: anchors written after the
backup name events the older copy cannot have; docs/deploy.md says to start a new anchor file).
The keys (SECRET_KEY, AUDIT_CHAIN_KEY, BALLOT_SEAL_KEY, PERSONAL_DATA_KEY) are not in the archive, by design:
keep them apart from it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from renda.audit.models import AuditChainHead
from renda.audit.selectors import audit_verify_chain

FORMAT = 1
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup or restore that cannot be done or did not verify (message in Chinese)."""


def record_counts() -> dict[str, int]:
    """Rows per model of the product's own apps."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("renda.") and not model._meta.proxy and model._meta.managed
    }


def _pg_args(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 失败：{done.stderr.strip()[:500]}")


def _dump_database(target: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)  # a consistent copy while the server runs
        finally:
            destination.close()
        return
    db = connection.settings_dict
    args, env = _pg_args(db)
    _run(["pg_dump", *args, "--format=custom", "--no-owner", "--file", str(target), str(db["NAME"])], env)


def _load_database(source: Path) -> None:
    if connection.vendor == "sqlite":
        connections.close_all()
        origin = sqlite3.connect(source)
        try:
            connection.ensure_connection()
            origin.backup(connection.connection)  # replaces every page of the live database
        finally:
            origin.close()
        connections.close_all()
        return
    db = connection.settings_dict
    args, env = _pg_args(db)
    connections.close_all()
    _run(
        ["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
         "--dbname", str(db["NAME"]), str(source)],
        env,
    )  # fmt: skip


def create_backup(output: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Write the archive; answer its path and manifest."""
    media = Path(settings.MEDIA_ROOT)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    output = output or Path(settings.VAR_DIR) / "backups" / f"renda-{stamp}.tar.gz"
    output.parent.mkdir(parents=True, exist_ok=True)
    head = AuditChainHead.objects.filter(pk=1).first()
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / DB_MEMBER[connection.vendor]
        _dump_database(dump)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": connection.vendor,
            "counts": record_counts(),
            "audit": {"seq": head.last_seq if head else 0, "hash": head.last_hash if head else ""},
        }
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # personal data: owner only
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(dt.datetime.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=dump.name)
            if media.exists():
                archive.add(media, arcname="media")
    return output, manifest


def restore_backup(path: Path) -> tuple[dict[str, Any], list[str]]:
    """Replace the database and media with the archive's; answer the manifest and the problems
    the verification found (none: the restore is complete)."""
    if not path.exists():
        raise BackupError(f"备份文件不存在：{path}")
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, mode="r:gz") as archive:
        try:
            manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError):
            raise BackupError("不是本系统的备份文件（缺少 manifest.json）") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"备份格式 {manifest.get('format')} 不受支持")
        if manifest.get("engine") != connection.vendor:
            raise BackupError(
                f"备份来自 {manifest.get('engine')} 数据库，当前为 {connection.vendor}：请在同类数据库上恢复"
            )
        archive.extractall(work, filter="data")  # no absolute paths, links out or devices
        _load_database(Path(work) / DB_MEMBER[connection.vendor])
        media = Path(settings.MEDIA_ROOT)
        restored_media = Path(work) / "media"
        if restored_media.exists():
            if media.exists():
                shutil.rmtree(media)
            shutil.copytree(restored_media, media)
    return manifest, verify_restored(manifest)


def verify_restored(manifest: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    counts = record_counts()
    for label, expected in sorted(manifest.get("counts", {}).items()):
        found = counts.get(label)
        if found != expected:
            problems.append(f"{label}：备份时 {expected} 条，恢复后 {found} 条")
    head = AuditChainHead.objects.filter(pk=1).first()
    seq = head.last_seq if head else 0
    if seq != manifest.get("audit", {}).get("seq", 0):
        problems.append(f"审计链头：备份时 #{manifest['audit']['seq']}，恢复后 #{seq}")
    report = audit_verify_chain(with_anchors=False)
    problems += [f"审计链：{p}" for p in report.problems]
    return problems
