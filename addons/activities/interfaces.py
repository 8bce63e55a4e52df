"""Extension points the activities addon provides."""

from __future__ import annotations

from zope.interface import Interface


class INotificationChannel(Interface):
    """Delivers a notice to a user: a task's reminder, for one.

    The default stores an in-app notification, shown in the user menu and on the
    ``/notifications`` page. An addon overrides it (``overrides`` in its manifest)
    to send by e-mail, SMS, WeCom or DingTalk instead, or as well, by calling the
    default from its own implementation.

    ``deliver`` runs inside the transaction that marks the reminder as sent, once
    per reminder: what it writes through ``session`` commits with that mark, so a
    stored notification is never duplicated. Work outside the database (an HTTP
    call) should be queued as a Celery task or an outbox event rather than done
    inline, so a rolled-back sweep sends nothing.
    """

    def deliver(session, tenant, notice) -> None:
        """Deliver ``notice`` for ``tenant`` (an ITenant) through ``session``, a session
        bound to the tenant's schema.

        ``notice`` has ``user_id`` (the addressee), ``title`` (one line, already in the
        words the user reads), ``body`` (possibly empty) and ``link`` (a path inside the
        tenant such as ``/contacts/5``, or empty); see :class:`.services.Notice`.
        """
