"""REST API for 表决与票决."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["表决与票决"])
