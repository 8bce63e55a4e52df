"""A third-party addon replacing the contacts addon's scoring."""

from pyramid.config import Configurator
from zope.interface import implementer

from jimucrm.addons.contacts.interfaces import IContactScorer


@implementer(IContactScorer)
class GroupCompanyScorer:
    """Group companies are VIPs: 100. Everyone else: 10."""

    def score(self, contact) -> int:
        company = contact.company  # a person may belong to a company
        return 100 if company is not None and "集团" in company.name else 10


def includeme(config: Configurator) -> None:
    config.register_service(GroupCompanyScorer(), IContactScorer)
