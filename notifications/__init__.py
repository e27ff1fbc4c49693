"""bevaka notifications: e-mail reminder digests with a durable SQLite outbox.

One digest per address per run (Swedish, text + HTML), case references only; a message in
which a personnummer is found is ``blocked`` and never sent. Importing this package registers
the ``outbox``, ``notified`` and ``notification_log`` tables with ``facts.store.open_db``.

Public API::

    from facts import open_db
    from notifications import notify, queue_digests, send_pending, write_dry_run

    db = open_db(config.db_path)
    result = notify(db, config, evaluation.findings, evaluation.as_of, evaluation.run_id)
    print(result.to_dict())          # {'dry_run': False, 'queue': {...}, 'send': {...}, ...}
    send_pending(db, config)         # the scheduler's retry of pending mail
"""

from notifications import outbox as _outbox  # noqa: F401  (registers the migrations)
from notifications.delivery import retry_failed
from notifications.privacy import PersonalDataError, assert_no_personal_data, find_personnummer
from notifications.select import Level, Unaddressed, reminder_level, select_reminders
from notifications.service import (
    NotifyResult,
    QueueResult,
    SendResult,
    notify,
    outbox_counts,
    queue_digests,
    send_pending,
    write_dry_run,
)
from notifications.transport import DeliveryError, SmtpSetupError

__all__ = [
    "DeliveryError",
    "Level",
    "NotifyResult",
    "PersonalDataError",
    "QueueResult",
    "SendResult",
    "SmtpSetupError",
    "Unaddressed",
    "assert_no_personal_data",
    "find_personnummer",
    "notify",
    "outbox_counts",
    "queue_digests",
    "reminder_level",
    "retry_failed",
    "select_reminders",
    "send_pending",
    "write_dry_run",
]
