"""Migration contacts_0003 on a tenant that has data: companies from the free-text
company names, phones encrypted with the tenant's data key, and back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from jimucrm.addons.contacts.models import Company, Contact
from jimucrm.core.interfaces import IDatabase
from jimucrm.tenants.migrate import alembic_config, set_search_path


def _migrate(registry, tenant, step, revision: str) -> None:
    with registry.getUtility(IDatabase).engine.begin() as connection:
        config = alembic_config(registry, "tenant")
        config.attributes.update(connection=connection, schema=tenant.schema_name)
        set_search_path(connection, [tenant.schema_name])
        step(config, revision)


def test_upgrade_makes_companies_and_encrypts_phones(registry, tenant, db, add_contacts):
    add_contacts(tenant, {"name": "旧数据"})  # the tenant's data key exists, as in production
    _migrate(registry, tenant, command.downgrade, "contacts_0002")
    schema = tenant.schema_name
    with registry.getUtility(IDatabase).engine.begin() as connection:
        connection.execute(text(f'DELETE FROM "{schema}".contacts'))
        connection.execute(text(
            f'INSERT INTO "{schema}".contacts (name, company, title, phone, email, city, notes) '
            "VALUES ('王伟', ' 上海云帆贸易有限公司', '', '138-0013-8000', '', '上海', ''), "
            "('赵娟', '上海云帆贸易有限公司', '', '', '', '上海', ''), "
            "('李娜', '', '', '021 6200 1234', '', '杭州', '')"))
    _migrate(registry, tenant, command.upgrade, "contacts@head")
    with db(tenant) as session:
        [company] = session.scalars(select(Company)).all()
        assert (company.name, company.city) == ("上海云帆贸易有限公司", "上海")
        people = {contact.name: contact for contact in session.scalars(select(Contact))}
        assert people["王伟"].company_id == people["赵娟"].company_id == company.id
        assert people["李娜"].company_id is None
        assert (people["王伟"].phone, people["赵娟"].phone, people["李娜"].phone) == \
            ("138-0013-8000", None, "021 6200 1234")
        # Searchable through the blind index the migration wrote.
        assert session.scalar(select(Contact.name).where(Contact.phone == "13800138000")) \
            == "王伟"
        raw = session.execute(text(f'SELECT phone FROM "{schema}".contacts '
                                   "WHERE phone IS NOT NULL")).scalars().all()
        assert raw and all(b"0013" not in bytes(value) for value in raw)
    # And back: the text company and the plain phone return.
    _migrate(registry, tenant, command.downgrade, "contacts_0002")
    with registry.getUtility(IDatabase).engine.begin() as connection:
        rows = connection.execute(text(
            f'SELECT name, company, phone FROM "{schema}".contacts ORDER BY name')).all()
    assert sorted(rows) == sorted([("王伟", "上海云帆贸易有限公司", "138-0013-8000"),
                                   ("赵娟", "上海云帆贸易有限公司", ""),
                                   ("李娜", "", "021 6200 1234")])
    _migrate(registry, tenant, command.upgrade, "contacts@head")
