"""The `jimu` command as an operator meets it: one readable line on error."""

import os
import subprocess
import sys


def _jimu(*args, env=None):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JIMU_")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "jimucrm.core.cli", *args], env=environ,
                          capture_output=True, text=True, timeout=120)


def test_malformed_setting_stops_with_one_line(servers):
    result = _jimu("--database-url", "mysql://root@localhost/jimu", "--redis-url",
                   servers.redis_url, "tenant", "list", env={"JIMU_SECRET_KEY": "k" * 40})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == ["jimu: error: setting JIMU_DATABASE_URL is malformed: "
                     "expected a postgresql:// URL"]


def test_missing_secret_with_external_servers_is_named(servers):
    result = _jimu("--database-url", servers.database_url, "--redis-url", servers.redis_url,
                   "tenant", "list")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "jimu: error: setting jimu.secret_key is missing "
        "(set it in the ini file or as JIMU_SECRET_KEY)"]


def test_help_lists_commands_from_every_package():
    result = _jimu("--help")
    assert result.returncode == 0
    for command in ("serve", "worker", "health", "tenant", "db"):
        assert command in result.stdout


def test_unknown_tenant_archive_fails_readably(servers):
    result = _jimu("--database-url", servers.database_url, "--redis-url", servers.redis_url,
                   "tenant", "archive", "no-such-tenant", env={"JIMU_SECRET_KEY": "k" * 40})
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no-such-tenant" in result.stderr
