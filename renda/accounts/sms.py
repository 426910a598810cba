"""Signing in with a phone and a texted code (短信验证码登录), and resetting a forgotten password
the same way: for deputies and clerks who sign in on a phone and forget passwords.

A code is six digits, lives five minutes, is stored only as a keyed hash, and allows five tries;
a new code replaces the last one. Asking for a code is limited per phone and per address, and the
answer never says whether the phone belongs to an account (the same words either way). Every code
sent, every sign-in and every reset is audited.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from renda.accounts.models import SignInCode, User
from renda.audit.services import audit_record
from renda.core.errors import ValidationFailed
from renda.core.ratelimit import Limit, check_rates
from renda.core.validation import clean_phone, mask_phone
from renda.notify.models import Channel
from renda.notify.services import notify_send

CODE_TTL = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
CODES_PER_PHONE_HOUR = 5
CODES_PER_IP_HOUR = 20
PURPOSES = {"login": "登录", "reset": "重置密码"}
SENT = "如果该手机号已登记为工作人员或代表账号，验证码已发送，5 分钟内有效"
WRONG = "验证码不正确或已过期，请重新获取"


def _hash(user: User, purpose: str, code: str) -> str:
    return salted_hmac("renda.accounts.sms-code", f"{user.pk}|{purpose}|{code}").hexdigest()


def _user_of(phone: str) -> User | None:
    """The one active account with this phone (none when two accounts share it: ask the office)."""
    users = list(User.objects.filter(phone=phone, is_active=True)[:2])
    return users[0] if len(users) == 1 else None


def code_send(*, phone: str, purpose: str, client_ip: str) -> str:
    """Text a code to the phone if it is an account's; the same answer either way."""
    if purpose not in PURPOSES:
        raise ValidationFailed("用途无效", field="purpose")
    phone = clean_phone(phone, label="手机号", field="phone", required=True)
    check_rates(
        [
            Limit("sms-code-ip", client_ip, CODES_PER_IP_HOUR, 3600, "获取验证码过于频繁，请一小时后再试"),
            Limit("sms-code-phone", phone, CODES_PER_PHONE_HOUR, 3600, "该手机号获取验证码次数过多，请一小时后再试"),
        ]
    )
    user = _user_of(phone)
    if user is None:
        return SENT
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        SignInCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
        SignInCode.objects.create(
            user=user, purpose=purpose, code_hash=_hash(user, purpose, code), expires_at=now + CODE_TTL
        )
        notify_send(
            channel=Channel.SMS,
            to_address=phone,
            body=f"验证码 {code}，5 分钟内有效，用于{PURPOSES[purpose]}基层人大工作平台。如非本人操作请忽略。",
        )
        audit_record(
            actor=f"{mask_phone(phone)}（{client_ip or '未知地址'}）",
            action="account.sms_code",
            target=user,
            target_label=user.username,
            after={"purpose": purpose},
        )
    return SENT


def code_check(*, phone: str, code: str, purpose: str) -> User:
    """The account whose phone received ``code`` for ``purpose``; the code is used up."""
    phone = clean_phone(phone, label="手机号", field="phone", required=True)
    code = str(code).strip()
    user = _user_of(phone)
    row = (
        SignInCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-id")
        .first()
        if user is not None
        else None
    )
    if user is None or row is None or row.attempts >= MAX_ATTEMPTS:
        raise ValidationFailed(WRONG, field="code")
    if not (len(code) == 6 and code.isdigit() and constant_time_compare(_hash(user, purpose, code), row.code_hash)):
        SignInCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        raise ValidationFailed(WRONG, field="code")
    if not SignInCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()):
        raise ValidationFailed(WRONG, field="code")  # two tabs raced with one code: only one wins
    return user
