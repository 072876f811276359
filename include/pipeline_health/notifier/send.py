"""Email each coach about their newly Red apprentices, once.

Order per coach: compose, send, and as soon as the mail server accepts the
message, write its row to the sent-alerts log. The log is consulted first, so
an Airflow retry or a manual re-run sends only what was not accepted before.

Failure policy, chosen so a retry sends only the unsent and nobody twice:

* A coach's send fails (recipient refused, 4xx/5xx on DATA, connection lost):
  record the failure, reopen the SMTP session, and go on with the other
  coaches, then raise `NotifyError` at the end. One bad address must not
  delay everyone else's alert until a human fixes it; the log keeps the retry
  from repeating the coaches that did go out.
* The SMTP session cannot be (re)opened: stop at once and raise. Every further
  coach would fail the same way; nothing was sent that is not logged.
* The log write fails after the server accepted a message: stop at once and
  raise. That coach would be emailed again by a retry; going on would add more
  such coaches.

The one case that can duplicate is a connection lost after the server took the
message but before its "250" reached us: we cannot know it was delivered, and
we prefer a rare duplicate to a coach never told (at-least-once).
"""

from __future__ import annotations

import json
import logging
import smtplib
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from pipeline_health.config import ALERT_FROM_ENV, ConfigError, alert_from
from pipeline_health.notifier.alert_log import AlertLog
from pipeline_health.notifier.compose import compose_coach_email
from pipeline_health.notifier.models import CoachAlert, SentAlert, check_week_start
from pipeline_health.notifier.source import NewlyRedSource

log = logging.getLogger(__name__)

DEFAULT_SMTP_CONN_ID = "smtp_default"


@dataclass(frozen=True)
class CoachWithoutEmail:
    coach_id: str
    apprentice_ids: tuple[str, ...]


@dataclass(frozen=True)
class CoachFailure:
    coach_id: str
    apprentice_ids: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class NotifySummary:
    week_start_date: date
    coaches_notified: tuple[str, ...]
    apprentices_notified: int
    skipped_already_sent: tuple[str, ...]  # coaches whose apprentices were all emailed before
    coaches_without_email: tuple[CoachWithoutEmail, ...]
    failures: tuple[CoachFailure, ...]
    not_attempted: tuple[str, ...] = ()  # coaches left when the run stopped early

    @property
    def ok(self) -> bool:
        return not self.failures and not self.not_attempted

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly (for XCom): ids and counts only, no names."""
        out = asdict(self)
        out["week_start_date"] = self.week_start_date.isoformat()
        # Lists rather than tuples, so the dict round-trips through JSON unchanged.
        return json.loads(json.dumps(out))


class NotifyError(RuntimeError):
    """Some coaches were not emailed; those that were are logged, so a retry is safe."""

    def __init__(self, message: str, summary: NotifySummary):
        super().__init__(message)
        self.summary = summary


def _hook_class() -> type:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    class AlertSmtpHook(SmtpHook):
        """SmtpHook that can send a prebuilt MIME message.

        `send_email_smtp` (provider 3.2.0) builds its own HTML-only
        multipart/mixed message and re-sends on any error on the same session,
        so it can neither carry our text/plain alternative nor avoid a repeat.
        Connection handling (SSL, STARTTLS, login, OAuth2) stays the hook's.
        """

        def send_prebuilt(self, msg: EmailMessage) -> None:
            client = self._smtp_client  # the hook exposes no public accessor
            if client is None:
                raise smtplib.SMTPServerDisconnected("SMTP session is not open")
            # Raises if the only recipient is refused; returns {} when accepted.
            client.send_message(msg)

    return AlertSmtpHook


class _Mailer:
    """One SMTP session reused across coaches and reopened after a failed send."""

    def __init__(self, smtp_conn_id: str):
        self.smtp_conn_id = smtp_conn_id
        self._hook: Any = None

    def server(self) -> str:
        """`host:port` of the connection, for error messages; never its login or password."""
        try:
            from airflow.sdk import BaseHook

            conn = BaseHook.get_connection(self.smtp_conn_id)
        except Exception as exc:  # the message must still be written
            return f"(connection {self.smtp_conn_id!r} not readable: {type(exc).__name__})"
        # The hook's client falls back to smtplib's default port for its SSL mode.
        ssl = not conn.extra_dejson.get("disable_ssl", False)
        port = conn.port or (smtplib.SMTP_SSL_PORT if ssl else smtplib.SMTP_PORT)
        return f"{conn.host or 'localhost'}:{port} (connection {self.smtp_conn_id!r})"

    def open(self) -> Any:
        if self._hook is None:
            self._hook = _hook_class()(smtp_conn_id=self.smtp_conn_id).get_conn()
        return self._hook

    def sender(self) -> str:
        configured = alert_from()
        sender = configured or (self.open().from_email or "").strip()
        if "@" not in parseaddr(sender)[1]:
            raise ConfigError(
                f"no sender address: set {ALERT_FROM_ENV} or the 'from_email' extra of "
                f"connection {self.smtp_conn_id!r}"
            )
        return sender

    def send(self, msg: EmailMessage) -> None:
        self.open().send_prebuilt(msg)

    def close(self) -> None:
        hook, self._hook = self._hook, None
        if hook is not None:
            try:
                hook.__exit__(None, None, None)
            except Exception:  # the session may already be gone; nothing to save
                pass


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    detail = f"{code} {text}".strip() if code else str(exc)
    return f"{type(exc).__name__}: {detail}"[:300]


def notify_newly_red(
    week_start: date,
    *,
    source: NewlyRedSource,
    alert_log: AlertLog,
    smtp_conn_id: str = DEFAULT_SMTP_CONN_ID,
    dashboard_base_url: str | None = None,
) -> NotifySummary:
    """Email every coach about apprentices newly Red in the week starting `week_start` (a Monday).

    Idempotent per (week, coach, apprentice): apprentices already in the log for
    this week and coach are never emailed again. Raises `NotifyError` (carrying the
    summary) if any coach could not be emailed; coaches without an address are
    reported in the summary but do not fail the run.
    """
    check_week_start(week_start)
    alerts = source.newly_red_by_coach(week_start)
    alert_log.ensure()
    already = alert_log.notified(week_start)

    skipped: list[str] = []
    no_email: list[CoachWithoutEmail] = []
    to_send: list[CoachAlert] = []
    for alert in alerts:
        done = already.get(alert.coach_id, frozenset())
        pending = alert.only(i for i in alert.apprentice_ids if i not in done)
        if not pending.apprentices:
            log.info(
                "coach %s already notified for week %s; skipping", alert.coach_id, week_start
            )
            skipped.append(alert.coach_id)
            continue
        if done:
            # The mart changed after this coach's email (e.g. a late rebuild):
            # send the newcomers only, so nobody is told twice and nobody skipped.
            log.info(
                "coach %s: %d newly Red apprentice(s) not in this week's earlier alert; "
                "sending a follow-up",
                alert.coach_id,
                len(pending.apprentices),
            )
        if pending.coach_email is None:
            log.warning(
                "coach %s has no email address; %d newly Red apprentices not notified",
                alert.coach_id,
                len(pending.apprentices),
            )
            no_email.append(CoachWithoutEmail(alert.coach_id, pending.apprentice_ids))
            continue
        to_send.append(pending)

    notified: list[str] = []
    apprentices_notified = 0
    failures: list[CoachFailure] = []

    def summary(not_attempted: tuple[str, ...] = ()) -> NotifySummary:
        return NotifySummary(
            week_start_date=week_start,
            coaches_notified=tuple(notified),
            apprentices_notified=apprentices_notified,
            skipped_already_sent=tuple(skipped),
            coaches_without_email=tuple(no_email),
            failures=tuple(failures),
            not_attempted=not_attempted,
        )

    mailer = _Mailer(smtp_conn_id)

    def incomplete(problem: str, rest: tuple[str, ...]) -> NotifyError:
        """The task's error: the server, the first failure with its reply, everyone not emailed."""
        failed = [f.coach_id for f in failures]
        first = (f"first failure: coach {failures[0].coach_id}: {failures[0].error}. "
                 if failures else "")
        return NotifyError(
            f"coach alerts for week {week_start} incomplete, SMTP server {mailer.server()}: "
            f"{problem}. {first}Not emailed: {', '.join(failed + list(rest)) or 'none'} "
            f"(failed: {', '.join(failed) or 'none'}; not attempted: {', '.join(rest) or 'none'}). "
            f"Sent emails are logged; a retry sends only the missing ones.",
            summary(rest),
        )

    try:
        try:
            sender = mailer.sender() if to_send else ""
        except ConfigError:
            raise  # no sender address: a retry cannot fix it
        except Exception as exc:  # refused, unreachable, TLS or login failure: may heal
            raise incomplete(f"no session could be opened ({_describe(exc)})",
                             tuple(a.coach_id for a in to_send)) from exc
        for index, alert in enumerate(to_send):
            msg = compose_coach_email(
                alert, week_start, sender=sender, dashboard_base_url=dashboard_base_url
            )
            try:
                mailer.send(msg)
            except (smtplib.SMTPException, OSError) as exc:
                error = _describe(exc)
                log.error("sending to coach %s failed: %s", alert.coach_id, error)
                failures.append(CoachFailure(alert.coach_id, alert.apprentice_ids, error))
                mailer.close()
                if index + 1 < len(to_send):
                    try:
                        mailer.open()
                    except Exception as reopen_exc:
                        rest = tuple(a.coach_id for a in to_send[index + 1 :])
                        raise incomplete(f"the session could not be reopened "
                                         f"({_describe(reopen_exc)})", rest) from reopen_exc
                continue
            sent = SentAlert(
                week_start_date=week_start,
                coach_id=alert.coach_id,
                apprentice_ids=alert.apprentice_ids,
                recipient=alert.coach_email or "",
                message_id=str(msg["Message-ID"]),
                sent_at=datetime.now(UTC),
            )
            try:
                alert_log.record(sent)
            except Exception as exc:
                rest = tuple(a.coach_id for a in to_send[index + 1 :])
                raise NotifyError(
                    f"email to coach {alert.coach_id} was accepted (Message-ID "
                    f"{sent.message_id}) but could not be logged; a retry will email this "
                    f"coach again. Stopped; not attempted: {', '.join(rest) or 'none'}",
                    summary(rest),
                ) from exc
            notified.append(alert.coach_id)
            apprentices_notified += len(alert.apprentices)
            log.info(
                "coach %s notified of %d newly Red apprentice(s): %s",
                alert.coach_id,
                len(alert.apprentices),
                ",".join(alert.apprentice_ids),
            )
    finally:
        mailer.close()

    result = summary()
    log.info(
        "week %s: %d coach(es) notified (%d apprentices), %d already notified, "
        "%d without email, %d failed",
        week_start,
        len(result.coaches_notified),
        result.apprentices_notified,
        len(result.skipped_already_sent),
        len(result.coaches_without_email),
        len(result.failures),
    )
    if result.failures:
        raise incomplete(f"{len(result.failures)} send(s) failed", ())
    return result
