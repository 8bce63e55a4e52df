"""Run inside the test's fresh virtual environment; prints what it saw as JSON.

Kept as a script (not a test module) because it must import the addons that
are installed only in that environment.
"""

import json
import os
import re
import sys

import webtest

from jimucrm.core import configure
from jimucrm.core.interfaces import IAddonCatalogue, ICryptoProvider, IDatabase
from jimucrm.security.models import User
from jimucrm.tenants.interfaces import ITenantAddons, ITenantProvisioner
from jimucrm.tenants.upgrade import upgrade_public

PASSWORD = "third-party-测试-password"


def main() -> dict:
    config = configure({
        "jimu.database_url": os.environ["DRIVER_DATABASE_URL"],
        "jimu.redis_url": os.environ["DRIVER_REDIS_URL"],
        "jimu.secret_key": "s" * 40,
        "jimu.tenant_cache_seconds": "0",
    })
    registry = config.registry
    upgrade_public(registry)
    catalogue = registry.getUtility(IAddonCatalogue)
    seen = {"discovered": {name: catalogue.manifests[name].distribution
                           for name in catalogue.order}}
    provisioner = registry.getUtility(ITenantProvisioner)
    addons = registry.getUtility(ITenantAddons)
    database = registry.getUtility(IDatabase)
    for slug in ("tp-a", "tp-b"):
        tenant, _ = provisioner.create(slug, f"公司 {slug}", addons=["contacts"])
        with database.session(tenant.schema_name) as session, session.begin():
            session.add(User(username="staff", email=f"staff@{slug}.cn", display_name="员工",
                             password_hash=registry.getUtility(ICryptoProvider)
                             .hash_password(PASSWORD), is_admin=True,
                             is_active=True))
    seen["enabled_a"] = sorted(addons.enable("tp-a", ["hello", "vip_scoring", "notes"]))
    try:
        addons.disable("tp-a", ["contacts"])
        seen["disable_contacts"] = "allowed"
    except Exception as exc:  # the refusal is what we look for
        seen["disable_contacts"] = str(exc)

    app = config.make_wsgi_app()
    for slug in ("tp-a", "tp-b"):
        seen[slug] = visit(webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"}), slug)

    addons.disable("tp-a", ["hello"])
    client = login(webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"}), "tp-a")
    seen["hello_after_disable"] = client.get("/t/tp-a/hello/", expect_errors=True).status_int
    addons.enable("tp-a", ["hello"])
    page = client.get("/t/tp-a/hello/").text
    seen["greetings_after_reenable"] = page.count("你好，")
    seen["welcome_rows"] = page.count("欢迎使用问候插件")
    return seen


def login(client: webtest.TestApp, slug: str) -> webtest.TestApp:
    form = client.get(f"/t/{slug}/login").forms["login-form"]
    form["login"], form["password"] = "staff", PASSWORD
    form.submit(status=303)
    return client


def visit(client: webtest.TestApp, slug: str) -> dict:
    prefix = f"/t/{slug}"
    login(client, slug)
    home = client.get(f"{prefix}/")
    company = client.get(f"{prefix}/companies/new").forms["company-form"]
    company["name"] = "华东机械集团"
    company.submit(status=303)
    form = client.get(f"{prefix}/contacts/new").forms["contact-form"]
    form["name"] = "周强"
    form["company_id"].select(text="华东机械集团")
    detail = form.submit().follow()
    score = re.search(r'class="score">(\d+)<', detail.text).group(1)
    hello = client.get(f"{prefix}/hello/", expect_errors=True)
    notes = client.get(f"{prefix}/notes/", expect_errors=True)
    result = {
        "menu": re.findall(r'<nav class="mainmenu".*?</nav>', home.text, re.S)[0].count("<a "),
        "menu_has_hello": "/hello/" in home.text,
        "home_panel": "hello-panel" in home.text,
        "score": int(score),
        "hello_status": hello.status_int,
        "greeting_shown": "你好，周强！" in hello.text,
        "notes_status": notes.status_int,
    }
    if notes.status_int == 200:
        note_form = client.get(f"{prefix}/notes/new").forms["notes-form"]
        note_form["name"] = "第一条笔记"
        result["note_saved"] = "第一条笔记" in note_form.submit().follow().text
    return result


if __name__ == "__main__":
    json.dump(main(), sys.stdout, ensure_ascii=False)
