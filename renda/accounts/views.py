from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from renda.accounts import selectors, services
from renda.accounts.client_ip import client_ip
from renda.accounts.forms import LoginForm
from renda.audit.services import audit_record
from renda.core.errors import Conflict, RendaError, ValidationFailed
from renda.core.paging import paginate
from renda.core.ratelimit import Limit, RateLimited, check_rates, over_limit
from renda.core.scoping import Perm, scope_for_user

SPRAYED = "本机登录失败次数过多，请一小时后再试；如忘记密码，可用手机验证码重置"


def _failures(request: HttpRequest) -> Limit:
    """Failed sign-ins from one address, whatever the usernames (password spraying); django-axes
    locks one username at one address after a few failures, this the address across usernames."""
    return Limit("login-fail-ip", client_ip(request), int(settings.LOGIN_FAILURES_PER_IP_HOUR), 3600, SPRAYED)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if over_limit(_failures(request)):  # refused before any password is tried
            # An unbound form carrying the refusal: nothing is authenticated, no password tried.
            form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")[:150]})
            form.cleaned_data = {}
            form.add_error(None, SPRAYED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        try:
            check_rates([_failures(self.request)])
        except RateLimited as exc:
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    pass


def _safe_next(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


@require_http_methods(["GET", "POST"])
def sms_login(request: HttpRequest) -> HttpResponse:
    """短信验证码登录: the phone, then the six digits texted to it."""
    from renda.accounts import sms

    context: dict[str, Any] = {"phone": request.POST.get("phone", "")[:20], "next": _safe_next(request)}
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("step") == "verify":
                user = sms.code_check(phone=context["phone"], code=request.POST.get("code", "")[:10], purpose="login")
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                audit_record(actor=user, action="account.sms_login", target=user, target_label=user.username)
                return redirect(context["next"])
            context["sent"] = sms.code_send(phone=context["phone"], purpose="login", client_ip=client_ip(request))
        except RendaError as exc:
            context["error"], status = exc.message, exc.status_code
            context["sent"] = request.POST.get("step") == "verify"
    return render(request, "accounts/sms_login.html", context, status=status)


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """忘记密码: a code texted to the account's phone, then a new password (the lockout lifts)."""
    from axes.utils import reset as axes_reset
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError as DjangoValidationError

    from renda.accounts import sms

    context: dict[str, Any] = {"phone": request.POST.get("phone", "")[:20]}
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("step") != "reset":
                context["sent"] = sms.code_send(phone=context["phone"], purpose="reset", client_ip=client_ip(request))
                return render(request, "accounts/password_reset.html", context)
            context["sent"] = True
            first, second = request.POST.get("password1", ""), request.POST.get("password2", "")
            if not first or first != second:
                raise ValidationFailed("两次输入的新密码不一致", field="password2")
            try:
                validate_password(first)
            except DjangoValidationError as exc:
                raise ValidationFailed("；".join(exc.messages), field="password1") from None
            user = sms.code_check(phone=context["phone"], code=request.POST.get("code", "")[:10], purpose="reset")
            try:
                validate_password(first, user)
            except DjangoValidationError as exc:
                raise ValidationFailed("；".join(exc.messages) + "（请重新获取验证码）", field="password1") from None
            with transaction.atomic():
                user.set_password(first)
                user.save(update_fields=["password"])
                audit_record(actor=user, action="account.password_reset", target=user, target_label=user.username)
            axes_reset(username=user.username)
            messages.success(request, "密码已重置，请用新密码登录")
            return redirect("accounts:login")
        except RendaError as exc:
            context["error"], status = exc.message, exc.status_code
    return render(request, "accounts/password_reset.html", context, status=status)


# ------------------------------------------------------------------ API 令牌

ISSUE_FORMS = "api_token_forms"  # session: the issue forms shown and not yet used (a replay is refused)
ISSUE_FORMS_KEPT = 10
ISSUE_FORM_SPENT = "该签发表单已提交过或已过期，未签发新令牌；请刷新页面后重新填写"


def _token_form(request: HttpRequest) -> str:
    once = secrets.token_urlsafe(16)
    request.session[ISSUE_FORMS] = [*request.session.get(ISSUE_FORMS, [])[-(ISSUE_FORMS_KEPT - 1) :], once]
    return once


def _token_form_used(request: HttpRequest) -> None:
    """Spend the form's one-time field, or refuse (409): a re-sent POST issues no second token."""
    once = str(request.POST.get("once", ""))[:64]
    shown = request.session.get(ISSUE_FORMS, [])
    if not once or once not in shown:
        raise Conflict(ISSUE_FORM_SPENT)
    request.session[ISSUE_FORMS] = [f for f in shown if f != once]


def _tokens_page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    scope = scope_for_user(request.user)
    page, querystring = paginate(request, selectors.api_tokens(scope=scope))
    context = {"page": page, "querystring": querystring, "all_users": scope.has(Perm.ADMIN), **context}
    context["once"] = _token_form(request)
    response = render(request, "accounts/tokens.html", context, status=status)
    add_never_cache_headers(response)  # the raw token is on this page once: never from a cache
    return response


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """API 令牌: issue one for oneself (the raw token is shown on this answer only), list, revoke."""
    if request.method != "POST":
        return _tokens_page(request, {})
    scope = scope_for_user(request.user)
    name = str(request.POST.get("name", ""))[:200]
    try:
        _token_form_used(request)
        token, raw = services.api_token_create(scope=scope, user=request.user, name=name)  # type: ignore[arg-type]
    except RendaError as exc:
        if exc.status_code in (403, 404):
            raise
        return _tokens_page(request, {"error": exc.message, "name": name}, status=exc.status_code)
    return _tokens_page(request, {"issued": token, "raw": raw})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for_user(request.user)
    token = selectors.api_token_get(scope=scope, pk=pk)
    try:
        services.api_token_revoke(scope=scope, token=token)
    except RendaError as exc:
        if exc.status_code in (403, 404):
            raise
        return _tokens_page(request, {"error": exc.message}, status=exc.status_code)
    messages.success(request, f"已吊销令牌 {token.prefix}…（{token.name}），使用它的请求将被拒绝")
    return redirect("accounts:tokens")
