"""Daily seals: signed with Ed25519 (standard) or SM2 (national); tampering is found."""

import stat
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from audit_support import tampering
from click.testing import CliRunner
from sqlalchemy import select, text

from jimucrm.core.cli import cli
from jimucrm.core.interfaces import ICryptoProvider, IDatabase
from jimucrm.security.audit.models import AuditEntry, AuditSeal
from jimucrm.security.audit.seal import (
    AuditKeyError,
    SealError,
    last_sealable_day,
    load_key,
    seal_schema,
    verify_schema,
)
from jimucrm.security.audit.tasks import seal_audit_logs
from jimucrm.security.crypto import provider_for

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
    # The task uses the deployment's provider and key: what it sealed verifies.
    provider = registry.getUtility(ICryptoProvider)
    key = load_key(tmp_path / "audit.pem", provider)
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
