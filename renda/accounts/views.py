from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from renda.accounts.client_ip import client_ip
from renda.accounts.forms import LoginForm
from renda.core.ratelimit import Limit, RateLimited, check_rates, over_limit

SPRAYED = "本机登录失败次数过多，请一小时后再试；如忘记密码请联系系统管理员"


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
