"""Daily seals: signed with Ed25519 (standard) or SM2 (national); tampering is found."""

import secrets
import stat
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from audit_support import tampering
from click.testing import CliRunner
from sqlalchemy import select, text
from zope.interface.registry import Components

from jimucrm.core.cli import cli
from jimucrm.core.interfaces import ICryptoProvider, IDatabase
from jimucrm.security.audit.models import AuditEntry, AuditSeal
from jimucrm.security.audit.seal import (
    AuditKeyError,
    SealError,
    last_sealable_day,
    load_key,
    seal_all,
    seal_schema,
    verify_schema,
)
from jimucrm.security.audit.tasks import seal_audit_logs
from jimucrm.security.crypto import provider_for
from jimucrm.security.keys.algorithms import Providers
from jimucrm.security.keys.interfaces import IKeyStore
from jimucrm.security.keys.keystore import MasterKey, MasterKeyStore

PROVIDERS = ["standard", "national"]


@pytest.fixture(scope="module")
def providers():
    return {name: provider_for(name, pbkdf2_iterations=1000) for name in PROVIDERS}


def _history(registry, tenant, *days_ago, per_day=2) -> dict[int, list[int]]:
    """Entries dated ``days_ago`` (noon UTC); return their ids per day offset."""
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    ids = {}
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        for offset in days_ago:
            rows = [AuditEntry(occurred_at=today - timedelta(days=offset, minutes=i),
                               action="update", username=f"用户{offset}", model="contacts",
                               record_id=str(i), changes={"金额": {"before": 1.5, "after": i}},
                               details={"note": "x" * i}) for i in range(per_day)]
            session.add_all(rows)
            session.flush()
            ids[offset] = [row.id for row in rows]
    return ids


def _seal(registry, tenant, provider, key, **kw):
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        return seal_schema(session, tenant.schema_name, provider, key, **kw)


def _verify(registry, tenant, provider, key, **kw):
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        return verify_schema(session, tenant.schema_name, provider, key, **kw)


@pytest.fixture(params=PROVIDERS)
def sealed(request, registry, make_tenant, providers, tmp_path):
    """A tenant with entries three and two days ago and today, sealed through yesterday."""
    provider = providers[request.param]
    key = load_key(tmp_path / "audit.pem", provider, create=True)
    tenant = make_tenant()
    ids = _history(registry, tenant, 3, 2, 0)
    days = _seal(registry, tenant, provider, key)
    assert days[0] == (datetime.now(UTC) - timedelta(days=3)).date()
    assert days[-1] == last_sealable_day()
    return tenant, provider, key, ids


def test_a_sealed_log_verifies_and_today_is_left_for_tomorrow(registry, sealed):
    tenant, provider, key, ids = sealed
    report = _verify(registry, tenant, provider, key)
    assert report.problem is None
    assert report.rows == 4 and report.unsealed_rows == 2
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session:
        seals = list(session.scalars(select(AuditSeal).order_by(AuditSeal.day)))
    assert [seal.provider for seal in seals] == [provider.name] * len(seals)
    assert seals[1].previous_digest == seals[0].digest
    assert provider.verify(key.public_pem, seals[0].digest, seals[0].signature)
    # Sealing again finds nothing new; today cannot be sealed before it ends.
    assert _seal(registry, tenant, provider, key) == []
    with pytest.raises(SealError):
        _seal(registry, tenant, provider, key, through=datetime.now(UTC).date())


def test_an_altered_row_is_named(registry, sealed):
    tenant, provider, key, ids = sealed
    with tampering(registry, tenant) as connection:
        connection.execute(text("UPDATE audit_log SET username = 'x' "
                                "WHERE id = :id"), {"id": ids[2][1]})
    problem = _verify(registry, tenant, provider, key).problem
    assert problem.row_id == ids[2][1]
    assert problem.day == (datetime.now(UTC) - timedelta(days=2)).date()
    assert "altered" in problem.message


def test_a_deleted_row_is_named(registry, sealed):
    tenant, provider, key, ids = sealed
    with tampering(registry, tenant) as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = :id"),
                           {"id": ids[3][0]})
    problem = _verify(registry, tenant, provider, key).problem
    assert problem.row_id == ids[3][0] and "deleted" in problem.message


def test_rows_slipped_into_a_sealed_day_or_before_the_first_are_found(registry, sealed):
    tenant, provider, key, ids = sealed
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        late = AuditEntry(occurred_at=two_days_ago, action="login", username="ghost")
        session.add(late)
    problem = _verify(registry, tenant, provider, key).problem
    assert problem.row_id == late.id and "added after" in problem.message

    with registry.getUtility(IDatabase).session(tenant.schema_name) as session, \
            session.begin():
        early = AuditEntry(occurred_at=two_days_ago - timedelta(days=30), action="login")
        session.add(early)
    problem = _verify(registry, tenant, provider, key).problem
    assert problem.row_id == early.id and "before the first sealed day" in problem.message


def test_an_edited_or_removed_seal_is_found(registry, sealed):
    tenant, provider, key, ids = sealed
    day = (datetime.now(UTC) - timedelta(days=2)).date()
    with tampering(registry, tenant, "audit_seals") as connection:
        connection.execute(text("UPDATE audit_seals "
                                "SET digest = sha256(digest) WHERE day = :day"), {"day": day})
    problem = _verify(registry, tenant, provider, key).problem
    assert problem.day == day and "altered" in problem.message

    with tampering(registry, tenant, "audit_seals") as connection:
        connection.execute(text("DELETE FROM audit_seals "
                                "WHERE day = :day"), {"day": day})
    problem = _verify(registry, tenant, provider, key).problem
    assert problem.day == day and "missing" in problem.message


def test_a_day_resealed_with_another_key_is_refused(registry, sealed, tmp_path):
    tenant, provider, key, ids = sealed
    forged = load_key(tmp_path / "forged.pem", provider, create=True)
    with tampering(registry, tenant, "audit_seals", "audit_log") as connection:
        connection.execute(text("DELETE FROM audit_seals"))
        connection.execute(text("UPDATE audit_log SET username = 'x' "
                                "WHERE id = :id"), {"id": ids[3][0]})
    _seal(registry, tenant, provider, forged)
    assert _verify(registry, tenant, provider, forged).problem is None  # with its own key
    problem = _verify(registry, tenant, provider, key).problem
    assert "another key" in problem.message
    # Forging the key id too leaves the signature check.
    with tampering(registry, tenant, "audit_seals") as connection:
        connection.execute(text("UPDATE audit_seals SET key_id = :id"),
                           {"id": key.key_id})
    assert "signature" in _verify(registry, tenant, provider, key).problem.message


def test_verify_from_a_day_checks_the_link_to_the_day_before(registry, sealed):
    tenant, provider, key, ids = sealed
    since = (datetime.now(UTC) - timedelta(days=2)).date()
    report = _verify(registry, tenant, provider, key, since=since)
    assert report.problem is None and report.rows == 2
    with tampering(registry, tenant) as connection:
        connection.execute(text("UPDATE audit_log SET username = 'x' "
                                "WHERE id = :id"), {"id": ids[3][0]})
    assert _verify(registry, tenant, provider, key, since=since).problem is None
    assert _verify(registry, tenant, provider, key).problem.row_id == ids[3][0]


def test_keys_are_private_files_of_one_provider(providers, tmp_path):
    path = tmp_path / "keys" / "audit.pem"
    key = load_key(path, providers["standard"], create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path, providers["standard"]).key_id == key.key_id
    with pytest.raises(AuditKeyError):
        load_key(path, providers["national"])
    path.chmod(0o644)
    with pytest.raises(AuditKeyError):
        load_key(path, providers["standard"])
    with pytest.raises(AuditKeyError):
        load_key(tmp_path / "missing.pem", providers["standard"])
    public = tmp_path / "public.pem"
    public.write_bytes(key.public_pem)
    assert load_key(public, providers["standard"], private=False).key_id == key.key_id


def test_the_celery_task_seals_every_tenant(registry, make_tenant, tmp_path, monkeypatch):
    monkeypatch.setitem(registry.settings, "jimu.audit_key_file", str(tmp_path / "audit.pem"))
    first, second = make_tenant(), make_tenant()
    _history(registry, first, 2)
    _history(registry, second, 4)
    done = seal_audit_logs.run(SimpleNamespace(registry=registry))
    assert len(done[first.schema_name]) >= 1 and len(done[second.schema_name]) >= 3
    # The task uses the deployment's provider and keys: what it sealed verifies.
    provider = registry.getUtility(ICryptoProvider)
    key = load_key(tmp_path / "audit.pem", provider, keystore=registry.queryUtility(IKeyStore))
    assert _verify(registry, second, provider, key).problem is None


@pytest.mark.parametrize("crypto", PROVIDERS)
def test_the_commands_seal_verify_and_name_the_tampered_day_and_row(
        crypto, registry, make_tenant, servers, settings, tmp_path):
    tenant = make_tenant()
    ids = _history(registry, tenant, 2, 1, 0)
    key_file = tmp_path / "audit.pem"

    def run(*args):
        return CliRunner().invoke(
            cli, ["--database-url", servers.database_url, "--redis-url", servers.redis_url,
                  "audit", *args],
            env={"JIMU_SECRET_KEY": settings["jimu.secret_key"], "JIMU_CRYPTO": crypto,
                 "JIMU_CRYPTO_PBKDF2_ITERATIONS": "1000", "JIMU_AUDIT_KEY_FILE": str(key_file),
                 "JIMU_DEFAULT_LOCALE": "en"})

    sealed = run("seal", "--tenant", tenant.slug)
    assert sealed.exit_code == 0, sealed.output + sealed.stderr
    assert tenant.schema_name in sealed.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    verified = run("verify", "--tenant", tenant.slug)
    assert verified.exit_code == 0, verified.output + verified.stderr
    assert "4 row(s) verified" in verified.output

    public = run("public-key")
    assert public.exit_code == 0 and "BEGIN PUBLIC KEY" in public.stdout
    public_file = tmp_path / "public.pem"
    public_file.write_text(public.stdout)
    assert run("verify", "--tenant", tenant.slug, "--public-key", str(public_file)
               ).exit_code == 0

    with tampering(registry, tenant) as connection:
        connection.execute(text("UPDATE audit_log "
                                "SET changes = '{}' WHERE id = :id"), {"id": ids[1][0]})
    tampered = run("verify", "--tenant", tenant.slug)
    assert tampered.exit_code == 1
    day = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert f"Row {ids[1][0]} of {day} was altered" in tampered.stderr
    assert tenant.schema_name in tampered.stderr

    wrong = run("verify", "--tenant", "no-such-tenant")
    assert wrong.exit_code == 1 and "no-such-tenant" in wrong.stderr


# -- the private key wrapped by the master key ----------------------------------------------

def _keystore(provider, *key_ids):
    """A master key store with fresh keys under ``key_ids`` (the first active)."""
    return MasterKeyStore([MasterKey(key_id, secrets.token_bytes(32)) for key_id in key_ids],
                          Providers(provider))


def _private_lines(key):
    return [line for line in key.private_pem.splitlines() if b"-----" not in line]


@pytest.mark.parametrize("crypto", PROVIDERS)
def test_a_new_key_is_wrapped_by_the_master_key(crypto, providers, tmp_path):
    provider, path = providers[crypto], tmp_path / "audit.pem"
    keystore = _keystore(provider, "audit-a")
    key = load_key(path, provider, create=True, keystore=keystore)
    stored = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" not in stored and b"Master-Key: audit-a" in stored
    assert not any(line in stored for line in _private_lines(key))
    again = load_key(path, provider, keystore=keystore)
    assert again.key_id == key.key_id and again.private_pem == key.private_pem
    assert provider.verify(key.public_pem, b"x", provider.sign(again.private_pem, b"x"))
    assert path.read_bytes() == stored  # already wrapped by the active key: left alone
    # Auditors and verify need only the public key, hence no master key.
    assert load_key(path, provider, private=False).key_id == key.key_id
    with pytest.raises(AuditKeyError, match="no master key is configured"):
        load_key(path, provider)
    with pytest.raises(AuditKeyError, match="could not be unwrapped") as refused:
        load_key(path, provider, keystore=_keystore(provider, "audit-b"))
    assert refused.value.message.mapping["key_id"] == "audit-a"


def test_a_wrapped_key_is_bound_to_its_public_key(providers, tmp_path):
    provider = providers["standard"]
    keystore = _keystore(provider, "audit-a")
    first = tmp_path / "first.pem"
    second = tmp_path / "second.pem"
    load_key(first, provider, create=True, keystore=keystore)
    other = load_key(second, provider, create=True, keystore=keystore)
    # The first file's wrapped private key beside the second file's public key.
    wrapped = first.read_bytes().split(b"-----BEGIN PUBLIC KEY-----")[0]
    second.write_bytes(wrapped + other.public_pem)
    with pytest.raises(AuditKeyError, match="could not be unwrapped"):
        load_key(second, provider, keystore=keystore)
    damaged = first.read_bytes().replace(b"Master-Key: audit-a", b"Master-Key:")
    first.write_bytes(damaged)
    with pytest.raises(AuditKeyError, match="damaged"):
        load_key(first, provider, keystore=keystore)


@pytest.mark.parametrize("crypto", PROVIDERS)
def test_a_plain_key_file_is_read_and_rewritten_wrapped(crypto, registry, make_tenant,
                                                        providers, tmp_path):
    provider, path = providers[crypto], tmp_path / "audit.pem"
    plain = load_key(path, provider, create=True)  # as written before wrapping existed
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    tenant = make_tenant()
    _history(registry, tenant, 3)
    _seal(registry, tenant, provider, plain, through=last_sealable_day() - timedelta(days=2))
    old_master, new_master = secrets.token_bytes(32), secrets.token_bytes(32)
    keystore = MasterKeyStore([MasterKey("audit-a", old_master)], Providers(provider))
    migrated = load_key(path, provider, keystore=keystore)
    assert (migrated.key_id, migrated.private_pem) == (plain.key_id, plain.private_pem)
    stored = path.read_bytes()
    assert b"BEGIN PRIVATE KEY" not in stored and b"Master-Key: audit-a" in stored
    assert not any(line in stored for line in _private_lines(plain))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["audit.pem"]  # no temporary file left
    # The same key goes on sealing, and everything verifies.
    _seal(registry, tenant, provider, migrated)
    assert _verify(registry, tenant, provider, migrated).problem is None
    # A master-key rotation: the new active key takes over the next time it is loaded.
    rotated = MasterKeyStore([MasterKey("audit-b", new_master), MasterKey("audit-a", old_master)],
                             Providers(provider))
    assert load_key(path, provider, keystore=rotated).key_id == plain.key_id
    assert b"Master-Key: audit-b" in path.read_bytes()
    only_new = MasterKeyStore([MasterKey("audit-b", new_master)], Providers(provider))
    assert load_key(path, provider, keystore=only_new).private_pem == plain.private_pem


def test_sealing_wraps_the_key_with_the_deployments_master_key(registry, make_tenant,
                                                               tmp_path):
    provider = registry.getUtility(ICryptoProvider)
    keystore = _keystore(provider, "audit-deployment")
    deployment = Components("audit-seal-test", bases=(registry,))
    deployment.registerUtility(keystore, IKeyStore)
    tenant = make_tenant()
    _history(registry, tenant, 2)
    path = tmp_path / "audit.pem"
    assert seal_all(deployment, path, [tenant.schema_name])[tenant.schema_name]
    assert b"Master-Key: audit-deployment" in path.read_bytes()
    assert b"BEGIN PRIVATE KEY" not in path.read_bytes()
    key = load_key(path, provider, keystore=keystore)
    assert _verify(registry, tenant, provider, key).problem is None
