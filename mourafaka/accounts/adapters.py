from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by the office: nobody signs up on their own."""

    def is_open_for_signup(self, request):
        return False


def axes_username(request, credentials) -> str:
    """The login name axes counts failures against: the email typed, in lower case."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        value = request.POST.get("login") or request.POST.get("email") or request.POST.get("username")
    return (value or "").strip().lower()
