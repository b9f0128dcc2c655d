"""Damaging a session file, shared by the session tests of the chain and of
wider networks: a random character changed here and there, and any JSON
value put anywhere in a document.  Either way the file opens or is refused
with a SessionError that says why; nothing else may escape."""

import copy
import io
import json

from hypothesis import strategies as st

from engine import session
from engine.session import SessionError

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 20, 10 ** 20) | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6)


def load(text):
    return session.load(io.StringIO(text))


def paths(value, path=()):
    """Every place in a JSON document, as the keys and indices leading there."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value[:3]):
            yield from paths(item, path + (i,))


def setter(*path_and_value):
    """A change of a document: the value at the path set."""
    *path, value = path_and_value

    def change(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def assert_random_damage_is_refused(text, rng, rounds):
    """``rounds`` copies of ``text`` with 1 to 4 characters changed: each opens
    or raises a SessionError with a message, and not every one opens."""
    opened = 0
    for _ in range(rounds):
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars))
            chars[at] = rng.choice('0123456789.-eE"{}[],: tfnaN' + chr(rng.randrange(32, 0x2FF)))
        try:
            load("".join(chars))
            opened += 1
        except SessionError as error:
            assert str(error)
    assert opened < rounds


def assert_opens_or_refuses(document, where, value):
    """``document`` with ``value`` at ``where`` opens or raises a SessionError with a message."""
    changed = copy.deepcopy(document)
    setter(*where, value)(changed)
    try:
        load(json.dumps(changed))
    except SessionError as error:
        assert str(error)


def dropper(*path):
    """A change of a document: the entry at the path removed."""
    def change(d):
        target = d
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return change


def both(*changes):
    """Several changes of a document as one."""
    def change(d):
        for one in changes:
            one(d)
    return change
