"""HTTP-level protections the foundation already owes: headers, CSRF, no tracebacks."""

import pytest


@pytest.mark.parametrize("path", ["/", "/login", "/contacts/", "/no-such-page", "/static/jimu.css"])
def test_security_headers_on_every_kind_of_page(app, tenant, path):
    response = app.get(tenant.prefix + path, expect_errors=True)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_flags(app, tenant):
    response = app.get(f"{tenant.prefix}/login")
    cookie = response.headers["Set-Cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


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
    form["company"] = "\"><script>alert('x')</script>"
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
