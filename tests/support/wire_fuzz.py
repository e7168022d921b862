"""Hypothesis strategies for malformed wire messages: any JSON value put at one place of a valid batch."""

from __future__ import annotations

from hypothesis import strategies as st

TEXT = st.text(max_size=40)  # NUL included: validation refuses it where PostgreSQL text could not hold it
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=12)
# Every field of a batch and of its first observation, plus fields the wire model does not have.
PATHS = st.sampled_from([("v",), ("gateway_id",), ("sent_at",), ("observations",), ("observations", 0),
                         ("observations", 0, "id"), ("observations", 0, "code"), ("observations", 0, "value"),
                         ("observations", 0, "unit"), ("observations", 0, "measured_at"),
                         ("observations", 0, "received_at"), ("observations", 0, "device"),
                         ("observations", 0, "device", "id"), ("observations", 0, "device", "profile"),
                         ("observations", 0, "device", "extra"), ("observations", 0, "user_index"),
                         ("observations", 0, "source"), ("observations", 0, "flags"), ("extra",),
                         ("observations", 0, "extra")])
