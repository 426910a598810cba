"""The home page (工作台) offers each role the scenes it works in, and no others."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "shown", "hidden"),
    [
        ("township", ["意见建议办理", "代表建议", "建议督办看板", "人代会与表决", "民生实事项目"], []),
        ("deputy", ["代表建议", "人代会与表决", "民生实事项目"], ["建议督办看板"]),
        ("clerk", ["意见建议办理", "代表建议", "民生实事项目"], ["建议督办看板", "人代会与表决"]),
        ("liaison", ["意见建议办理", "民生实事项目"], ["代表建议", "人代会与表决"]),
    ],
)
def test_home_lists_the_scenes_of_the_role(client_as, username, shown, hidden):
    # Given a demo user; when they open the home page
    page = client_as(username).get("/").content.decode()
    # then every scene they hold a permission for is offered, and only those
    for label in shown:
        assert label in page, label
    for label in hidden:
        assert label not in page, label
