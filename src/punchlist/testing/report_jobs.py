"""Reports built by the worker, for tests: the report jobs waiting run here, in this process, by the same task
on the immediate backend (as the import tests run a queued import; django-tasks' db_worker closes the database
connections it finds, the test's own included, so it runs in a process of its own: see the tests with real
workers), and a report is asked for, built and downloaded as a person does it on the Reports screen."""

from __future__ import annotations

import re

from django.urls import reverse


def run_report_jobs() -> int:
    """Build every report job still waiting, oldest first; how many."""
    from punchlist.web.models import ReportJob
    from punchlist.web.report_jobs import build_report

    waiting = list(ReportJob.objects.filter(state=ReportJob.State.QUEUED).order_by("pk").values_list("pk", flat=True))
    for pk in waiting:
        build_report.using(backend="inline").enqueue(pk)
    return len(waiting)


def download_link(page: str) -> str | None:
    found = re.search(r'href="([^"]+/reports/jobs/\d+/download)"', page)
    return found.group(1) if found else None


def ask_and_download(client, organization, kind: str, fmt: str, data: dict | None = None):
    """POST the Reports screen's form, check that the job's page waits for the worker and polls, run the
    worker, then follow the page's download link; the download's response."""
    asked = client.post(reverse("web:report_ask", args=[organization.slug, kind, fmt]), data or {})
    assert asked.status_code == 302, asked.status_code
    waiting = client.get(asked["Location"]).content.decode()
    assert "Waiting for the worker" in waiting and 'hx-trigger="every 2s"' in waiting, waiting
    assert download_link(waiting) is None
    assert run_report_jobs() == 1
    done = client.get(asked["Location"], headers={"HX-Request": "true"})
    page = done.content.decode()
    assert done.status_code == 200 and "hx-trigger" not in page, page
    link = download_link(page)
    assert link is not None, page
    return client.get(link)


def body(response) -> bytes:
    return b"".join(response.streaming_content)
