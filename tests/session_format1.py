"""A session file of format 1, which the app no longer writes but still opens:
every state of every segment in base64, checked against training on open.
Written here, from the format's description, so that the tests can go on
building (and tampering with) such files; the engine has no writer for it."""

import base64
import copy
import json
from datetime import datetime, timezone

import numpy as np

ROW = ("W1", "b1", "W2", "b2", "W3", "b3", "L",
       "dL/dW1", "dL/db1", "dL/dW2", "dL/db2", "dL/dW3", "dL/db3")
_NETWORK = ("activation1", "activation2", "leak", "loss")


def format1_document(line, cursor=0, settings=None, when=None):
    """The format-1 document (a dict) of the Timeline ``line``."""
    when = datetime(2025, 1, 31, 12, 30, 5, tzinfo=timezone.utc) if when is None else when
    segments = []
    for segment in line.segments:
        trainer = segment.trainer
        spec = trainer.spec.as_dict()
        if trainer.spec.update_is_default():
            spec = {k: v for k, v in spec.items() if k in _NETWORK}
        entries = {"x": trainer.x.tolist(), "y": trainer.y.tolist(), "alpha": trainer.alpha,
                   "length": segment.length, "spec": spec}
        if trainer.batch_size is not None:
            entries["batch_size"] = trainer.batch_size
        if trainer.shuffle_seed is not None:
            entries["shuffle_seed"] = trainer.shuffle_seed
        rows = trainer.history.rows(0, segment.length).astype("<f8").tobytes()
        entries.update(columns=list(trainer.row), rows=base64.b64encode(rows).decode("ascii"))
        segments.append(entries)
    return {"format": "backprop-explorer-session", "version": 1,
            "saved_at": when.isoformat(timespec="seconds"), "cursor": cursor,
            "settings": copy.deepcopy({} if settings is None else settings), "columns": list(ROW),
            "segments": segments}


def format1_text(line, cursor=0, settings=None, when=None):
    return json.dumps(format1_document(line, cursor, settings, when), indent=1) + "\n"


def rows_of(segment):
    """A format-1 segment's states, as a writable (n, columns) array."""
    data = base64.b64decode(segment["rows"])
    width = len(segment.get("columns", ROW))
    return np.frombuffer(data, dtype="<f8").reshape(-1, width).copy()


def set_rows(segment, rows):
    segment["rows"] = base64.b64encode(np.asarray(rows, dtype="<f8").tobytes()).decode("ascii")

