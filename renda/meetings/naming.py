"""How a session is named and numbered (会议名称与次数).

A township congress numbers its sessions within its term (届), in date order:
“白鹭镇第十九届人民代表大会第三次会议”; its presidium likewise (“白鹭镇第十九届人大主席团第五次会议”).
A body without a term (a street 议政代表会议) numbers its meetings within the year:
“白鹭街道议政代表会议2026年第二次会议”. Numbers are written in Chinese numerals, as on the
session's own documents.
"""

from __future__ import annotations

from renda.core.numerals import chinese_numeral
from renda.org.models import Body, BodyKind
from renda.regions.models import Region


def body_short_name(body: Body, region: Region | None = None) -> str:
    """The body's name after its region's (人民代表大会, 人大主席团, 议政代表会议)."""
    name = body.name
    region_name = (region or body.region).name
    rest = name[len(region_name) :] if name.startswith(region_name) else name
    # The kinds' labels say 乡镇人大主席团 and 街道议政代表会议, so a default name repeats what the
    # region's name already says (白鹭镇乡镇人大主席团, 城北街道街道议政代表会议).
    if body.kind == BodyKind.PRESIDIUM and rest.startswith("乡镇"):
        rest = rest[2:]
    if region_name.endswith("街道") and rest.startswith("街道"):
        rest = rest[2:]
    return rest


def session_title(body: Body, *, term: int | None, year: int, number: int, region: Region | None = None) -> str:
    """The title a session gets unless staff give their own. ``region``: the body's, when the
    caller has it already (a list of meetings has each one's region, not each body's)."""
    region = region or body.region
    prefix = region.name if body.name.startswith(region.name) else ""
    short = body_short_name(body, region)
    if term:
        return f"{prefix}第{chinese_numeral(term)}届{short}第{chinese_numeral(number)}次会议"
    return f"{prefix}{short}{year}年第{chinese_numeral(number)}次会议"


def series_label(body: Body, *, term: int | None, year: int) -> str:
    """What the numbers count within, for messages: 第十九届 or 2026年."""
    return f"第{chinese_numeral(term)}届" if term else f"{year}年"
