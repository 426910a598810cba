"""REST API for 代表建议."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["代表建议"])
