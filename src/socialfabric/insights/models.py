"""Insights reports. Their raw material is the activity stream (socialfabric.activity):
the interaction verbs listed in insights.analysis.platform."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Computing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Window(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class Report(models.Model):
    """One insights report on the platform's data: a job while queued or running, then the
    cached result the dashboard shows. Reports are computed by the background worker
    (`socialfabric worker`), never on a page request; ready ones are kept as history."""

    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Empty for the scheduled refresh",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker computing it")
    finished_at = models.DateTimeField(null=True, blank=True)
    # What was asked for: the window of activity, the trend step and the privacy floor.
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True, help_text="Exclusive")
    window = models.CharField(max_length=10, choices=Window.choices, default=Window.MONTH)
    min_group = models.PositiveSmallIntegerField(default=5)
    # Small columns for lists, so that a list never loads the report bodies.
    people = models.PositiveIntegerField(null=True, blank=True)
    interactions = models.PositiveIntegerField(null=True, blank=True)
    stage = models.CharField(max_length=20, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "requested_at"], name="report_status_time"),
        ]

    def __str__(self) -> str:
        return f"Insights report {self.pk} ({self.status})"

    @property
    def pending(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
