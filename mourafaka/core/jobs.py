"""Long work in the background with progress that pages can show.

A feature defines a task with `@task` (Django Tasks API) that takes a job id, and starts it with
`start_job`. The task reports progress with `report_progress` and finishes with `finish_job`.
The database queue (django-tasks-db) needs no broker; tests run tasks immediately.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from .models import Job


def start_job(*, task, kind: str, label: str, owner, parameters: dict | None = None) -> Job:
    job = Job.objects.create(kind=kind, label=label, owner=owner, parameters=parameters or {})
    transaction.on_commit(lambda: task.enqueue(job.pk))
    return job


def report_progress(job_id: int, *, done: int, total: int | None = None, message: str = "") -> None:
    fields = {"progress_done": done, "status": Job.Status.RUNNING}
    if total is not None:
        fields["progress_total"] = total
    if message:
        fields["message"] = message
    Job.objects.filter(pk=job_id).update(**fields)


def finish_job(job_id: int, *, result: dict | None = None, message: str = "", failed: bool = False) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.FAILED if failed else Job.Status.DONE,
        result=result or {},
        message=message,
        finished_at=timezone.now(),
    )


def run_job(job_id: int, work: Callable[[Job], dict]) -> dict:
    """Run `work(job)`; record its result, or the failure, on the job."""
    job = Job.objects.get(pk=job_id)
    Job.objects.filter(pk=job_id).update(status=Job.Status.RUNNING)
    try:
        result = work(job)
    except Exception as error:
        finish_job(job_id, message=str(error), failed=True)
        raise
    finish_job(job_id, result=result)
    return result
