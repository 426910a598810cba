from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。请注意密码区分大小写；连续失败 5 次将锁定 30 分钟。",
        "inactive": "该账号已停用，请联系系统管理员。",
    }
