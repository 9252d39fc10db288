from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from .models import Assignment


@login_required
def my_account(request):
    """Role, scope and security settings of the signed-in person."""
    user = request.user
    context = {
        "assignments": Assignment.objects.filter(user=user, active=True)
        .select_related("cooperative")
        .count(),
        "has_token": Token.objects.filter(user=user).exists(),
        "new_token": request.session.pop("new_api_token", None),
    }
    return render(request, "accounts/my_account.html", context)


@login_required
@require_POST
@transaction.atomic
def renew_api_token(request):
    """Create the person's API token, or replace it (the old one stops working at once)."""
    Token.objects.filter(user=request.user).delete()
    token = Token.objects.create(user=request.user)
    request.session["new_api_token"] = token.key
    messages.success(request, _("Your new API token is shown once below. Keep it secret."))
    return redirect("my_account")
