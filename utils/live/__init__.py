"""Live models on the page: a trained model runs in the reader's browser, with no kernel and
no network.

    from utils.live import export_model, decode_payload, text_view

    payload = export_model(model, vocab)          # a dict, JSON-ready, a few hundred kB
    weights = decode_payload(payload)             # {name: float32 array}, for checks
    text_view(model, vocab, text="ROMEO:")        # in a cell tagged remove-input

Modules:

* ``export``: a trained model's weights in the course's notation (float32 or float16,
  base64) with its vocabulary and a size budget (Python, at build time);
* ``page``: ``FORWARD_JS``, the forward pass in JavaScript (``window.RNNCourseLive``), and
  ``LiveView``, the frame every view shares (static face, live face, parity with PyTorch);
* one module per view: ``text`` (hidden state and next-character distribution as you type).

Every view's output is one ``<div>`` and one inline ``<script>``, so the same cell output
works in Jupyter, in Colab (each output its own iframe) and on the website opened from disk.
"""
from .export import (DTYPES, FORMAT, LIVE_CELLS, MAX_PAYLOAD_BYTES, VERSION, decode_payload,
                     export_model, payload_bytes)
from .page import FORWARD_JS, PARITY_TOLERANCE, LiveView
from .text import MAX_TEXT_CHARS, text_view

__all__ = ["DTYPES", "FORMAT", "VERSION", "LIVE_CELLS", "MAX_PAYLOAD_BYTES", "MAX_TEXT_CHARS",
           "FORWARD_JS", "PARITY_TOLERANCE", "LiveView", "export_model", "decode_payload",
           "payload_bytes", "text_view"]
