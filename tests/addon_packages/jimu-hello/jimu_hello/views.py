from pyramid.view import view_config
from sqlalchemy import select

from .models import Greeting


@view_config(route_name="hello", permission="hello.view", renderer="jimu_hello:templates/hello.pt")
def greetings(request):
    return {"greetings": request.dbsession.scalars(
        select(Greeting).order_by(Greeting.id.desc()).limit(50)).all()}
