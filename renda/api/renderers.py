"""JSON out as UTF-8 text, so Chinese reads as Chinese rather than \\uXXXX escapes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder


def dumps(data: Any) -> str:
    """What UnicodeJSONRenderer writes, for responses built outside ninja's pipeline."""
    return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False)


class UnicodeJSONRenderer(JSONRenderer):
    json_dumps_params: Mapping[str, Any] = {"ensure_ascii": False}
