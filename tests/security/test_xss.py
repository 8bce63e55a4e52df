"""XSS sweep: payloads through every field of every form the app renders.

Forms are discovered by crawling what an administrator reaches from the menu (and what
an anonymous visitor reaches: the login form). Each form is submitted once with every
field (hidden ones included) carrying a payload — the response must show it inert —
and once per visible field with only that field carrying one and plausible values
elsewhere, so that valid records get stored. Then every page is crawled again and no
payload may have become live markup anywhere. Each payload has its own marker, so a
failure names the form and field it came through.
"""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import webtest

_markers = itertools.count()


def _submit(app: webtest.TestApp, form: webtest.Form, prefix: str) -> webtest.TestResponse:
    response = form.submit(expect_errors=True)
    if response.status_int in (301, 302, 303) and \
            urlsplit(response.location).path.startswith(prefix):
        response = response.follow(status="*")
    return response


def _sweep_forms(app, prefix, pages, sweep, seen_markers):
    """Submit the payloads; return {marker: where it went in}."""
    origin = {}
    for page_url, form_id, form in sweep.forms_on(pages):
        if urlsplit(form.action or "").path.endswith("/logout"):
            continue  # ends the session the sweep runs in (its CSRF is tested elsewhere)

        def fresh(page_url=page_url, form_id=form_id):
            page = app.get(page_url, status="*")
            page = page.follow() if page.status_int in (301, 302, 303) else page
            return page.forms[form_id] if form_id in page.forms else \
                page.forms[int(form_id)]

        # 1. Everything at once, hidden fields too: reflected output must be inert.
        target = fresh()
        names = sweep.text_fields(target)
        marker = f"jx{next(_markers)}"
        for name in names:
            target[name] = sweep.xss_payload(marker)
        origin[marker] = f"{page_url} #{form_id} (all fields)"
        response = _submit(app, target, prefix)
        assert not sweep.xss_findings(response.text, [marker]), (origin[marker],
                                                                 response.request.path)
        # 2. One visible field at a time, the others valid: stored output must be inert.
        for name in sweep.text_fields(target, hidden=False):
            marker = f"jx{next(_markers)}"
            origin[marker] = f"{page_url} #{form_id} field {name}"
            for suffix in ("", "@example.cn"):
                target = fresh()
                for other in sweep.text_fields(target, hidden=False):
                    target[other] = sweep.plausible_value(other, target)
                target[name] = sweep.xss_payload(marker) + suffix
                response = _submit(app, target, prefix)
                assert not sweep.xss_findings(response.text, [marker]), origin[marker]
                if response.status_int < 400:
                    break
    seen_markers.update(origin)
    return origin


def test_xss_payloads_through_every_form_are_escaped_everywhere(app, wsgi_app, tenant,
                                                                 make_user, login, sweep):
    markers: dict[str, str] = {}
    anonymous = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    _sweep_forms(anonymous, tenant.prefix,
                 sweep.crawl(anonymous, tenant.prefix, ("/", "/login")), sweep, markers)
    login(app, tenant, make_user(tenant, "xssadmin", is_admin=True)).follow()
    pages = sweep.crawl(app, tenant.prefix, ("/",))
    forms = list(sweep.forms_on(pages))
    assert {form.id for *_, form in forms} >= {"contact-form"}, "form discovery found too little"
    stored = _sweep_forms(app, tenant.prefix, pages, sweep, markers)
    assert len(stored) >= 8
    # Every page, again: lists, details, the home panel, the settings.
    after = sweep.crawl(app, tenant.prefix, ("/",))
    assert len(after) > len(pages)  # the stored records have pages of their own now
    leaks = {url: sweep.xss_findings(response.text, markers)
             for url, response in after.items() if "html" in response.content_type}
    leaks = {url: found for url, found in leaks.items() if found}
    assert not leaks, {url: [(f, [markers[m] for m in markers if m in f]) for f in found]
                       for url, found in leaks.items()}
    # The payloads did arrive (escaped): the sweep is not vacuous.
    listing = app.get(f"{tenant.prefix}/contacts/").text
    assert "&lt;script&gt;" in listing or "&lt;img" in listing


def test_the_checker_sees_live_markup(sweep):
    """xss_findings flags what an unescaped payload becomes, and not the escaped one."""
    import html

    payload = sweep.xss_payload("jx999")
    for context in ("<p>{}</p>", '<input value="{}">', "<input value='{}'>",
                    "<textarea>{}</textarea>"):
        assert sweep.xss_findings(context.format(payload), ["jx999"]), context
        assert not sweep.xss_findings(context.format(html.escape(payload)), ["jx999"]), context
    assert sweep.xss_findings('<a href="javascript:jx999()">x</a>', ["jx999"])


def test_xss_payloads_stored_through_the_api_are_escaped_on_the_pages(
        app, wsgi_app, tenant, make_user, make_token, login, sweep, registry):
    """Every string field of every generated API resource carries a payload in turn; the
    records it stores are then shown on the HTML pages, where it must stay inert."""
    login(app, tenant, make_user(tenant, "apixss", is_admin=True)).follow()
    token = make_token(tenant, "apixss", ("api.me", "contacts.view", "contacts.create"))
    client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    headers = {"Authorization": f"Bearer {token}"}
    document = client.get(f"{tenant.prefix}/api/v1/openapi.json", headers=headers).json
    schemas = document["components"]["schemas"]
    markers, stored = {}, 0
    for path, operations in document["paths"].items():
        if "post" not in operations:
            continue
        ref = operations["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = schemas[ref.rsplit("/", 1)[1]]
        strings = [name for name, field in schema["properties"].items()
                   if field.get("type") == "string" and "enum" not in field
                   and "format" not in field]
        for name in strings:
            marker = f"jx{next(_markers)}"
            markers[marker] = f"{path} {name}"
            body = {other: "安全的值" for other in schema.get("required", [])}
            body[name] = sweep.xss_payload(marker)
            response = client.post_json(f"{tenant.prefix}{path}", body, headers=headers,
                                        status=(201, 422))
            assert response.content_type == "application/json"
            stored += response.status_int == 201
    # Fields shorter than the payload (names, titles) or with a pattern (phone, e-mail)
    # refuse it with 422; the long free-text fields (street, notes) must take it.
    assert stored >= 2, "too few payloads were stored for the check to mean anything"
    pages = sweep.crawl(app, tenant.prefix, ("/",))
    leaks = {url: found for url, response in pages.items() if "html" in response.content_type
             and (found := sweep.xss_findings(response.text, markers))}
    assert not leaks, leaks
    # The payloads did arrive (escaped) on the records' pages: the sweep is not vacuous.
    assert any("&lt;script&gt;" in response.text for response in pages.values()
               if "html" in response.content_type)
