"""Request → tenant routing: by path prefix, by host name, unknown and archived."""

import pytest

from jimucrm.tenants.interfaces import ITenantProvisioner
from jimucrm.tenants.models import Domain


def test_prefix_routes_to_tenant(app, tenant):
    page = app.get(f"{tenant.prefix}/login")
    assert tenant.name in page.text
    # URLs the page generates keep the prefix.
    assert f'action="http://localhost{tenant.prefix}/login"' in page.text


def test_prefix_without_trailing_slash_redirects(app, tenant):
    response = app.get(tenant.prefix, status=302)
    assert response.location == f"http://localhost{tenant.prefix}/"


def test_host_routes_to_tenant(app, tenant):
    page = app.get("/login", extra_environ={"HTTP_HOST": f"{tenant.slug}.jimu.test"})
    assert tenant.name in page.text
    assert f'action="http://{tenant.slug}.jimu.test/login"' in page.text


def test_custom_domain_routes_to_tenant(app, tenant, registry):
    from jimucrm.core.interfaces import IDatabase
    from jimucrm.tenants.models import Tenant

    database = registry.getUtility(IDatabase)
    with database.session() as session, session.begin():
        row = session.query(Tenant).filter_by(slug=tenant.slug).one()
        session.add(Domain(host=f"crm.{tenant.slug}.example.cn", tenant_id=row.id))
    page = app.get("/login", extra_environ={"HTTP_HOST": f"crm.{tenant.slug}.example.cn"})
    assert tenant.name in page.text


def test_unknown_tenant_by_prefix_is_404_page(app):
    page = app.get("/t/no-such-tenant/login", status=404)
    assert "<!DOCTYPE html>" in page.text
    assert "404" in page.text


def test_malformed_slug_in_prefix_is_404(app):
    app.get("/t/Robert'); DROP TABLE tenants;--/", status=404)
    app.get("/t/../../etc/passwd", status=404)


def test_unknown_host_has_no_tenant(app):
    page = app.get("/login", extra_environ={"HTTP_HOST": "nobody.jimu.test"}, status=404)
    assert "404" in page.text


def test_archived_tenant_is_410(app, make_tenant, registry):
    gone = make_tenant("将归档公司")
    registry.getUtility(ITenantProvisioner).archive(gone.slug)
    page = app.get(f"{gone.prefix}/login", status=410)
    assert "410" in page.text
    app.get("/login", extra_environ={"HTTP_HOST": f"{gone.slug}.jimu.test"}, status=410)


def test_root_without_tenant_is_platform_page(app):
    page = app.get("/")
    assert page.status_int == 200
    assert "积木" in page.text or "Jimu" in page.text


def test_static_assets_served_locally(app, tenant):
    css = app.get(f"{tenant.prefix}/static/jimu.css")
    assert css.content_type == "text/css"
    assert "cdn" not in app.get(f"{tenant.prefix}/login").text.lower()


def test_unknown_subdomain_of_base_domain_is_404_not_platform_page(app):
    app.get("/", extra_environ={"HTTP_HOST": "ghost.jimu.test"}, status=404)


@pytest.mark.extension_point("jimucrm.core.interfaces.ITenantDirectory")
def test_tenant_directory_can_be_replaced(settings, tenant):
    """A deployment may resolve tenants its own way, e.g. also under www.<slug>."""
    import webtest

    from jimucrm.core import configure
    from jimucrm.core.interfaces import ITenantDirectory

    config = configure(settings)
    default = config.registry.getUtility(ITenantDirectory)

    class WwwDirectory:
        def by_slug(self, slug):
            return default.by_slug(slug)

        def by_host(self, host):
            return default.by_host(host.removeprefix("www."))

        def invalidate(self):
            default.invalidate()

    config.registry.registerUtility(WwwDirectory(), ITenantDirectory)
    client = webtest.TestApp(config.make_wsgi_app())
    page = client.get("/login", extra_environ={"HTTP_HOST": f"www.{tenant.slug}.jimu.test"})
    assert tenant.name in page.text
