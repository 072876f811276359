"""Coach notifier: email each coach, once, about apprentices newly Red this week.

Entry points for the weekly DAG:

* `notify_from_settings(week_start)` - warehouse chosen by `Settings.from_env()`.
* `notify_newly_red(week_start, source=..., alert_log=..., smtp_conn_id=...)`.

Both return a `NotifySummary` and raise `NotifyError` when some coach could not
be emailed (a retry then sends only the missing ones).
"""

from pipeline_health.notifier.alert_log import AlertLog, BigQueryAlertLog, DuckDBAlertLog
from pipeline_health.notifier.compose import compose_coach_email, dashboard_url
from pipeline_health.notifier.factory import build_from_settings, notify_from_settings
from pipeline_health.notifier.models import CoachAlert, RedApprentice, SentAlert
from pipeline_health.notifier.send import (
    CoachFailure,
    CoachWithoutEmail,
    NotifyError,
    NotifySummary,
    notify_newly_red,
)
from pipeline_health.notifier.source import (
    BigQueryNewlyRedSource,
    DuckDBNewlyRedSource,
    NewlyRedSource,
    SourceError,
)

__all__ = [
    "AlertLog",
    "BigQueryAlertLog",
    "BigQueryNewlyRedSource",
    "CoachAlert",
    "CoachFailure",
    "CoachWithoutEmail",
    "DuckDBAlertLog",
    "DuckDBNewlyRedSource",
    "NewlyRedSource",
    "NotifyError",
    "NotifySummary",
    "RedApprentice",
    "SentAlert",
    "SourceError",
    "build_from_settings",
    "compose_coach_email",
    "dashboard_url",
    "notify_from_settings",
    "notify_newly_red",
]
