"""Slug validation: the one input schema names are built from."""

import pytest

from jimucrm.tenants.slugs import InvalidSlug, schema_for, validate_slug


@pytest.mark.parametrize("slug", ["acme", "acme-2", "a1b", "shanghai-yunfan-trade", "x" * 40])
def test_good_slugs(slug):
    assert validate_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "ab", "Acme", "1acme", "-acme", "acme-", "ac--me",
                                  "ac_me", "ac me", "ac.me", "x" * 41, "admin", "public",
                                  "static", "t", "租户", "acme\n", None, 42])
def test_bad_slugs(slug):
    with pytest.raises(InvalidSlug):
        validate_slug(slug)


def test_schema_name():
    assert schema_for("acme-2") == "t_acme_2"
    with pytest.raises(InvalidSlug):
        schema_for("Robert'); DROP SCHEMA public; --")
