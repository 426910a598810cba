"""Writing audit events. Every service that changes state calls ``audit_record`` inside its transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from renda.audit.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def _json_default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def normalise(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Make a snapshot JSON-safe and stable (what is hashed is what is stored)."""
    if data is None:
        return None
    result = json.loads(json.dumps(dict(data), default=_json_default, ensure_ascii=False, sort_keys=True))
    assert isinstance(result, dict)
    return result


def event_hash(*, prev_hash: str, seq: int, created_at: datetime, fields: Mapping[str, Any]) -> str:
    payload = json.dumps(
        {"prev": prev_hash, "seq": seq, "at": created_at.isoformat(), **fields},
        ensure_ascii=False,
        sort_keys=True,
        default=_json_default,
    )
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "region_path": event.region_path,
        "reason": event.reason,
        "before": event.before,
        "after": event.after,
    }


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The values of a record's concrete fields, for before/after."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in {"created_at", "updated_at"}:
            continue
        if fields is not None and field.name not in fields:
            continue
        data[field.name] = getattr(instance, field.attname)
    return data


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the keys that changed."""
    before = normalise(before) or {}
    after = normalise(after) or {}
    keys = sorted(set(before) | set(after))
    changed = [k for k in keys if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed if k in before}, {k: after.get(k) for k in changed if k in after}


@dataclass
class AuditEntry:
    """One event to append: what ``audit_record`` takes, plus the moment it happened."""

    actor: Any
    action: str
    target: models.Model | None = None
    target_type: str | None = None
    target_id: str | int | None = None
    target_label: str | None = None
    region_path: str = ""
    reason: str = ""
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    at: datetime | None = None  # None: now; an outbox drained later passes the original time


def _event(entry: AuditEntry, *, seq: int, prev_hash: str) -> AuditEvent:
    target_type, target_id, target_label = entry.target_type, entry.target_id, entry.target_label
    if entry.target is not None:
        target_type = target_type or entry.target._meta.label_lower
        target_id = entry.target.pk if target_id is None else target_id
        target_label = target_label if target_label is not None else str(entry.target)[:200]
    actor = entry.actor
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is not None:
        actor_label = (getattr(user, "display_name", "") or user.get_username())[:150]
    elif isinstance(actor, str):
        actor_label = actor[:150]
    else:
        actor_label = "系统"
    event = AuditEvent(
        seq=seq,
        created_at=entry.at or timezone.now(),
        actor=user,
        actor_label=actor_label,
        action=entry.action,
        target_type=target_type or "",
        target_id=str(target_id if target_id is not None else ""),
        target_label=(target_label or "")[:200],
        region_path=entry.region_path or "",
        reason=entry.reason,
        before=normalise(entry.before),
        after=normalise(entry.after),
        prev_hash=prev_hash,
    )
    event.hash = event_hash(
        prev_hash=event.prev_hash, seq=event.seq, created_at=event.created_at, fields=hashed_fields(event)
    )
    return event


class AuditBatch:
    """The chain head, locked: events added here are appended in order when the batch closes."""

    def __init__(self, head: AuditChainHead) -> None:
        self.head = head
        self.events: list[AuditEvent] = []

    def add(self, entry: AuditEntry) -> AuditEvent:
        prev = self.events[-1] if self.events else None
        event = _event(
            entry,
            seq=(prev.seq if prev else self.head.last_seq) + 1,
            prev_hash=prev.hash if prev else self.head.last_hash,
        )
        self.events.append(event)
        return event


@contextmanager
def audit_batch() -> Iterator[AuditBatch]:
    """Lock the chain head now, append every event added inside the block at its end.

    For a worker draining an outbox: taking the head first, and then only rows it can lock
    without waiting (``skip_locked``), it never waits on a row lock while holding the head,
    so it cannot deadlock with services that lock a record and then audit. Must run inside
    the caller's transaction.
    """
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        batch = AuditBatch(head)
        yield batch
        if batch.events:
            AuditEvent.objects.bulk_create(batch.events)
            head.last_seq = batch.events[-1].seq
            head.last_hash = batch.events[-1].hash
            head.save(update_fields=["last_seq", "last_hash"])


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    target_label: str | None = None,
    region_path: str = "",
    reason: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        target=target,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        region_path=region_path,
        reason=reason,
        before=before,
        after=after,
    )
    with audit_batch() as chain:
        event = chain.add(entry)
    return event


def audit_entries(entries: Sequence[Mapping[str, Any]]) -> None:
    """Append several events under one lock of the chain head (the action skeleton's last step)."""
    with audit_batch() as chain:
        for entry in entries:
            chain.add(AuditEntry(**entry))
