"""Alembic environment shared by the public and the tenant scopes.

Runs on the connection (and transaction) the caller passes in
``config.attributes``; a tenant scope's revisions see only that tenant's schema
through ``search_path`` and keep their version table inside it.
"""

from alembic import context

from jimucrm.tenants.migrate import VERSION_TABLE, set_search_path

config = context.config
connection = config.attributes["connection"]
schema = config.attributes["schema"]

if config.attributes["scope"] == "tenant":
    set_search_path(connection, [schema])

context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    version_table_schema=schema,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
