"""Shared pieces of the permission matrix (tests/test_permission_matrix.py).

Each working scene keeps its own routes in a module here (``ROUTES``, ``BODIES`` and
``TARGETS``), so scenes can grow without editing one another's entries. A ``TARGETS``
builder takes the region path of one township (the demo township user's, or a neighbour)
and answers ``(region path of the record, URL kwargs)`` for one record of that kind there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PUBLIC = "public"
LOGIN = "login"  # any logged-in user


@dataclass(frozen=True)
class Route:
    perm: str  # PUBLIC, LOGIN or a Perm
    target: str = ""  # which record the URL names: region, deputy, station, unit, group, opinion, receipt, or a TARGETS key ("" = none)
    method: str = "get"
    api: bool = False
    logged_in_redirect: bool = False  # e.g. the login page sends a logged-in user home
    rename: tuple[tuple[str, str], ...] = ()  # URL kwarg names that differ from the target's
    fixed: tuple[tuple[str, str], ...] = ()  # constant URL kwargs
    body: str = ""  # a JSON body builder in BODIES, for API writes
    public_status: int = 200  # what a public route answers everyone
    inscope_status: int | None = None  # what an allowed, in-scope request answers, when not the default


Side = dict[str, tuple[str, dict[str, object]]]
BodyBuilder = Callable[[dict[str, object], Side], dict[str, object]]
TargetBuilder = Callable[[str], tuple[str, dict[str, object]]]
