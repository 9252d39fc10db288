"""The personal-data part of a member's page: consent and its history, access request, erasure."""

from django import template

from mourafaka.accounts import policy

from ..models import ConsentEvent, ErasureRecord

register = template.Library()


@register.inclusion_tag("trust/_member_personal_data.html", takes_context=True)
def member_personal_data(context, member):
    user = context["request"].user
    erasure = ErasureRecord.objects.filter(member_id=member.pk).select_related("by").first()
    return {
        "member": member,
        "erasure": erasure,
        "consent_events": ConsentEvent.objects.filter(member_id=member.pk).select_related("recorded_by")[:20],
        "can_export": bool(policy.check(user, "trust.export_member_data", member)),
        "can_anonymise": erasure is None and bool(policy.check(user, "trust.anonymise_member", member)),
        "csrf_token": context.get("csrf_token"),
    }
