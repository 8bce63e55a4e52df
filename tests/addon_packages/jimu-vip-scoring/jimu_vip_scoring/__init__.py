"""A third-party addon replacing the contacts addon's scoring."""

from pyramid.config import Configurator
from zope.interface import implementer

from jimucrm.addons.contacts.interfaces import IContactScorer


@implementer(IContactScorer)
class GroupCompanyScorer:
    """Group companies are VIPs: 100. Everyone else: 10."""

    def score(self, contact) -> int:
        return 100 if "集团" in (contact.company or "") else 10


def includeme(config: Configurator) -> None:
    config.register_service(GroupCompanyScorer(), IContactScorer)
