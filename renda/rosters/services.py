"""Roster (名册) import and export as Excel: regions, deputies, stations, handling units.

- ``roster_template``: an empty workbook with the header row, one example row and a sheet
  "填写说明" describing every column.
- ``roster_export``: the roster of everything in the user's scope; exports hold personal data
  (phones), so each one is written to the audit log.
- ``roster_import``: the whole file is checked first (renda/rosters/plans.py); if any row is
  wrong nothing is written and every problem is returned. Otherwise the plan is applied in
  one transaction through the registry services (renda/org/services.py,
  renda/regions/services.py), which check scope again and write an audit event per change
  with the reason "名册导入". Rows that would not change anything are not touched, so
  re-importing an unchanged export changes nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from renda.audit.services import audit_record
from renda.core.errors import RendaError
from renda.core.scoping import Perm, Scope
from renda.core.watermark import watermark_for
from renda.org.models import Deputy
from renda.org.services import (
    UnitInput,
    deputy_create,
    deputy_join_station,
    deputy_leave_station,
    deputy_update,
    group_set_members,
    station_create,
    station_set_officers,
    station_set_served_regions,
    station_update,
    unit_create,
    unit_update,
)
from renda.regions.models import PATH_LENGTH
from renda.regions.services import region_create, region_update
from renda.rosters import plans
from renda.rosters.cells import Problems, RowError
from renda.rosters.columns import DEPUTIES, REGIONS, STATIONS, RosterSpec, roster_spec
from renda.rosters.plans import Action, Step
from renda.rosters.selectors import roster_rows
from renda.rosters.spreadsheets import RosterFileRejected, SheetRow, build_workbook, read_rows

IMPORT_REASON = "名册导入"


@dataclass(frozen=True)
class RosterFile:
    filename: str
    content: bytes


@dataclass
class ImportResult:
    title: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        return f"新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}"


class _RollBack(Exception):
    """Leaves the import's transaction so that nothing of a failed apply is kept."""


def _scope_region_path(scope: Scope) -> str:
    """The region an export or import event is filed under: the nearest region holding every root."""
    if scope.unrestricted or not scope.roots:
        return ""
    common = scope.roots[0]
    for root in scope.roots[1:]:
        while not root.startswith(common):
            common = common[:-1]
    lengths = [n for n in PATH_LENGTH.values() if n <= len(common)]
    return common[: max(lengths)] if lengths else ""


# ---------------------------------------------------------------- template and export


def roster_template(*, scope: Scope, kind: str) -> RosterFile:
    """The empty workbook users fill in: headers, one example row, and the sheet 填写说明."""
    scope.require(Perm.ORG_MANAGE)
    spec = roster_spec(kind)
    return RosterFile(f"{spec.title}模板.xlsx", build_workbook(spec, [], example=True))


def roster_export(*, scope: Scope, kind: str) -> RosterFile:
    """The roster of everything in the user's scope, in the template's columns; logged as personal data leaving."""
    scope.require(Perm.ORG_EXPORT)
    spec = roster_spec(kind)
    rows = roster_rows(scope=scope, spec=spec)
    mark = watermark_for(scope, personal=True)
    content = build_workbook(spec, rows, mark=mark)
    with transaction.atomic():
        audit_record(
            actor=scope.actor,
            action="roster.export",
            target_type="roster",
            target_id=spec.kind,
            target_label=spec.title,
            region_path=_scope_region_path(scope),
            after={"roster": spec.kind, "rows": len(rows), "export_id": mark.export_id},
        )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return RosterFile(f"{spec.title}-{stamp}.xlsx", content)


# ---------------------------------------------------------------- import


def roster_import(*, scope: Scope, kind: str, upload: UploadedFile[bytes]) -> ImportResult:
    """Check the whole uploaded roster; if every row is right, apply it in one transaction.

    Returns the counts of created, updated and unchanged rows, or every problem found (and
    then nothing at all has been written).
    """
    scope.require(Perm.ORG_MANAGE)
    spec = roster_spec(kind)
    result = ImportResult(title=spec.title)
    try:
        rows = read_rows(upload, spec, max_rows=settings.ROSTER_MAX_ROWS, max_bytes=settings.ROSTER_MAX_UPLOAD_BYTES)
    except RosterFileRejected as error:
        result.errors.append(RowError(row=None, column="", value="", message=error.message))
        return result

    problems = Problems(spec)
    rows = plans.without_example_rows(spec, rows, problems)
    steps, apply = _plan(spec, scope, rows, problems)
    if problems:
        result.errors = _in_row_order(problems.errors)
        return result

    result.created = sum(1 for s in steps if s.action == Action.CREATE)
    result.updated = sum(1 for s in steps if s.action == Action.UPDATE)
    result.unchanged = sum(1 for s in steps if s.action == Action.UNCHANGED)
    try:
        with transaction.atomic():
            apply()
            if problems:
                raise _RollBack
            if result.created or result.updated:
                audit_record(
                    actor=scope.actor,
                    action="roster.import",
                    target_type="roster",
                    target_id=spec.kind,
                    target_label=spec.title,
                    region_path=_scope_region_path(scope),
                    reason=IMPORT_REASON,
                    after={
                        "file": (upload.name or "")[:200],
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
    except _RollBack:
        return ImportResult(title=spec.title, errors=_in_row_order(problems.errors))
    return result


def _in_row_order(errors: list[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda e: e.row or 0)


def _apply_row(problems: Problems, row: SheetRow, default_key: str, write: Callable[[], None]) -> bool:
    """Run one row's writes in a savepoint; a refusal is recorded against the row and undone."""
    try:
        with transaction.atomic():
            write()
    except RendaError as error:
        problems.add_error(row, error, default_key=default_key)
        return False
    except IntegrityError:
        problems.add(row, default_key, "与已有数据冲突，请核对后重试")
        return False
    return True


def _apply_regions(scope: Scope, steps: list[plans.RegionStep], problems: Problems) -> None:
    # Parents before children, so a file may add a township and its villages together.
    for step in sorted(steps, key=lambda s: len(s.path)):
        if step.action == Action.CREATE:

            def write(step: plans.RegionStep = step) -> None:
                region_create(
                    scope=scope, code=step.code, name=step.name, level=step.level, kind=step.kind, reason=IMPORT_REASON
                )

        elif step.action == Action.UPDATE and step.region is not None:

            def write(step: plans.RegionStep = step) -> None:
                assert step.region is not None
                region_update(scope=scope, region=step.region, name=step.name, kind=step.kind, reason=IMPORT_REASON)

        else:
            continue
        _apply_row(problems, step.row, "code", write)


def _apply_deputies(scope: Scope, plan: plans.DeputyPlan, problems: Problems) -> None:
    today = timezone.localdate()
    for step in plan.steps:
        step.result = step.deputy
        if step.action == Action.UNCHANGED:
            continue

        def write(step: plans.DeputyStep = step) -> None:
            deputy = step.deputy
            if deputy is None:
                assert step.data is not None
                deputy = deputy_create(scope=scope, data=step.data, reason=IMPORT_REASON)
            elif step.data is not None:
                deputy = deputy_update(scope=scope, deputy=deputy, data=step.data, reason=IMPORT_REASON)
            for membership in step.leave:
                deputy_leave_station(scope=scope, membership=membership, end_date=today, reason=IMPORT_REASON)
            for station in step.join:
                deputy_join_station(scope=scope, deputy=deputy, station=station, start_date=today, reason=IMPORT_REASON)
            step.result = deputy

        if not _apply_row(problems, step.row, "name", write):
            step.result = None
    for change in plan.groups:
        added = [s.result for s in change.add]
        if any(d is None for d in added):
            continue  # a new member failed; that row is already reported
        members = [m for m in change.members if m.pk not in change.remove] + [d for d in added if d is not None]

        def write_group(change: plans.GroupChange = change, members: list[Deputy] = members) -> None:
            group_set_members(scope=scope, group=change.group, members=members, reason=IMPORT_REASON)

        _apply_row(problems, change.rows[0], "groups", write_group)


def _apply_stations(scope: Scope, steps: list[plans.StationStep], problems: Problems) -> None:
    for step in steps:
        if step.action == Action.UNCHANGED:
            continue

        def write(step: plans.StationStep = step) -> None:
            station = step.station
            if station is None:
                assert step.data is not None
                station = station_create(scope=scope, data=step.data, reason=IMPORT_REASON)
            elif step.data is not None:
                station = station_update(scope=scope, station=station, data=step.data, reason=IMPORT_REASON)
            if step.officers is not None:
                station_set_officers(scope=scope, station=station, officers=step.officers, reason=IMPORT_REASON)
            if step.served_add or step.served_remove:
                station_set_served_regions(
                    scope=scope, station=station, add=step.served_add, remove=step.served_remove, reason=IMPORT_REASON
                )

        _apply_row(problems, step.row, "code", write)


def _apply_units(scope: Scope, steps: list[plans.UnitStep], problems: Problems) -> None:
    for step in steps:  # parents first (plans._parents_first)
        step.result = step.unit
        if step.action == Action.UNCHANGED or step.data is None:
            continue
        data = step.data
        if step.parent_step is not None:
            if step.parent_step.result is None:
                continue  # the parent's row failed and is reported
            data = replace(data, parent=step.parent_step.result)

        def write(step: plans.UnitStep = step, data: UnitInput = data) -> None:
            if step.unit is None:
                step.result = unit_create(scope=scope, data=data, reason=IMPORT_REASON)
            else:
                step.result = unit_update(scope=scope, unit=step.unit, data=data, reason=IMPORT_REASON)

        if not _apply_row(problems, step.row, "code", write):
            step.result = None


def _plan(
    spec: RosterSpec, scope: Scope, rows: list[SheetRow], problems: Problems
) -> tuple[Sequence[Step], Callable[[], None]]:
    """The steps an import would take, and how to take them."""
    if spec is REGIONS:
        regions = plans.plan_regions(scope, rows, problems)
        return regions, lambda: _apply_regions(scope, regions, problems)
    if spec is DEPUTIES:
        deputies = plans.plan_deputies(scope, rows, problems)
        return deputies.steps, lambda: _apply_deputies(scope, deputies, problems)
    if spec is STATIONS:
        stations = plans.plan_stations(scope, rows, problems)
        return stations, lambda: _apply_stations(scope, stations, problems)
    units = plans.plan_units(scope, rows, problems)
    return units, lambda: _apply_units(scope, units, problems)


# ---------------------------------------------------------------- served villages (联系的村/社区)


__all__ = [
    "ImportResult",
    "RosterFile",
    "roster_export",
    "roster_import",
    "roster_template",
]
