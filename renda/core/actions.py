"""The action skeleton: every write of every scene runs in this order, written once.

    permission (the transition's)            403  before anything is read or locked
    lock the rows, primary-key order         (core/locks.py)
    prepare the fresh rows                   e.g. finish a case's pending after-submit work
    scope and role rules on the fresh rows   404  (the scene's policy.authorize)
    state rule on the fresh row              409  (the scene's states.py)
    the scene's change                       the service's own code, through ``Step``
    save only the changed fields
    notifications                            rows written now; SMS and mail leave after commit
    audit events last                        the audit chain's one lock is held the shortest time

all inside one transaction, so a refusal anywhere leaves nothing half-written. A service
(Zulip's ``do_*``, HackSoft's ``<entity>_<verb>``) calls :func:`perform` with its change as a
function of a :class:`Step`; Wagtail's ``actions/`` put check, change and log in one place the
same way. ``core`` is a leaf: the audit app hands in its writer at start-up
(:func:`use_audit_writer`), so this module imports no app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.db.models import QuerySet

from renda.core.locks import lock_rows
from renda.core.scoping import Scope
from renda.core.states import Machine, Transition

M = TypeVar("M", bound=models.Model)
R = TypeVar("R")

AuditWriter = Callable[[Sequence[Mapping[str, Any]]], None]
_audit_writer: list[AuditWriter] = []


def use_audit_writer(writer: AuditWriter) -> None:
    """Called once by the audit app when Django starts: how :func:`perform` appends its events."""
    _audit_writer[:] = [writer]


def write_audit(entries: Sequence[Mapping[str, Any]]) -> None:
    if not entries:
        return
    if not _audit_writer:
        raise RuntimeError("no audit writer: renda.audit must be in INSTALLED_APPS")
    _audit_writer[0](entries)


@dataclass(frozen=True)
class Records(Generic[M]):
    """How the skeleton handles one kind of record (one per scene entity).

    ``snapshot`` is what an audit event keeps of the record (never personal data in clear);
    ``label`` and ``region_path`` name it in the audit log; ``prepare`` runs on the locked rows
    before any rule looks at them; ``authorize`` is the scene policy's scope and role rule.
    """

    machine: Machine
    queryset: Callable[[], QuerySet[M]]
    audit_prefix: str
    snapshot: Callable[[M], dict[str, Any]]
    label: Callable[[M], str]
    region_path: Callable[[M], str]
    authorize: Callable[[Scope, M, Transition], None] | None = None
    prepare: Callable[[Sequence[M]], None] | None = None
    missing: str = "记录不存在或不在您的管辖范围内"

    def __post_init__(self) -> None:
        _machines[self.audit_prefix] = self.machine


# audit prefix -> the machine whose transitions its events are named after (see transition_label)
_machines: dict[str, Machine] = {}


def transition_label(action: str) -> str | None:
    """The label of the transition an audit action is named after ("opinion.route" → 分流交办):
    what a timeline shows for an event the label registry does not name."""
    prefix, _, name = action.partition(".")
    machine = _machines.get(prefix)
    transition = machine.get(name) if machine is not None else None
    return transition.label if transition is not None else None


@dataclass
class Step(Generic[M]):
    """One action under way inside its transaction: the fresh locked rows, and what it changes."""

    records: Records[M]
    transition: Transition
    scope: Scope | None
    actor: Any
    rows: dict[int, M]
    row: M
    before: dict[str, Any]
    _changed: dict[int, tuple[models.Model, set[str]]] = field(default_factory=dict)
    _notices: list[Callable[[], object]] = field(default_factory=list)
    _events: list[dict[str, Any]] = field(default_factory=list)

    def move(self, target: str, *, record: M | None = None) -> None:
        """Put the record (the main one by default) in ``target``, which states.py must list."""
        record = self.row if record is None else record
        self.records.machine.move(record, self.transition.key, target)
        self.changed(record, "state")

    def set(self, record: models.Model, **values: Any) -> None:
        """Assign fields; only those whose value changes are saved."""
        for name, value in values.items():
            model_field = record._meta.get_field(name)
            attname = getattr(model_field, "attname", name)
            old = getattr(record, attname)
            setattr(record, name, value)
            if getattr(record, attname) != old:
                self.changed(record, name)

    def changed(self, record: models.Model, *names: str) -> None:
        """Fields already assigned by the caller that must be saved."""
        key = id(record)
        entry = self._changed.setdefault(key, (record, set()))
        entry[1].update(names)

    def notify(self, send: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        """A message to send once the change is saved (before the audit events)."""
        self._notices.append(lambda: send(*args, **kwargs))

    def audit(
        self,
        action: str,
        *,
        record: M | None = None,
        before: dict[str, Any] | None | bool = True,
        reason: str = "",
        actor: Any = None,
        **extra: Any,
    ) -> None:
        """An audit event, written last: ``<prefix>.<action>`` on the record (the main one by default).

        ``before=True`` keeps the main row's snapshot as it was when locked; ``None``/``False``
        records none (a note, a follower, the absorbing side of a merge).
        """
        record = self.row if record is None else record
        if before is True:
            before_value: dict[str, Any] | None = self.before if record is self.row else self.records.snapshot(record)
        else:
            before_value = None if before is False else before
        self.audit_other(self.records, record, action, before=before_value, reason=reason, actor=actor, **extra)

    def audit_other(
        self,
        records: Records[Any],
        record: Any,
        action: str,
        *,
        before: dict[str, Any] | None = None,
        reason: str = "",
        actor: Any = None,
        **extra: Any,
    ) -> None:
        """An audit event, written last with the others, on a record of another kind that the
        change also touched (a scene with several kinds of record: a list's proposals)."""
        self._events.append(
            {
                "actor": self.actor if actor is None else actor,
                "action": f"{records.audit_prefix}.{action}",
                "target": record,
                "target_label": records.label(record),
                "region_path": records.region_path(record),
                "reason": reason,
                "before": before,
                "after": {**records.snapshot(record), **extra},
            }
        )

    def _finish(self) -> None:
        for record, names in self._changed.values():
            if not names:
                continue
            fields = set(names)
            if any(f.name == "updated_at" for f in record._meta.concrete_fields):
                fields.add("updated_at")
            record.save(update_fields=sorted(fields))
        for send in self._notices:
            send()
        write_audit(self._events)


def perform(
    records: Records[M],
    name: str,
    *,
    scope: Scope | None,
    pks: Sequence[int],
    change: Callable[[Step[M]], R],
    actor: Any = None,
) -> R:
    """Run transition ``name`` on the row ``pks[0]`` (further pks: rows the change also needs locked).

    ``scope=None`` is the citizen or the system (transitions without a permission); ``actor``
    names them in the audit log. Returns what ``change`` returns.
    """
    transition = records.machine[name]
    if transition.perm is not None:
        if scope is None:
            raise AssertionError(f"{name} needs a user's scope")
        scope.require(transition.perm)
    with transaction.atomic():
        rows = lock_rows(records.queryset(), pks, missing=records.missing)
        if records.prepare is not None:  # in the caller's order: the record acted on first
            records.prepare([rows[pk] for pk in dict.fromkeys(pks)])
        row = rows[pks[0]]
        if scope is not None and transition.perm is not None and records.authorize is not None:
            records.authorize(scope, row, transition)
        records.machine.check(name, str(getattr(row, "state")))  # noqa: B009 (any model's state)
        step = Step(
            records=records,
            transition=transition,
            scope=scope,
            actor=actor if actor is not None else (scope.actor if scope is not None else "系统"),
            rows=rows,
            row=row,
            before=records.snapshot(row),
        )
        result = change(step)
        step._finish()
    return result


@dataclass(frozen=True)
class Action(Generic[M]):
    """One row of a scene's ``actions.py``: what a button on the page and a POST to the API run.

    ``name`` is the transition (states.py) and the page's ``act/<name>/``; ``path`` the API's
    ``POST .../<path>``; ``input`` the schema both parse; ``run(scope, record, data, files)``
    the service call; ``message`` what the page says after it succeeded.
    """

    name: str
    input: type[Any]
    run: Callable[[Scope, M, Any, Mapping[str, Any]], Any]
    message: str
    path: str = ""
    summary: str = ""
    description: str = ""
    # For a page that draws the action's form from its input schema: the choices of the fields
    # that are a pick from a list, for this user and record ({"unit": [(id, name), ...]}).
    choices: Callable[[Scope, M], dict[str, list[tuple[Any, str]]]] | None = None
    # The URL name of its API route: "" the one mount_actions gives it (``<route>_<noun>``), a
    # name for a route the scene's api.py writes by hand, None for an action of the page only.
    api: str | None = ""
    # The transition it runs when its name is not one (a list's 添加/删除候选 both edit the list).
    transition: str = ""

    @property
    def route(self) -> str:
        return self.path or self.name.replace("_", "-")


class ActionTable(Generic[M]):
    """A scene's staff actions on one kind of record, in button order."""

    def __init__(
        self,
        machine: Machine,
        actions: Sequence[Action[M]],
        *,
        noun: str,
        page: str = "",
        entity: str = "",
        elsewhere: Mapping[str, str] | None = None,
    ) -> None:
        self.machine = machine
        # Staff transitions done by a page or route of their own rather than ``act/<name>/``
        # (transition -> its URL name; "" for one only a service does, as an import does).
        self.elsewhere = dict(elsewhere or {})
        self.noun = noun  # names the API's routes: api:<route>_<noun>
        self.page = page  # the URL name of the page's ``act/<name>/`` view, e.g. "opinions:act"
        self.entity = entity  # the machine's entity, for a scene with several kinds of record
        self.actions = list(actions)
        self.by_name = {a.name: a for a in self.actions}
        self.by_route = {a.route: a for a in self.actions}
        for a in self.actions:
            transition = machine.get(self._key(a))
            if transition is None or transition.perm is None:
                raise ValueError(f"action {a.name} has no staff transition in states.py")
        self.transitions = {self.transition(a).name for a in self.actions}

    def _key(self, action: Action[M]) -> str:
        name = action.transition or action.name
        return f"{self.entity}.{name}" if self.entity else name

    def api_route_name(self, action: Action[M]) -> str | None:
        """The URL name of the action's API route (renda/api/actions.py names it so), or None."""
        if action.api is None or action.api:
            return action.api
        return f"{action.route.replace('-', '_')}_{self.noun}"

    def __iter__(self) -> Any:
        return iter(self.actions)

    def transition(self, action: Action[M]) -> Transition:
        return self.machine[self._key(action)]

    def get(self, name: str) -> Action[M] | None:
        return self.by_name.get(name)

    def offered(self, transitions: Sequence[Transition]) -> list[dict[str, str]]:
        """The API's ``actions`` field: each transition the policy offers, by its API route
        (``POST .../<name>``); one of the page only is left out."""
        found = []
        for x in transitions:
            action = self.by_name.get(x.name)
            if action is not None and action.api is None:
                continue
            found.append({"name": action.route if action is not None else x.name.replace("_", "-"), "label": x.label})
        return found


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # "select", "number", "textarea", "text"
    required: bool
    options: list[tuple[Any, str]]
    max_length: int | None
    value: Any
    help: str = ""


def form_fields(action: Action[M], scope: Scope, record: M, posted: Mapping[str, Any] | None = None) -> list[FormField]:
    """The form of an action, drawn from its input schema (a page without a form of its own
    for it shows these): a pick-list where ``choices`` gives one, a number box for a number,
    a text area for a long text. ``posted`` refills it after a refusal."""
    options = action.choices(scope, record) if action.choices is not None else {}
    fields = []
    for name, info in action.input.model_fields.items():
        limits = [m.max_length for m in info.metadata if getattr(m, "max_length", None)]
        annotation = str(info.annotation)
        if name in options:
            kind = "select"
        elif "int" in annotation:
            kind = "number"
        else:
            kind = "textarea" if not limits or limits[0] > 200 else "text"
        default = None if info.is_required() else info.default
        fields.append(
            FormField(
                name=name,
                label=info.title or name,
                kind=kind,
                required=info.is_required(),
                options=options.get(name, []),
                max_length=limits[0] if limits else None,
                value=(posted or {}).get(name, default if default is not None else ""),
                help=info.description or "",
            )
        )
    return fields
