"""HTTP hardening: headers on every page, the proxy's scheme, cookies, CSRF, size limits,
escaping and error pages."""

import pytest

PASSWORD = "correct-horse-电池-staple"  # tests/conftest.py's


@pytest.mark.parametrize("path", ["/", "/login", "/contacts/", "/no-such-page", "/static/jimu.css"])
def test_security_headers_on_every_kind_of_page(app, tenant, path):
    response = app.get(tenant.prefix + path, expect_errors=True)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert_security_headers(response)


def test_session_cookie_flags(app, tenant):
    response = app.get(f"{tenant.prefix}/login")
    cookie = response.headers["Set-Cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "; secure" not in cookie  # plain http, no trusted proxy: see below


def test_login_post_without_csrf_token_is_refused(app, tenant, make_user):
    make_user(tenant, "nocsrf")
    app.get(f"{tenant.prefix}/login")
    app.post(f"{tenant.prefix}/login",
             {"login": "nocsrf", "password": "correct-horse-电池-staple"}, status=400)
    app.get(f"{tenant.prefix}/", status=302)  # still not logged in


def test_form_post_with_wrong_csrf_token_is_refused(logged_in, tenant):
    logged_in.post(f"{tenant.prefix}/contacts/new",
                   {"name": "伪造", "csrf_token": "forged"}, status=400)
    assert "伪造" not in logged_in.get(f"{tenant.prefix}/contacts/").text


def test_output_is_escaped(logged_in, tenant):
    form = logged_in.get(f"{tenant.prefix}/contacts/new").forms["contact-form"]
    form["name"] = '<img src=x onerror="alert(1)">'
    form["title"] = "\"><script>alert('x')</script>"
    detail = form.submit().follow()
    assert "<img src=x" not in detail.text
    assert "<script>alert('x')</script>" not in detail.text
    assert "&lt;img src=x" in detail.text
    listing = logged_in.get(f"{tenant.prefix}/contacts/")
    assert "<script>alert('x')</script>" not in listing.text


def test_sql_metacharacters_in_search_are_harmless(logged_in, tenant):
    for term in ("'", "%", "_", "\\", "'; DROP TABLE contacts; --", "王%' OR '1'='1"):
        page = logged_in.get(f"{tenant.prefix}/contacts/", {"q": term})
        assert page.status_int == 200
    assert logged_in.get(f"{tenant.prefix}/contacts/").status_int == 200


def test_error_page_shows_no_traceback(settings, tenant):
    """An unhandled error renders the 500 page, never a traceback."""
    import webtest
    from pyramid.security import NO_PERMISSION_REQUIRED

    from jimucrm.core import configure

    config = configure(settings)
    config.add_route("explode_for_test", "/explode-for-test")
    config.add_view(lambda request: 1 / 0, route_name="explode_for_test",
                    permission=NO_PERMISSION_REQUIRED)
    client = webtest.TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    page = client.get(f"{tenant.prefix}/explode-for-test", status=500)
    assert "ZeroDivisionError" not in page.text
    assert "Traceback" not in page.text
    assert "500" in page.text


# -- headers on every page -------------------------------------------------------------

def assert_security_headers(response, *, https: bool = False) -> None:
    request = getattr(response, "request", None)
    where = f"{request.method} {request.path_qs} ({response.status})" if request else \
        response.status
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "object-src 'none'", "base-uri 'self'", "form-action 'self'",
                      "frame-ancestors 'none'"):
        assert directive in csp, f"{where}: CSP lacks {directive}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), where
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
    hsts = response.headers.get("Strict-Transport-Security")
    if https:
        assert hsts and "max-age=" in hsts and "includeSubDomains" in hsts, where
        # The app is HSTS's one owner (deploy/nginx/jimu.conf leaves it out).
        assert len(response.headers.getall("Strict-Transport-Security")) == 1, where
    else:
        assert hsts is None, f"{where}: HSTS over plain http"


def test_headers_on_every_page_reachable_from_the_menu(app, tenant, make_user, login, sweep):
    crawl = sweep.crawl
    anonymous = crawl(app, tenant.prefix, ("/", "/login", "/no-such-page"))
    login(app, tenant, make_user(tenant, "headeradmin", is_admin=True)).follow()
    pages = crawl(app, tenant.prefix, ("/", "/no-such-page", "/contacts/999999",
                                       "/static/jimu.css", "/static/favicon.svg"))
    assert len(pages) >= 5
    for response in (*anonymous.values(), *pages.values()):
        assert_security_headers(response)
    html = [r for r in pages.values() if "html" in r.content_type]
    assert all(r.headers["Cache-Control"] == "no-store" for r in html)
    static = pages[f"{tenant.prefix}/static/jimu.css"]
    assert "max-age" in static.headers["Cache-Control"]


def test_headers_on_platform_pages_and_unknown_tenants(app):
    for path in ("/", "/t/no-such-tenant/", "/t/BAD!/"):
        assert_security_headers(app.get(path, status="*"))


# -- behind a TLS-terminating proxy ----------------------------------------------------

def _client(wsgi_app, **environ):
    import webtest

    return webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost", **environ})


def _session_cookie(response) -> str:
    for value in response.headers.getall("Set-Cookie"):
        if value.startswith("jimu_session="):
            return value
    raise AssertionError("no session cookie set")


def test_https_from_a_trusted_proxy_is_applied_to_the_request(wsgi_app, tenant):
    client = _client(wsgi_app, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    page = client.get(f"{tenant.prefix}/login")
    assert_security_headers(page, https=True)
    assert f'action="https://localhost{tenant.prefix}/login"' in page.text  # route_url
    cookie = _session_cookie(page).lower()
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    redirect = client.get(f"{tenant.prefix}/contacts/", status=302)
    assert redirect.location.startswith(f"https://localhost{tenant.prefix}/login")
    assert_security_headers(redirect, https=True)
    # An IPv6 loopback proxy, and one in a configured network, count as well.
    assert_security_headers(_client(wsgi_app, REMOTE_ADDR="::1",
                                    HTTP_X_FORWARDED_PROTO="https").get("/"), https=True)


def test_forwarded_proto_from_an_untrusted_peer_is_ignored(wsgi_app, tenant):
    for peer in ("203.0.113.7", "10.0.0.5", "", "not-an-ip"):
        client = _client(wsgi_app, REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https")
        page = client.get(f"{tenant.prefix}/login")
        assert_security_headers(page, https=False)
        assert "; secure" not in _session_cookie(page).lower()
        assert f'action="http://localhost{tenant.prefix}/login"' in page.text


def test_plain_http_has_no_hsts_and_no_secure_cookie(app, tenant):
    page = app.get(f"{tenant.prefix}/login")
    assert_security_headers(page, https=False)
    assert "; secure" not in _session_cookie(page).lower()


def test_csrf_origin_is_checked_behind_the_proxy(wsgi_app, tenant, make_user):
    """Pyramid checks Origin only on https: the forwarded scheme switches it on."""
    make_user(tenant, "origin")
    client = _client(wsgi_app, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    page = client.get(f"{tenant.prefix}/login")
    cookie = _session_cookie(page).split(";", 1)[0]
    token = page.forms["login-form"]["csrf_token"].value
    fields = {"csrf_token": token, "login": "origin", "password": PASSWORD}
    for origin in ("https://evil.example.com", "http://localhost", "null"):
        client.post(f"{tenant.prefix}/login", fields, status=400,
                    headers={"Cookie": cookie, "Origin": origin})
    client.post(f"{tenant.prefix}/login", fields, status=400, headers={"Cookie": cookie})
    done = client.post(f"{tenant.prefix}/login", fields, status=303,
                       headers={"Cookie": cookie, "Origin": "https://localhost"})
    assert done.location.startswith("https://localhost/")


def test_secure_cookies_setting_marks_cookies_secure_on_http(settings, tenant):
    from jimucrm.core import configure

    client = _client(configure({**settings, "jimu.secure_cookies": "true"}).make_wsgi_app())
    assert "; secure" in _session_cookie(client.get(f"{tenant.prefix}/login")).lower()
    locale = client.get(f"{tenant.prefix}/locale/en", status=302)
    cookie = locale.headers["Set-Cookie"].lower()
    assert "_locale_=en" in cookie and "secure" in cookie and "httponly" in cookie


def test_trusted_proxies_setting(settings):
    from jimucrm.core import ConfigurationError, configure

    with pytest.raises(ConfigurationError, match="jimu.trusted_proxies"):
        configure({**settings, "jimu.trusted_proxies": "127.0.0.1 not-a-network"})


def test_forwarded_headers_unit():
    from jimucrm.security.http import parse_networks
    from jimucrm.security.http.proxy import apply_forwarded

    networks = parse_networks(["127.0.0.0/8", "::1", "10.1.0.0/16"])

    def run(**environ):
        environ = {"wsgi.url_scheme": "http", "SERVER_PORT": "80", **environ}
        apply_forwarded(environ, networks)
        return environ

    proxied = run(REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_PROTO="https",
                  HTTP_X_FORWARDED_FOR="198.51.100.20", HTTP_HOST="crm.example.cn")
    assert proxied["wsgi.url_scheme"] == "https" and proxied["SERVER_PORT"] == "443"
    assert proxied["REMOTE_ADDR"] == "198.51.100.20"
    assert proxied["jimu.proxy_addr"] == "10.1.2.3"
    # A client-supplied X-Forwarded-For left of the proxies does not win.
    chain = run(REMOTE_ADDR="127.0.0.1",
                HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20, 10.1.9.9")
    assert chain["REMOTE_ADDR"] == "198.51.100.20"
    # Garbage in the chain: nothing further left is believed.
    assert run(REMOTE_ADDR="127.0.0.1",
               HTTP_X_FORWARDED_FOR="1.2.3.4, junk")["REMOTE_ADDR"] == "127.0.0.1"
    # The nearest proxy's value counts.
    assert run(REMOTE_ADDR="127.0.0.1",
               HTTP_X_FORWARDED_PROTO="https, http")["wsgi.url_scheme"] == "http"
    untrusted = run(REMOTE_ADDR="198.51.100.20", HTTP_X_FORWARDED_PROTO="https",
                    HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert untrusted["wsgi.url_scheme"] == "http"
    assert untrusted["REMOTE_ADDR"] == "198.51.100.20"
    # Only http and https are schemes.
    assert run(REMOTE_ADDR="127.0.0.1",
               HTTP_X_FORWARDED_PROTO="javascript")["wsgi.url_scheme"] == "http"


def test_cookie_flags_unit():
    from jimucrm.security.http.cookies import harden

    assert harden("a=1; Path=/", secure=True) == "a=1; Path=/; HttpOnly; SameSite=Lax; Secure"
    assert harden("a=1; Path=/; SameSite=Strict; httponly", secure=False) == \
        "a=1; Path=/; SameSite=Strict; httponly"


# -- request size ----------------------------------------------------------------------

class _Exploding:
    """A request body that fails the test if anybody reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


class _Counting:
    def __init__(self, size: int) -> None:
        import io

        self._data = io.BytesIO(b"x=" + b"a" * size)
        self.delivered = 0

    def read(self, size=-1):
        chunk = self._data.read(size)
        self.delivered += len(chunk)
        return chunk

    def readline(self, size=-1):
        chunk = self._data.readline(size)
        self.delivered += len(chunk)
        return chunk


def _call(wsgi_app, path: str, **environ):
    from webob import Request

    request = Request.blank(path, environ={"REQUEST_METHOD": "POST", "HTTP_HOST": "localhost",
                                           "CONTENT_TYPE": "application/x-www-form-urlencoded",
                                           **environ})
    if environ.get("CONTENT_LENGTH") is None:
        request.environ.pop("CONTENT_LENGTH", None)
    return request.get_response(wsgi_app)


def test_declared_oversized_body_is_refused_unread(wsgi_app, registry, tenant):
    limit = registry.settings["jimu.max_request_bytes"]
    assert limit == 10 * 1024 * 1024
    response = _call(wsgi_app, f"{tenant.prefix}/login", CONTENT_LENGTH=str(limit + 1),
                     **{"wsgi.input": _Exploding()})
    assert response.status_int == 413
    assert "413" in response.text and "甲公司" in response.text  # the tenant's error page
    assert_security_headers(response)
    # Exactly at the limit is allowed through (then refused for its missing CSRF token).
    import io

    at_limit = _call(wsgi_app, f"{tenant.prefix}/login", CONTENT_LENGTH=str(limit),
                     **{"wsgi.input": io.BytesIO(b"x=" + b"a" * (limit - 2))})
    assert at_limit.status_int == 400


def test_chunked_body_is_cut_at_the_limit(settings, tenant):
    from jimucrm.core import configure

    small = configure({**settings, "jimu.max_request_bytes": "4096"}).make_wsgi_app()
    body = _Counting(1_000_000)
    response = _call(small, f"{tenant.prefix}/login", HTTP_TRANSFER_ENCODING="chunked",
                     **{"wsgi.input": body, "wsgi.input_terminated": True})
    assert response.status_int == 413
    assert body.delivered <= 4096 + 1
    fine = _Counting(100)
    assert _call(small, f"{tenant.prefix}/login", HTTP_TRANSFER_ENCODING="chunked",
                 **{"wsgi.input": fine, "wsgi.input_terminated": True}).status_int == 400


def test_production_error_pages_have_no_debug_machinery():
    """No debug toolbar, no tracebacks: the ini files switch nothing of the kind on."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for ini in (root / "deploy").glob("*.ini"):
        text = ini.read_text(encoding="utf-8")
        assert "debugtoolbar" not in text, ini.name
        assert "expose_tracebacks = true" not in text.replace("True", "true"), ini.name


def test_refusals_render_the_full_error_page_for_logged_in_users(logged_in, wsgi_app, tenant):
    """Refused before routing, the error page still has its menu and user (a context)."""
    cookie = "jimu_session=" + logged_in.cookies["jimu_session"]
    too_large = _call(wsgi_app, f"{tenant.prefix}/contacts/new", HTTP_COOKIE=cookie,
                      CONTENT_LENGTH=str(11 * 1024 * 1024), **{"wsgi.input": _Exploding()})
    assert too_large.status_int == 413 and "staff 用户" in too_large.text
    bad = logged_in.get(f"{tenant.prefix}/contacts/?q=%ff", status=400)
    assert "staff 用户" in bad.text
    assert_security_headers(bad)
