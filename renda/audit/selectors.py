"""Reading audit events: chain verification and record timelines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import models
from django.db.models import QuerySet

from renda.audit.anchors import missing_creation_events, read_anchors, verify_anchors
from renda.audit.models import AuditChainHead, AuditEvent
from renda.audit.services import GENESIS_HASH, event_hash, hashed_fields


@dataclass
class ChainReport:
    checked: int
    ok: bool
    problems: list[str]


def audit_verify_chain(
    *, batch: int = 5000, with_anchors: bool = True, anchor_path: Path | None = None, with_records: bool = True
) -> ChainReport:
    """Walk every event in order and recompute its hash; report each break, each anchor kept
    outside the database that the chain no longer holds, and each record without its creation
    event (renda/audit/anchors.py)."""
    problems: list[str] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        events = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not events:
            break
        for event in events:
            checked += 1
            if event.seq != expected_seq:
                problems.append(f"序号不连续：期望 #{expected_seq}，实际 #{event.seq}（事件被删除或插入）")
            if event.prev_hash != prev_hash:
                problems.append(f"事件 #{event.seq} 的前一哈希与链不符")
            recomputed = event_hash(
                prev_hash=event.prev_hash, seq=event.seq, created_at=event.created_at, fields=hashed_fields(event)
            )
            if recomputed != event.hash:
                problems.append(f"事件 #{event.seq} 内容被篡改（哈希不符）")
            prev_hash = event.hash
            expected_seq = event.seq + 1
            last_seq = event.seq
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        problems.append(f"链头记录 #{head.last_seq} 与最后一个事件 #{last_seq} 不符（末尾事件被删除）")
    if with_anchors:
        anchor_list, anchor_problems = read_anchors(anchor_path)
        problems += anchor_problems + verify_anchors(anchor_list, last_seq=last_seq)
    if with_records:
        problems += missing_creation_events()
    return ChainReport(checked=checked, ok=not problems, problems=problems)


def audit_timeline(*, target: models.Model) -> QuerySet[AuditEvent]:
    """Events about one record, oldest first. The caller has already scope-checked the record."""
    return (
        AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .select_related("actor")
        .order_by("seq")
    )
