"""REST API for 会议与表决（人代会、主席团会议、议政代表会议）."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["人代会与会议"])
