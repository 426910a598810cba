"""The audit chain's anchors outside the database, and the cross-check of creation events.

The hash chain alone cannot tell that its last N events were deleted when the chain head was
moved back with them: what is left is a valid, shorter chain. So the head is anchored outside
the database: ``anchor_head`` appends ``{seq, hash, at, sig}`` (signed with AUDIT_CHAIN_KEY)
to an append-only file the operator keeps (``AUDIT_ANCHOR_FILE``, mailed or copied off the host
as they like) and writes the same line to the log. ``verify_anchors`` then demands that every
anchored event is still in the chain with the same hash: deleting events after an anchor, or
re-chaining the log, is reported. The scheduled sweep ``audit.anchor`` writes one every ten
minutes, ``manage.py audit_anchor`` on demand.

A deleted record whose events were deleted too leaves no gap in its own timeline; the chain
catches the deleted events, and ``missing_creation_events`` catches the other way round (events
deleted, the record kept): every record of a registered kind must have its creation event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone

from renda.audit.models import AuditChainHead, AuditEvent

logger = logging.getLogger("renda.audit.anchor")

# label → (the actions that create such a record, filter of the rows that must have one).
# Scenes register here in their AppConfig.ready(), as they register their scoping paths.
CREATION_EVENTS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {}


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str
    sig: str


def _sign(seq: int, digest: str, at: str) -> str:
    payload = f"renda-audit-anchor|{seq}|{digest}|{at}".encode()
    return hmac.new(str(settings.AUDIT_CHAIN_KEY).encode(), payload, hashlib.sha256).hexdigest()


def anchor_file() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def anchor_head(path: Path | None = None) -> Anchor | None:
    """Append the current chain head to the anchor file and the log (None: no event yet)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.last_seq == 0:
        return None
    at = timezone.now().isoformat()
    anchor = Anchor(seq=head.last_seq, hash=head.last_hash, at=at, sig=_sign(head.last_seq, head.last_hash, at))
    line = json.dumps(anchor.__dict__, sort_keys=True)
    target = path or anchor_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(line + "\n")
    logger.info("audit anchor %s", line)
    return anchor


def read_anchors(path: Path | None = None) -> tuple[list[Anchor], list[str]]:
    """The anchors in the file, and a problem for each line that is not a validly signed one."""
    target = path or anchor_file()
    if not target.exists():
        return [], []
    anchors: list[Anchor] = []
    problems: list[str] = []
    for number, raw in enumerate(target.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            anchor = Anchor(seq=int(data["seq"]), hash=str(data["hash"]), at=str(data["at"]), sig=str(data["sig"]))
        except (ValueError, KeyError, TypeError):
            problems.append(f"锚点文件第 {number} 行格式不正确")
            continue
        if not hmac.compare_digest(anchor.sig, _sign(anchor.seq, anchor.hash, anchor.at)):
            problems.append(f"锚点文件第 {number} 行签名不符（锚点被改动，或审计链密钥已更换）")
            continue
        anchors.append(anchor)
    return anchors, problems


def verify_anchors(anchors: Iterable[Anchor], *, last_seq: int) -> list[str]:
    """Every anchored event must still be in the chain, with the hash it had when anchored."""
    anchors = list(anchors)
    problems: list[str] = []
    stored = dict(
        AuditEvent.objects.filter(seq__in=[a.seq for a in anchors if a.seq <= last_seq]).values_list("seq", "hash")
    )
    for anchor in anchors:
        if anchor.seq > last_seq:
            problems.append(f"锚点（{anchor.at[:19]}）记录链已到 #{anchor.seq}，现在只到 #{last_seq}：末尾事件被删除")
        elif stored.get(anchor.seq) != anchor.hash:
            problems.append(f"事件 #{anchor.seq} 与锚点（{anchor.at[:19]}）记录的哈希不符：审计链被改写")
    return problems


def missing_creation_events(*, limit: int = 20) -> list[str]:
    """Records of a registered kind whose creation event is not in the log."""
    problems: list[str] = []
    for label, (actions, rows) in sorted(CREATION_EVENTS.items()):
        model = apps.get_model(label)
        # An anti-join in the database (the audit index on target_type, target_id): a province's
        # millions of cases are never loaded into this process to be compared.
        created = AuditEvent.objects.filter(
            target_type=label, action__in=actions, target_id=Cast(OuterRef("pk"), output_field=CharField())
        )
        orphans = model.objects.filter(**rows).exclude(Exists(created)).order_by("pk").values_list("pk", flat=True)
        missing = list(orphans[: limit + 1])
        count = len(missing) if len(missing) <= limit else orphans.count()
        if missing:
            shown = "、".join(f"#{pk}" for pk in missing[:limit])
            more = f" 等 {count} 条" if count > limit else ""
            verbose = model._meta.verbose_name
            problems.append(f"{verbose} {shown}{more} 没有创建事件（{'/'.join(actions)}）：其审计事件被删除")
    return problems
