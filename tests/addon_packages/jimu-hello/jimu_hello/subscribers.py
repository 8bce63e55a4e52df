from .models import Greeting


def greet(event) -> None:
    """Runs in the transaction that created the contact."""
    event.request.dbsession.add(
        Greeting(contact_id=event.contact.id, text=f"你好，{event.contact.name}！"))
