"""Rotating data keys and master keys while other sessions keep reading and writing."""

from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner
from keys_support import Person, create_people, key_rows, raw_rows
from sqlalchemy import select

from jimucrm.core.cli import cli
from jimucrm.core.interfaces import IDatabase
from jimucrm.security.keys import RotationError
from jimucrm.security.keys.interfaces import IFieldKeys
from jimucrm.security.keys.ring import key_version
from jimucrm.security.keys.rotation import check_master_keys, rewrap, rotate

ROWS = 23


@pytest.fixture(params=["standard", "national"])
def keyed(request, keyed_registry, national_registry):
    return {"standard": keyed_registry, "national": national_registry}[request.param]


def _session(registry, tenant):
    return registry.getUtility(IDatabase).session(tenant.schema_name)


def _fill(registry, tenant, count: int = ROWS) -> dict[int, str]:
    create_people(registry, tenant.schema_name)
    with _session(registry, tenant) as session, session.begin():
        people = [Person(name=f"客户{n}", phone=f"1380000{n:04d}", id_number=f"ID{n}")
                  for n in range(count)]
        session.add_all(people)
        session.flush()
        return {person.id: person.phone for person in people}


def _versions(registry, tenant) -> set[int]:
    return {key_version(value) for row in raw_rows(registry, tenant.schema_name)
            for value in (row.phone, row.id_number) if value is not None}


def _phones(registry, tenant) -> dict[int, str]:
    with _session(registry, tenant) as session:
        return {person.id: person.phone for person in session.scalars(select(Person))}


def _find(registry, tenant, phone: str) -> list[int]:
    with _session(registry, tenant) as session:
        return list(session.scalars(select(Person.id).where(Person.phone == phone)))


def test_rotation_re_encrypts_everything_while_another_session_reads_and_writes(
        keyed, make_tenant):
    tenant = make_tenant()
    phones = _fill(keyed, tenant)
    last = max(phones)
    assert _versions(keyed, tenant) == {1}
    seen: list[int] = []

    def meanwhile(done: int) -> None:
        """Between two batches: the application goes on, with old and new values mixed."""
        seen.append(done)
        assert _phones(keyed, tenant) == phones
        some = last  # not reached by the rotation yet: its phone moves on, its ID number not
        assert _find(keyed, tenant, phones[some]) == [some]  # old or new index: found
        with _session(keyed, tenant) as session, session.begin():
            added = Person(name="新客户", phone=f"1590000{len(seen):04d}")
            session.add(added)
            session.get(Person, some).phone = phones[some] = f"1870000{len(seen):04d}"
            session.flush()
            phones[added.id] = added.phone
        assert key_version(raw_rows(keyed, tenant.schema_name)[-1].phone) == 2

    report = rotate(keyed.getUtility(IFieldKeys), tenant.schema_name, batch_size=5,
                    drain_seconds=10, on_batch=meanwhile)
    assert report.new_version == 2 and report.retired == [1]
    assert report.reencrypted == ROWS
    assert len(seen) == 5
    assert _versions(keyed, tenant) == {2}
    assert _phones(keyed, tenant) == phones
    for person_id, phone in phones.items():
        assert _find(keyed, tenant, phone) == [person_id]
    assert [(v, status, progress) for v, status, _a, _m, progress
            in key_rows(keyed, tenant.schema_name)] == [(1, "retired", None),
                                                        (2, "active", None)]


def test_rotation_waits_for_a_transaction_that_still_holds_the_old_key(
        keyed_registry, make_tenant):
    tenant = make_tenant()
    phones = _fill(keyed_registry, tenant, 3)
    old = _session(keyed_registry, tenant)
    old.begin()
    old.scalars(select(Person)).all()  # this transaction loaded key version 1
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["report"] = rotate(keyed_registry.getUtility(IFieldKeys),
                                       tenant.schema_name, drain_seconds=30)
        except Exception as exc:  # reported to the test below
            outcome["error"] = exc

    rotation = threading.Thread(target=run)
    rotation.start()
    deadline = time.monotonic() + 10
    while [s for v, s, *_ in key_rows(keyed_registry, tenant.schema_name)] != \
            ["retiring", "active"] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert rotation.is_alive()  # draining: our transaction may still write with version 1
    late = Person(name="迟到", phone="13600000000")
    old.add(late)
    old.commit()
    old.close()
    rotation.join(30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["report"].reencrypted == 4
    assert _versions(keyed_registry, tenant) == {2}
    assert _phones(keyed_registry, tenant) == {**phones, late.id: "13600000000"}


def test_rotation_resumes_after_an_interruption(keyed, make_tenant):
    tenant = make_tenant()
    phones = _fill(keyed, tenant)
    field_keys = keyed.getUtility(IFieldKeys)

    def crash(done: int) -> None:
        raise KeyboardInterrupt  # the operator pressed Ctrl-C after the first batch

    with pytest.raises(KeyboardInterrupt):
        rotate(field_keys, tenant.schema_name, batch_size=10, drain_seconds=10, on_batch=crash)
    rows = key_rows(keyed, tenant.schema_name)
    assert [(v, s) for v, s, *_ in rows] == [(1, "retiring"), (2, "active")]
    assert rows[1].progress == {"keys_test_people": min(phones) + 9}
    assert _phones(keyed, tenant) == phones  # mid-rotation, everything reads
    assert _versions(keyed, tenant) == {1, 2}

    report = rotate(field_keys, tenant.schema_name, batch_size=10, drain_seconds=10)
    assert report.resumed and report.new_version == 2 and report.retired == [1]
    assert report.reencrypted == ROWS - 10
    assert _versions(keyed, tenant) == {2}
    assert _phones(keyed, tenant) == phones


def test_one_rotation_per_tenant_at_a_time(keyed_registry, make_tenant):
    tenant = make_tenant()
    _fill(keyed_registry, tenant, 2)
    field_keys = keyed_registry.getUtility(IFieldKeys)

    def nested(done: int) -> None:
        with pytest.raises(RotationError, match="already running"):
            rotate(field_keys, tenant.schema_name, drain_seconds=1)

    rotate(field_keys, tenant.schema_name, batch_size=1, drain_seconds=10, on_batch=nested)


def test_master_key_rotation_rewraps_without_touching_values(keyed_config, keyed_registry,
                                                             make_tenant):
    tenant = make_tenant()
    phones = _fill(keyed_registry, tenant, 3)
    before = raw_rows(keyed_registry, tenant.schema_name)
    both = keyed_config("test-b", "test-a").registry  # new key first, old one kept
    assert rewrap(both.getUtility(IFieldKeys), tenant.schema_name) == 1
    assert [m for _v, _s, _a, m, _p in key_rows(both, tenant.schema_name)] == ["test-b"]
    assert rewrap(both.getUtility(IFieldKeys), tenant.schema_name) == 0  # idempotent
    assert raw_rows(both, tenant.schema_name) == before
    only_new = keyed_config("test-b").registry
    assert _phones(only_new, tenant) == phones
    check_master_keys(only_new.getUtility(IFieldKeys), [tenant.schema_name])


def _cli(servers, settings, key_file: str, *args: str):
    return CliRunner().invoke(
        cli, ["--database-url", servers.database_url, "--redis-url", servers.redis_url,
              "keys", *args],
        env={"JIMU_SECRET_KEY": settings["jimu.secret_key"], "JIMU_MASTER_KEY_FILE": key_file,
             "JIMU_MASTER_KEY": None, "JIMU_DEFAULT_LOCALE": "en", "COLUMNS": "200"})


def test_command_line(servers, settings, key_file_for, keyed_registry, make_tenant):
    tenant = make_tenant()
    phones = _fill(keyed_registry, tenant, 7)
    key_file = key_file_for("test-a")
    status = _cli(servers, settings, key_file, "status", "--tenant", tenant.slug)
    assert status.exit_code == 0, status.output
    assert tenant.schema_name in status.output and "test-a" in status.output

    rotated = _cli(servers, settings, key_file, "rotate", "--tenant", tenant.slug,
                   "--batch-size", "3")
    assert rotated.exit_code == 0, rotated.output
    assert "data key version 2 active, 7 row(s) re-encrypted, retired: 1" in rotated.output
    assert _versions(keyed_registry, tenant) == {2}
    assert _phones(keyed_registry, tenant) == phones

    wrong = _cli(servers, settings, key_file_for("test-b"), "rotate", "--tenant", tenant.slug)
    assert wrong.exit_code == 2
    [line] = [line for line in wrong.output.splitlines() if line.strip()]
    assert "test-a" in line and "not configured" in line
    assert _versions(keyed_registry, tenant) == {2}

    moved = _cli(servers, settings, key_file_for("test-c", "test-a"), "rewrap",
                 "--tenant", tenant.slug)
    assert moved.exit_code == 0, moved.output
    assert "2 data key(s) now wrapped with master key test-c" in moved.output
    unknown = _cli(servers, settings, key_file, "rotate", "--tenant", "no-such-tenant")
    assert unknown.exit_code == 1 and "No tenant no-such-tenant" in unknown.output
