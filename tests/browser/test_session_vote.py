"""人代会与表决 in a browser: staff convene a session → deputies sign in on their phones (venue QR)
and by staff to a quorum → a 差额 vote (choose 2 of 4) with phone ballots and a paper-ballot
batch → a seat left unfilled → a runoff → the published result on the session page; the voter
checks their receipt. Bad input on the way: opening without quorum, more choices than N, a second
ballot by the same deputy, paper totals above the signed-in voters, a ballot after close."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from renda.demo.meetings import check_paper
from renda.meetings.models import Meeting
from renda.meetings.selectors import deputy_pool
from renda.meetings.tests.helpers import congress_of, demo_town, deputy_user
from renda.voting.models import SealedBallot, Vote


@pytest.fixture
def phones(browser: Any, live_site: Any) -> Iterator[Callable[[], Any]]:
    contexts = []

    def make() -> Any:
        context = browser.new_context(
            base_url=live_site.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Fast hashes for the deputies' logins made here; the demo users' strong hashes still verify.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    # Three phone ballots beside paper ones are enough to publish merged at this small session
    # (the refusal below the minimum: renda/voting/tests/test_secrecy.py).
    settings.VOTE_MIN_PHONE_BALLOTS = 3


def test_session_sign_in_vote_runoff_publish(
    page: Any, phones: Callable[[], Any], login_as: Callable[[Any, str], None]
) -> None:
    body = congress_of(demo_town())
    deputies = list(deputy_pool(body).order_by("id")[:6])
    users = [deputy_user(d) for d in deputies]  # logins for the deputies' phones

    # Staff convene a session of six deputies (quorum: 4; a majority of all: 4 votes).
    login_as(page, "township")
    page.goto("/meetings/")
    page.click("#new-meeting")
    page.select_option("#id_body", str(body.pk))
    page.fill("#id_start_date", timezone.localdate().isoformat())  # sign-in opens the day before at the earliest
    page.fill("#id_venue", "镇政府大礼堂")
    page.fill("#id_agenda", "听取和审议政府工作报告\n票决2027年民生实事项目")
    page.select_option("#id_deputies", [str(d.pk) for d in deputies])
    page.click("#meeting-form button[type=submit]")
    page.wait_for_selector("#meeting-state:has-text('筹备中')")
    meeting = Meeting.objects.latest("id")
    assert "应出席 6 人" in page.inner_text("#attendance")
    titles = page.locator("#agenda .agenda-title").all_inner_texts()
    assert titles == ["听取和审议政府工作报告", "票决2027年民生实事项目"]
    page.click("#open-meeting")
    page.click("#open-meeting-confirm")
    page.wait_for_selector("#meeting-state:has-text('会议进行中')")

    # The question is put; opening it without a quorum is refused.
    page.click("#new-vote")
    page.fill("#id_title", "票决2027年民生实事项目")
    page.select_option("#id_method", "choose_n")
    page.fill("#id_seats", "2")
    page.fill("#id_options", "甲：村道硬化｜预算 80 万元\n乙：农贸市场改造\n丙：老年食堂\n丁：河道清淤")
    page.click("#vote-form button[type=submit]")
    page.wait_for_selector("#vote-state:has-text('待表决')")
    vote_url = page.url
    page.click("#open-vote")
    assert "未达到法定人数 4 人" in page.inner_text("#action-error")

    # Sign-in: the console shows the venue QR; four deputies scan it on their phones.
    page.goto(f"/meetings/{meeting.pk}/signin/")
    assert "还差 4 人" in page.inner_text("#quorum")
    token = page.get_attribute("#checkin-qr", "src").split("?t=")[1]
    devices = []
    for user in users[:4]:
        phone = phones()
        login_as(phone, user.username)
        phone.goto(f"/meetings/{meeting.pk}/checkin/{token}/")
        phone.click("#checkin-button")
        phone.wait_for_selector("#my-attendance:has-text('已签到')")
        devices.append(phone)
    # The fifth has no phone: staff sign them in; the sixth is on approved leave.
    page.reload()
    page.click(f"#att-{deputies[4].pk} button.sign-in")
    page.fill(f"#att-{deputies[5].pk} input[name=reason]", "外出学习，经主席团批准")
    page.click(f"#att-{deputies[5].pk} button:has-text('登记请假')")
    page.wait_for_selector(f"#att-{deputies[5].pk} .att-status:has-text('请假')")
    assert page.inner_text("#n-present") == "5"
    assert "已达法定人数" in page.inner_text("#quorum-state")

    # Now the vote opens; deputies vote on their phones.
    page.goto(vote_url)
    page.click("#open-vote")
    page.wait_for_selector("#vote-state:has-text('投票中')")

    def ballot(phone: Any, picks: list[int]) -> Any:
        phone.goto(vote_url)
        for p in picks:
            phone.check(f"input[name=choice][value='{p}']")
        phone.click("#cast-button")
        phone.wait_for_selector("#confirm-cast, #action-error")  # read back, or refused on the form
        if phone.query_selector("#confirm-cast"):
            phone.click("#confirm-cast")
            phone.wait_for_selector("#receipt-code")
        return phone

    # More than N choices is refused and nothing is stored
    ballot(devices[1], [1, 2, 3])
    assert "最多只能选 2 项，您选了 3 项" in devices[1].inner_text("#action-error")
    assert SealedBallot.objects.count() == 0
    ballot(devices[0], [1, 3])
    code = devices[0].inner_text("#receipt-code")
    ballot(devices[1], [2, 3])
    devices[2].goto(vote_url)  # deputy 3 has the ballot open but is slow
    # A second ballot by the same deputy: going back to the form and submitting again
    devices[0].goto(vote_url)
    assert "您已对本事项投票" in devices[0].inner_text("#ballot")
    csrf = next(c["value"] for c in devices[0].context.cookies() if c["name"] == "csrftoken")
    again = devices[0].request.post(vote_url + "cast/", form={"csrfmiddlewaretoken": csrf, "choice": "4"})
    assert again.status == 409 and "只能投一票" in again.text()
    assert SealedBallot.objects.count() == 2
    devices[2].check("input[name=choice][value='1']")
    devices[2].check("input[name=choice][value='2']")
    devices[2].click("#cast-button")
    assert "2. " in devices[2].inner_text("#review") and "选择" in devices[2].inner_text("#review")
    devices[2].click("#confirm-cast")
    devices[2].wait_for_selector("#receipt-code")

    # Two deputies voted on paper; the tellers' totals: first a mistaken batch of 3 (3 + 3 > 5 signed in)
    page.goto(vote_url)
    assert page.inner_text("#n-phone") == "3"
    page.fill("#paper-ballots", "3")
    page.fill("#paper-count-3", "2")
    page.fill("#paper-tellers", "监票人 王明、计票人 陈芳")
    page.click("#paper-submit")
    assert "多于已签到代表 5 人" in page.inner_text("#action-error")
    page.fill("#paper-ballots", "2")
    page.fill("#paper-invalid", "0")
    page.fill("#paper-count-1", "0")
    page.fill("#paper-count-2", "0")
    page.fill("#paper-count-3", "2")
    page.fill("#paper-count-4", "0")
    page.fill("#paper-tellers", "监票人 王明、计票人 陈芳")
    page.click("#paper-submit")
    page.wait_for_selector("#paper-batches:has-text('待复核')")
    # 复核: the office's second hand types the tellers' sheet again on their own phone; a slip
    # is named item by item and nothing counts until both entries agree.
    checker = phones()
    login_as(checker, "township2")
    checker.goto(vote_url)
    batch = meeting.votes.get(round=1).paper_batches.get().pk
    checker.click(f"#paper-check-{batch} summary")
    sheet = {"ballots": "2", "invalid": "0", "count-1": "0", "count-2": "0", "count-3": "2", "count-4": "0"}
    for name, value in (sheet | {"count-3": "1", "count-4": "1"}).items():
        checker.fill(f"#check-{batch}-{name}", value)
    checker.click(f"#paper-check-submit-{batch}")
    assert "“丙：老年食堂”得票：原录入 2，复核 1" in checker.inner_text("#action-error")
    assert checker.get_attribute(f"#paper-check-{batch}", "open") is not None  # still open to retype
    for name, value in sheet.items():
        checker.fill(f"#check-{batch}-{name}", value)
    checker.click(f"#paper-check-submit-{batch}")
    checker.wait_for_selector("#paper-batches:has-text('已复核一致')")
    page.reload()
    page.click("#close-vote")
    page.click("#close-vote-confirm")
    page.wait_for_selector("#vote-state:has-text('已截止待公布')")

    # 甲 2, 乙 2, 丙 4, 丁 0: 丙 has a majority of all six; the second seat stays unfilled.
    result = page.inner_text("#result")
    assert "计票结果（尚未公布）" in result
    rows = {r.split("\t")[0]: r.split("\t")[1:] for r in page.inner_text("#result tbody").splitlines()}
    assert rows["丙：老年食堂"] == ["4", "当选"]
    assert rows["甲：村道硬化"] == ["2", "未过半数，需另行表决"]
    assert "尚有 1 个名额未选出" in page.inner_text("#unfilled")
    assert "重新计票核对一致" in page.inner_text("#recount")
    # A ballot after close is refused
    devices[3].goto(vote_url)
    assert "投票已截止" in devices[3].inner_text("#ballot")
    page.click("#publish-vote")
    page.click("#publish-vote-confirm")
    page.wait_for_selector("#vote-state:has-text('已公布')")

    # Runoff for the remaining seat between 甲 and 乙 (丁 left out).
    page.uncheck("#runoff-form input[value='4']")
    page.click("#runoff-button")
    page.wait_for_selector("h1:has-text('第2轮')")
    runoff_url = page.url
    page.click("#open-vote")
    page.wait_for_selector("#vote-state:has-text('投票中')")
    for phone, pick in zip(devices[:3], [1, 1, 2], strict=True):
        phone.goto(runoff_url)
        phone.check(f"input[name=choice][value='{pick}']")
        phone.click("#cast-button")
        phone.click("#confirm-cast")
        phone.wait_for_selector("#receipt-code")
    page.reload()
    page.fill("#paper-ballots", "2")
    page.fill("#paper-count-1", "2")
    page.fill("#paper-count-2", "0")
    page.fill("#paper-tellers", "监票人 王明、计票人 陈芳")
    page.click("#paper-submit")
    page.wait_for_selector("#paper-batches:has-text('待复核')")
    check_paper(Vote.objects.get(round=2, meeting=meeting))  # 复核, as above
    page.reload()
    page.click("#close-vote")
    page.click("#close-vote-confirm")
    page.wait_for_selector("#vote-state:has-text('已截止待公布')")
    page.click("#publish-vote")
    page.click("#publish-vote-confirm")
    page.wait_for_selector("#vote-state:has-text('已公布')")
    assert Vote.objects.get(round=2, meeting=meeting).concluded

    # The session page shows both published rounds, frozen.
    page.goto(f"/meetings/{meeting.pk}/")
    votes = page.inner_text("#votes")
    assert "票决2027年民生实事项目（第2轮）" in votes
    assert votes.count("结果已公布，不再变更") == 2
    assert "甲：村道硬化\t4\t当选" in votes and "丙：老年食堂\t4\t当选" in votes

    # The first voter checks their receipt on the public page: counted, nothing revealed.
    devices[0].goto("/voting/receipt/")
    devices[0].fill("#code", code)
    devices[0].click("button[type=submit]")
    text = devices[0].inner_text("#receipt-result")
    assert "已计入公布的表决结果" in text and "只证明选票已计入" in text
    assert "甲" not in text and "丙" not in text
