"""What the benchmarks that serve pages share: the configured app, users made as the
test suite's ``make_user`` makes them, and a login through the real form.

Imported as ``_app``, like ``_servers``: the scripts' own folder is first on
``sys.path``.
"""

from __future__ import annotations

import webtest
from sqlalchemy import select

from jimucrm.core import configure
from jimucrm.core.interfaces import ICryptoProvider, IDatabase
from jimucrm.security.models import User
from jimucrm.security.rbac.models import Role, UserRole
from jimucrm.tenants.upgrade import upgrade_public

PASSWORD = "correct-horse-电池-staple"


class BenchApp:
    """The configured app (public schema upgraded), its database and its WSGI app."""

    def __init__(self, settings: dict[str, str]) -> None:
        self.config = configure(settings)
        self.registry = self.config.registry
        upgrade_public(self.registry)
        self.database = self.registry.getUtility(IDatabase)
        self.wsgi = self.config.make_wsgi_app()
        self._password_hash: str | None = None

    def client(self) -> webtest.TestApp:
        # No lint middleware: it would add its own cost to every request measured.
        return webtest.TestApp(self.wsgi, extra_environ={"HTTP_HOST": "localhost"}, lint=False)

    def add_user(self, schema: str, slug: str, username: str, *, is_admin: bool = False,
                 roles: tuple[str, ...] = ()) -> int:
        """As tests/conftest.py's make_user: a user whose password is :data:`PASSWORD`
        (a real Argon2 hash, made once per app: hashing is not what is measured) with the
        system roles named in ``roles``; its id."""
        if self._password_hash is None:
            self._password_hash = self.registry.getUtility(ICryptoProvider).hash_password(
                PASSWORD)
        with self.database.session(schema) as session, session.begin():
            user = User(username=username, email=f"{username}@{slug}.example.cn",
                        display_name=f"{username} 用户", password_hash=self._password_hash,
                        is_admin=is_admin, is_active=True)
            session.add(user)
            session.flush()
            for role in session.scalars(select(Role).where(Role.key.in_(roles))):
                session.add(UserRole(user_id=user.id, role_id=role.id))
            return user.id

    def logged_in(self, slug: str, username: str) -> webtest.TestApp:
        """A client logged in through the real form (CSRF token included), as a browser
        would be."""
        client = self.client()
        form = client.get(f"/t/{slug}/login").forms["login-form"]
        form["login"] = username
        form["password"] = PASSWORD
        form.submit(status=303).follow(status=200)
        return client
