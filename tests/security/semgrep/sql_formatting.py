# semgrep-fixture-path: addons/reports/views.py
# SQL text built by formatting and executed, and the safe ways to write the same.
import psycopg
import sqlalchemy
from psycopg import sql
from sqlalchemy import select, text


def unsafe(connection, session, cursor, name, table, ids):
    # ruleid: jimu-sql-string-formatting
    session.execute(text(f"SELECT * FROM contacts WHERE name = '{name}'"))
    # ruleid: jimu-sql-string-formatting
    connection.exec_driver_sql("DELETE FROM %s" % table)
    # ruleid: jimu-sql-string-formatting
    cursor.execute("SELECT * FROM contacts WHERE id IN ({})".format(ids))
    # ruleid: jimu-sql-string-formatting
    connection.execute(sqlalchemy.text("SELECT * FROM " + table))
    query = f"UPDATE contacts SET name = '{name}'"
    # ruleid: jimu-sql-string-formatting
    session.execute(text(query))
    # ruleid: jimu-sql-string-formatting
    cursor.executemany(f"INSERT INTO {table} VALUES (%s)", [(1,), (2,)])
    # ruleid: jimu-sql-string-formatting
    cursor.execute(sql.SQL(f"SELECT * FROM {table}"))
    # ruleid: jimu-sql-string-formatting
    statement = text("SELECT name FROM contacts WHERE city = '" + name + "'")
    # Reported above, where the string became SQL text.
    # ok: jimu-sql-string-formatting
    return session.execute(statement)


def safe(connection, session, cursor, name, table, contact):
    # ok: jimu-sql-string-formatting
    session.execute(text("SELECT * FROM contacts WHERE name = :name"), {"name": name})
    # ok: jimu-sql-string-formatting
    session.execute(text("SELECT * FROM contacts WHERE name LIKE :p"), {"p": f"{name}%"})
    # ok: jimu-sql-string-formatting
    session.execute(select(contact).where(contact.name == name))
    # ok: jimu-sql-string-formatting
    cursor.execute("SELECT * FROM contacts WHERE id = %s", (name,))
    # ok: jimu-sql-string-formatting
    cursor.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
    # ok: jimu-sql-string-formatting
    connection.execute(text(f"SELECT 1"))  # noqa: F541 - no interpolation, still constant
    # ok: jimu-sql-string-formatting
    connection.execute(text("SELECT 1 " "FROM contacts"))
    quoted = connection.dialect.identifier_preparer.quote_schema(table)
    # A reviewed exception, the reason beside the rule id (on the line or the one before).
    # ok: jimu-sql-string-formatting
    connection.execute(text("SET LOCAL search_path TO " + quoted))  # nosemgrep: jimu-sql-string-formatting - quoted
    # ok: jimu-sql-string-formatting
    # nosemgrep: jimu-sql-string-formatting - the identifier went through the dialect's quoting
    connection.execute(text("SET LOCAL search_path TO " + quoted))
    return psycopg
