"""Encrypted columns against the real database: round trip, tampering, search, start-up."""

from __future__ import annotations

import pytest
from keys_support import Person, create_people, key_rows, raw_rows
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import StatementError
from zope.interface import implementer

from jimucrm.core import configure
from jimucrm.core.interfaces import IDatabase
from jimucrm.security.keys import (
    EncryptedFieldUsage,
    FieldDecryptionError,
    IKeyStore,
    KeysUnavailable,
    MasterKeyError,
    blind_index,
    normalise_compact,
    normalise_text,
)
from jimucrm.security.keys.interfaces import IFieldKeys
from jimucrm.security.keys.ring import HEADER, key_version
from jimucrm.tenants.interfaces import ITenantProvisioner

PHONE = "138 0013 8000"
ID_NUMBER = "11010519491231002x"


@pytest.fixture(params=["standard", "national"])
def keyed(request, keyed_registry, national_registry):
    return {"standard": keyed_registry, "national": national_registry}[request.param]


def _session(registry, tenant):
    return registry.getUtility(IDatabase).session(tenant.schema_name)


def _add(registry, tenant, **values) -> int:
    with _session(registry, tenant) as session, session.begin():
        person = Person(**{"name": "王小明", **values})
        session.add(person)
        session.flush()
        return person.id


def test_normalisers():
    assert normalise_compact(" 138-0013 8000 ") == normalise_compact("１３８（0013）8000") \
        == "13800138000"
    assert normalise_compact("110105 19491231 002x") == "11010519491231002X"
    assert normalise_text("  Wang@Example.CN ") == "wang@example.cn"


def test_round_trip_with_both_providers(keyed, make_tenant):
    tenant = make_tenant()
    create_people(keyed, tenant.schema_name)
    values = {"phone": PHONE, "id_number": ID_NUMBER}
    first = _add(keyed, tenant, **values)
    empty = _add(keyed, tenant, phone="", id_number=None)
    with _session(keyed, tenant) as session:
        assert session.get(Person, first).phone == PHONE
        assert session.get(Person, first).id_number == ID_NUMBER
        assert session.get(Person, empty).phone == ""
        assert session.get(Person, empty).id_number is None
    [[version, status, algorithm, _master, _progress]] = key_rows(keyed, tenant.schema_name)
    assert (version, status) == (1, "active")
    national = keyed.settings["jimu.crypto"] == "national"
    assert algorithm == ("SM4-GCM" if national else "AES-256-GCM")
    row = raw_rows(keyed, tenant.schema_name)[0]
    assert PHONE.encode() not in row.phone and b"13800138000" not in row.phone
    assert HEADER.unpack_from(row.phone) == (1, 2 if national else 1, 1)


def test_the_same_value_encrypts_differently_each_time(keyed_registry, make_tenant):
    tenant = make_tenant()
    create_people(keyed_registry, tenant.schema_name)
    _add(keyed_registry, tenant, phone=PHONE, id_number=PHONE)
    _add(keyed_registry, tenant, phone=PHONE)
    first, second = raw_rows(keyed_registry, tenant.schema_name)
    assert len({first.phone, second.phone, first.id_number}) == 3
    assert first.phone_index == second.phone_index  # what makes the search work


def _raw_update(registry, tenant, sql: str, **params) -> None:
    with registry.getUtility(IDatabase).bind_for(tenant.schema_name).begin() as connection:
        connection.execute(text(sql.replace("{t}", f'"{tenant.schema_name}".keys_test_people')),
                           params)


def test_tampering_and_moved_values_are_detected(keyed, make_tenant):
    tenant = make_tenant()
    create_people(keyed, tenant.schema_name)
    person = _add(keyed, tenant, phone=PHONE, id_number=ID_NUMBER)
    stored = raw_rows(keyed, tenant.schema_name)[0].phone
    flipped = bytearray(stored)
    flipped[-3] ^= 0x01
    _raw_update(keyed, tenant, "UPDATE {t} SET phone = :v", v=bytes(flipped))
    with _session(keyed, tenant) as session, pytest.raises(FieldDecryptionError):
        session.get(Person, person)
    # A valid ciphertext, but of another column: the associated data differs.
    _raw_update(keyed, tenant, "UPDATE {t} SET phone = id_number")
    with _session(keyed, tenant) as session, pytest.raises(FieldDecryptionError):
        session.get(Person, person)
    # A header naming another key version.
    forged = bytearray(raw_rows(keyed, tenant.schema_name)[0].id_number)
    forged[5] = 9
    _raw_update(keyed, tenant, "UPDATE {t} SET phone = NULL, id_number = :v", v=bytes(forged))
    with _session(keyed, tenant) as session, pytest.raises(KeysUnavailable, match="version 9"):
        session.get(Person, person)


def test_a_value_copied_into_another_tenant_does_not_decrypt(keyed_registry, make_tenant):
    first, second = make_tenant("甲"), make_tenant("乙")
    for tenant in (first, second):
        create_people(keyed_registry, tenant.schema_name)
        _add(keyed_registry, tenant, phone="13900000000")
    stolen = raw_rows(keyed_registry, first.schema_name)[0].phone
    _raw_update(keyed_registry, second, "UPDATE {t} SET phone = :v", v=stolen)
    with _session(keyed_registry, second) as session, pytest.raises(FieldDecryptionError):
        session.scalars(select(Person)).all()
    # Blind indexes differ between tenants too: equal values are not linkable.
    assert raw_rows(keyed_registry, first.schema_name)[0].phone_index != \
        raw_rows(keyed_registry, second.schema_name)[0].phone_index


def test_blind_index_search(keyed, make_tenant):
    tenant = make_tenant()
    create_people(keyed, tenant.schema_name)
    wang = _add(keyed, tenant, name="王", phone=PHONE)
    _add(keyed, tenant, name="李", phone="13900001111")
    _add(keyed, tenant, name="赵", phone=None)
    with _session(keyed, tenant) as session:
        def names(where):
            return sorted(session.scalars(select(Person.name).where(where)))

        assert names(Person.phone == "13800138000") == ["王"]
        assert names(Person.phone == "138-0013-8000") == ["王"]  # normalised
        assert names(Person.phone == "13800138001") == []
        assert names(Person.phone != "13800138000") == ["李"]
        assert names(Person.phone.is_(None)) == ["赵"]
        assert session.execute(select(Person).filter_by(phone=PHONE)).scalar_one().id == wang
        expected = blind_index(session, Person.phone, "13800138000")
        assert session.scalars(select(Person.name).where(Person.phone_index == expected)
                               ).all() == ["王"]
    with _session(keyed, tenant) as session, session.begin():
        session.get(Person, wang).phone = "13700000000"  # the ORM recomputes the index
    with _session(keyed, tenant) as session:
        assert names(Person.phone == "13700000000") == ["王"]
        assert names(Person.phone == PHONE) == []


def test_columns_without_index_or_with_other_operators_refuse_searches(keyed_registry):
    with pytest.raises(EncryptedFieldUsage, match="no blind index"):
        Person.id_number == "x"  # noqa: B015
    with pytest.raises(EncryptedFieldUsage, match="only be compared"):
        Person.phone.like("138%")
    with pytest.raises(EncryptedFieldUsage):
        Person.phone == Person.id_number  # noqa: B015


def test_bulk_statements_encrypt_and_leave_the_index_to_the_caller(keyed_registry, make_tenant):
    tenant = make_tenant()
    create_people(keyed_registry, tenant.schema_name)
    with _session(keyed_registry, tenant) as session, session.begin():
        session.execute(insert(Person), [{"name": "批量", "phone": PHONE}])
        session.execute(update(Person).values(
            phone_index=blind_index(session, Person.phone, PHONE)))
    with _session(keyed_registry, tenant) as session:
        assert session.scalars(select(Person.phone).where(Person.phone == PHONE)).one() == PHONE
    assert key_version(raw_rows(keyed_registry, tenant.schema_name)[0].phone) == 1


def test_without_a_master_key_nothing_is_written(keyless_registry, make_tenant,
                                                  keyed_registry):
    """A configuration without a master key: writes fail, never as plaintext."""
    tenant = make_tenant()
    create_people(keyed_registry, tenant.schema_name)
    keys = key_rows(keyless_registry, tenant.schema_name)
    with _session(keyless_registry, tenant) as session, \
            pytest.raises(StatementError) as caught, session.begin():
        session.add(Person(name="明文", id_number=ID_NUMBER))
    assert isinstance(caught.value.orig, KeysUnavailable)
    assert "No master key is configured" in str(caught.value.orig)
    # The blind index needs the key first.
    with _session(keyless_registry, tenant) as session, pytest.raises(KeysUnavailable), \
            session.begin():
        session.add(Person(name="明文", phone=PHONE))
    assert raw_rows(keyless_registry, tenant.schema_name) == []
    assert key_rows(keyless_registry, tenant.schema_name) == keys


def test_public_schema_sessions_cannot_use_encrypted_values(keyed_registry):
    with keyed_registry.getUtility(IDatabase).session() as session, \
            pytest.raises(StatementError) as caught:
        session.execute(select(Person).where(Person.phone == PHONE)).all()
    assert isinstance(caught.value.orig, KeysUnavailable)


def test_provisioning_makes_the_first_data_key(keyed_registry):
    import uuid

    provisioner = keyed_registry.getUtility(ITenantProvisioner)
    tenant, created = provisioner.create(f"keys-{uuid.uuid4().hex[:8]}", "有钥匙的公司")
    assert created
    [[version, status, _algorithm, master_key_id, _progress]] = \
        key_rows(keyed_registry, tenant.schema_name)
    assert (version, status, master_key_id) == (1, "active", "test-a")


def test_wrong_or_missing_master_key_stops_start_up(keyed_registry, keyed_config, settings,
                                                    make_tenant, key_file_for, master_keys):
    tenant = make_tenant()
    create_people(keyed_registry, tenant.schema_name)
    _add(keyed_registry, tenant, phone=PHONE)
    keyed_config().make_wsgi_app()  # the right key: starts

    def start_up_error(config) -> MasterKeyError:
        with pytest.raises(MasterKeyError) as caught:
            config.make_wsgi_app()
        assert "\n" not in str(caught.value)
        return caught.value

    wrong = start_up_error(keyed_config("test-b"))
    assert "test-a" in wrong.message.interpolate() and "is not configured" in \
        wrong.message.interpolate()
    # One line in the deployment's language (zh_CN unless configured otherwise).
    assert str(wrong) == f"封装租户模式 {tenant.schema_name} 数据密钥的主密钥 test-a 未配置；" \
        "请将其加入 jimu.master_key_file 或 JIMU_MASTER_KEY。"
    missing = start_up_error(configure({**settings, "jimu.default_locale": "en",
                                        "jimu.master_key_file": ""}))
    # Installed models have encrypted fields (user_totp.secret): that is said first.
    assert "need a master key" in str(missing) and "user_totp.secret" in str(missing)
    # Same id, other material: the key check value tells.
    config = configure({**settings, "jimu.default_locale": "en",
                        "jimu.master_key_file": key_file_for(
                            raw=f"test-a:{master_keys['test-b']}\n")})
    assert "is not the one that wrapped" in str(start_up_error(config))
    config.registry.getUtility(IDatabase).dispose()


@implementer(IKeyStore)
class FakeKms:
    """An external KMS: keys never leave it, it answers wrap/unwrap calls."""

    active_key_id = "test-kms-1"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._keys: dict[bytes, bytes] = {}

    def key_ids(self):
        return (self.active_key_id,)

    def wrap(self, data_key, context):
        self.calls.append("wrap")
        handle = f"kms-handle-{len(self._keys)}".encode()
        self._keys[handle + context] = data_key
        return self.active_key_id, handle

    def unwrap(self, key_id, wrapped, context):
        self.calls.append("unwrap")
        try:
            return self._keys[bytes(wrapped) + context]
        except KeyError:
            raise KeysUnavailable(FakeKms.__doc__) from None

    def check_value(self, key_id):
        return b"kms-" + key_id.encode()

    def matches(self, key_id, check_value):
        return check_value == self.check_value(key_id)


@pytest.mark.extension_point("jimucrm.security.keys.interfaces.IKeyStore")
def test_a_kms_can_replace_the_key_store(settings, make_tenant, keys_cleanup):
    config = configure(settings)
    kms = FakeKms()
    config.registry.registerUtility(kms, IKeyStore)
    tenant = make_tenant()
    create_people(config.registry, tenant.schema_name)
    person = _add(config.registry, tenant, phone=PHONE)
    assert kms.calls == ["wrap", "unwrap"]
    with _session(config.registry, tenant) as session:
        assert session.get(Person, person).phone == PHONE
    assert kms.calls == ["wrap", "unwrap"]  # unwrapped keys are cached per process
    assert config.registry.getUtility(IFieldKeys).keystore is kms
    with config.registry.getUtility(IDatabase).engine.begin() as connection:
        connection.execute(text(f'DELETE FROM "{tenant.schema_name}".data_keys'))
    config.registry.getUtility(IDatabase).dispose()
