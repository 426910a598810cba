from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from renda.accounts.client_ip import client_ip
from renda.accounts.forms import LoginForm
from renda.audit.services import audit_record
from renda.core.errors import RendaError, ValidationFailed
from renda.core.ratelimit import Limit, RateLimited, check_rates, over_limit

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
