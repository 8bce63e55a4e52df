# semgrep-fixture-path: tests/functional/test_databases.py
# Tests create throwaway databases from names they generate: out of the rule's scope.
import uuid


def test_create(connection):
    name = f"jimu_test_{uuid.uuid4().hex[:10]}"
    # ok: jimu-sql-string-formatting
    connection.execute(f'CREATE DATABASE "{name}"')
