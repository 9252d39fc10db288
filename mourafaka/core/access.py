from django.shortcuts import get_object_or_404

from .models import Job


def get_job_for_user(user, pk: int) -> Job:
    """A job is seen only by the person who started it (404 for anybody else)."""
    return get_object_or_404(Job, pk=pk, owner=user)
