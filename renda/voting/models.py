"""表决: a question put to the deputies of a meeting (表决事项), its options, the secret ballots
and the paper-ballot batches counted by tellers.

Secrecy by construction (voting/sealing.py says how the box is sealed):
- ``Participation`` says who voted (one row per deputy per vote: a database constraint).
- ``SealedBallot`` is a phone ballot while the vote is open: a sealed box that the database alone
  cannot open, padded to one length per vote, with its tracker (the voter's receipt code).
- At close the box is opened once: ``Ballot`` rows (what was voted, no receipt, no deputy, no
  time, random keys) and ``BallotTracker`` rows (the receipt codes counted) are written in two
  independent shuffled orders, the sealed rows deleted, the key's salt erased and the
  participations rewritten shuffled; nothing stored keeps the order of casting.
- Results are frozen on the options at close/publication and can be recomputed at any time
  from the stored ballots and paper batches (services.vote_recount).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from renda.core.models import TimeStampedModel


class VoteMethod(models.TextChoices):  # 表决方式
    YES_NO = "yes_no", "逐项赞成/反对/弃权"
    CHOOSE_N = "choose_n", "差额票决（最多选 N 项）"
    SCORE = "score", "逐项评分（测评）"


class VoteState(models.TextChoices):  # 表决状态
    DRAFT = "draft", "待表决"
    OPEN = "open", "投票中"
    CLOSED = "closed", "已截止待公布"
    PUBLISHED = "published", "已公布"


class Mark(models.TextChoices):  # 赞成/反对/弃权
    YES = "yes", "赞成"
    NO = "no", "反对"
    ABSTAIN = "abstain", "弃权"


class Outcome(models.TextChoices):  # 表决结果（每一选项）
    ELECTED = "elected", "当选/通过"
    NOT_ELECTED = "not_elected", "未当选/未通过"
    TIED = "tied", "票数相同，需另行表决"
    UNFILLED = "unfilled", "未过半数，需另行表决"


class Vote(TimeStampedModel):  # 表决事项
    meeting = models.ForeignKey("meetings.Meeting", verbose_name="会议", on_delete=models.PROTECT, related_name="votes")
    agenda_item = models.ForeignKey(
        "meetings.AgendaItem",
        verbose_name="议程",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="votes",
    )
    title = models.CharField("表决事项", max_length=200)
    description = models.TextField("说明", blank=True)
    method = models.CharField("表决方式", max_length=12, choices=VoteMethod.choices)
    seats = models.PositiveSmallIntegerField("应选名额", null=True, blank=True)
    score_max = models.PositiveSmallIntegerField("满分", default=100)
    state = models.CharField("状态", max_length=12, choices=VoteState.choices, default=VoteState.DRAFT)
    round = models.PositiveSmallIntegerField("轮次", default=1)
    parent = models.ForeignKey(
        "self", verbose_name="上一轮", null=True, blank=True, on_delete=models.PROTECT, related_name="runoffs"
    )
    # Figures frozen when the vote opens: the majority is counted against them.
    entitled_count = models.PositiveIntegerField("全体代表数", default=0)
    present_at_open = models.PositiveIntegerField("开始表决时出席人数", default=0)
    majority_rule = models.CharField("通过标准", max_length=16, blank=True)
    threshold = models.PositiveIntegerField("通过所需票数", default=0)
    # Figures frozen at close.
    ballots_phone = models.PositiveIntegerField("电子票数", default=0)
    ballots_paper = models.PositiveIntegerField("纸质票数", default=0)
    ballots_invalid = models.PositiveIntegerField("废票数", default=0)
    present_at_close = models.PositiveIntegerField("截止时出席人数", default=0)
    opened_at = models.DateTimeField("开始时间", null=True, blank=True)
    closed_at = models.DateTimeField("截止时间", null=True, blank=True)
    published_at = models.DateTimeField("公布时间", null=True, blank=True)
    concluded = models.BooleanField("本事项表决已结束", default=False)
    # The sealed ballot box: its public key while open; the salt (with BALLOT_SEAL_KEY) derives
    # the private key and is erased when the box is opened at close.
    seal_public = models.CharField("电子票箱公钥", max_length=64, blank=True)
    seal_salt = models.CharField("电子票箱启封盐", max_length=64, blank=True)
    paper_only = models.BooleanField("已改为纸质票表决", default=False)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "表决事项"
        verbose_name_plural = "表决事项"
        constraints = [
            models.UniqueConstraint(fields=["parent"], condition=Q(parent__isnull=False), name="vote_one_runoff"),
            models.CheckConstraint(condition=~Q(method="choose_n") | Q(seats__gte=1), name="vote_choose_n_seats"),
            models.CheckConstraint(condition=Q(round__gte=1), name="vote_round_positive"),
            models.CheckConstraint(
                condition=Q(round=1, parent__isnull=True) | Q(round__gt=1, parent__isnull=False),
                name="vote_runoff_has_parent",
            ),
        ]

    @property
    def method_label(self) -> str:
        """The method with its number: 差额票决（最多选 5 项）."""
        label = str(self.get_method_display())
        return label.replace("N 项", f"{self.seats} 项") if self.seats else label

    def __str__(self) -> str:
        return self.title if self.round == 1 else f"{self.title}（第{self.round}轮）"


class VoteOption(TimeStampedModel):  # 表决选项（候选项目/决议/测评对象）
    vote = models.ForeignKey(Vote, verbose_name="表决事项", on_delete=models.CASCADE, related_name="options")
    label = models.CharField("名称", max_length=200)
    description = models.TextField("说明", blank=True)
    position = models.PositiveSmallIntegerField("序号")
    ref = models.CharField("关联对象", max_length=64, blank=True, help_text="调用方的对象键，如 projects.candidate:12")
    # The tally, written at close from ballots + paper batches (recomputable: vote_recount).
    count_yes = models.PositiveIntegerField("赞成/得票", default=0)
    count_no = models.PositiveIntegerField("反对", default=0)
    count_abstain = models.PositiveIntegerField("弃权", default=0)
    score_total = models.PositiveIntegerField("总分", default=0)
    score_count = models.PositiveIntegerField("评分票数", default=0)
    outcome = models.CharField("结果", max_length=12, choices=Outcome.choices, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "表决选项"
        verbose_name_plural = "表决选项"
        ordering = ["vote", "position"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "position"], name="option_unique_position"),
            models.UniqueConstraint(fields=["vote", "ref"], condition=~Q(ref=""), name="option_unique_ref"),
        ]

    @property
    def word(self) -> str:
        """The result in the word that fits the item: 入选 for a livelihood project, 通过 for a
        resolution put 赞成/反对/弃权, 当选 for a person; a score is a measurement, no verdict."""
        if not self.outcome:
            return ""
        if self.outcome not in (Outcome.ELECTED, Outcome.NOT_ELECTED):
            return str(self.get_outcome_display())
        method = self.vote.method  # the vote its manager loaded it from: no query
        if method == VoteMethod.SCORE:
            return ""
        word = "通过" if method == VoteMethod.YES_NO else "当选"
        if self.ref.startswith("projects."):
            word = "入选"
        return word if self.outcome == Outcome.ELECTED else f"未{word}"

    def __str__(self) -> str:
        return self.label


class Participation(models.Model):  # 投票记录：谁投了票（不含投了什么）
    """One deputy has cast a phone ballot in one vote. The constraint is what makes "once per
    ballot" hold under concurrent requests. No timestamp: the vote's own times are enough."""

    vote = models.ForeignKey(Vote, verbose_name="表决事项", on_delete=models.PROTECT, related_name="participations")
    deputy = models.ForeignKey("org.Deputy", verbose_name="代表", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "投票记录"
        verbose_name_plural = "投票记录"
        ordering = ["vote", "deputy"]
        constraints = [models.UniqueConstraint(fields=["vote", "deputy"], name="participation_once_per_vote")]

    def __str__(self) -> str:
        return f"{self.deputy_id} 已投票"


class SealedBallot(models.Model):  # 电子票箱中的密封选票（投票期间）
    """One phone ballot while the vote is open: ``sealed`` is a libsodium sealed box of the padded
    canonical choices; ``tracker`` is what the voter keeps as the receipt code. Deleted at close."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, verbose_name="表决事项", on_delete=models.PROTECT, related_name="sealed_ballots")
    sealed = models.BinaryField("密封选票")
    tracker = models.CharField("回执码", max_length=16, unique=True)

    class Meta:
        verbose_name = "密封选票"
        verbose_name_plural = "密封选票"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"密封选票 {self.tracker[:4]}"


class Ballot(models.Model):  # 选票：投了什么（不含是谁，也不含回执）
    """What one phone ballot said, written when the box is opened at close. ``choices``: for
    yes_no ``{"<position>": "yes"|"no"|"abstain"}``, for choose_n ``[<position>, ...]`` (at most
    ``seats``), for score ``{"<position>": <int>}``. No receipt beside it: a receipt proves that
    a ballot was counted, never what it said."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, verbose_name="表决事项", on_delete=models.PROTECT, related_name="ballots")
    choices = models.JSONField("选择")

    class Meta:
        verbose_name = "选票"
        verbose_name_plural = "选票"
        ordering = ["id"]  # random: says nothing about the order of voting

    def __str__(self) -> str:
        return "选票"


class BallotTracker(models.Model):  # 已计入的回执码
    """The receipt code of a counted phone ballot, written at close in an order of its own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, verbose_name="表决事项", on_delete=models.PROTECT, related_name="trackers")
    tracker = models.CharField("回执码", max_length=16, unique=True)

    class Meta:
        verbose_name = "回执码"
        verbose_name_plural = "回执码"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"回执 {self.tracker[:4]}"


class PaperBatch(TimeStampedModel):  # 纸质选票计票结果（监票、计票人员清点）
    """Totals counted by tellers for a batch of paper ballots, entered once and checked by a
    second entry of another member of staff (复核, rule ``vote.paper_check``). ``counts``: for yes_no
    ``{"<position>": {"yes": n, "no": n, "abstain": n}}``, for choose_n ``{"<position>": n}``,
    for score ``{"<position>": total}`` (every valid ballot scores every option)."""

    vote = models.ForeignKey(Vote, verbose_name="表决事项", on_delete=models.PROTECT, related_name="paper_batches")
    ballots = models.PositiveIntegerField("收回选票数")
    invalid = models.PositiveIntegerField("其中废票", default=0)
    counts = models.JSONField("各项票数")
    tellers = models.CharField("监票、计票人", max_length=200)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, blank=True, on_delete=models.SET_NULL
    )
    # 复核: a second member of staff types the same sheet again; it counts once every item and
    # candidate agrees (services.paper_batch_check). Empty while the batch awaits its check.
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="复核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField("复核时间", null=True, blank=True)

    class Meta(TimeStampedModel.Meta):
        verbose_name = "纸质选票计票"
        verbose_name_plural = "纸质选票计票"
        constraints = [
            models.CheckConstraint(condition=Q(invalid__lte=models.F("ballots")), name="paper_invalid_le_ballots"),
        ]

    def __str__(self) -> str:
        return f"纸质票 {self.ballots} 张"
