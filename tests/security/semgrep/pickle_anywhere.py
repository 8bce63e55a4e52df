# semgrep-fixture-path: tests/unit/test_cache.py
# pickle is banned everywhere, tests included, in every spelling.
import json

# ruleid: jimu-pickle
import pickle
# ruleid: jimu-pickle
import _pickle
# ruleid: jimu-pickle
import shelve
# ruleid: jimu-pickle
from pickle import loads
# ruleid: jimu-pickle
import dill
# ruleid: jimu-pickle
from jsonpickle import decode
# ok: jimu-pickle
from json import loads as json_loads

import pandas
import pyramid_session_redis
from celery import Celery


def use(frame, raw, app: Celery, secret, url):
    # ruleid: jimu-pickle
    frame.to_pickle("x.pkl")
    # ruleid: jimu-pickle
    table = pandas.read_pickle("x.pkl")
    # ruleid: jimu-pickle
    unsafe = pyramid_session_redis.RedisSessionFactory(secret, redis_url=url)
    # ok: jimu-pickle
    safe = pyramid_session_redis.RedisSessionFactory(secret, redis_url=url,
                                                      serialize=json.dumps,
                                                      deserialize=json.loads)
    # ruleid: jimu-pickle
    app.conf.update(task_serializer="pickle")
    # ruleid: jimu-pickle
    app.conf.update(accept_content=["json", "pickle"])
    # ruleid: jimu-pickle
    app.conf.accept_content = ["pickle"]
    # ok: jimu-pickle
    app.conf.update(task_serializer="json", accept_content=["json"])
    return (pickle, _pickle, shelve, loads, dill, decode, json_loads, table, unsafe, safe,
            json.loads(raw))
