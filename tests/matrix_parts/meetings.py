"""Permission-matrix entries for 人代会与会议: every route of the scene, with its JSON bodies and
the builders of the records its URLs name (see tests/matrix_parts/__init__.py)."""

from __future__ import annotations

from tests.matrix_parts import LOGIN, PUBLIC, BodyBuilder, Route, TargetBuilder  # noqa: F401

ROUTES: dict[str, Route] = {}
BODIES: dict[str, BodyBuilder] = {}
TARGETS: dict[str, TargetBuilder] = {}
