"""REST API for 民生实事项目."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["民生实事项目"])
