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
* one module per view: ``text`` (hidden state and next-character distribution as you
  type; Chapter 2), ``sampling`` (text generated in the page with a seeded generator that
  Python shares, so the same seed writes the same text; Chapter 2), ``gradients``
  (gradient norm against distance as ρ and the activation change; Chapter 3), ``tagger``
  (a left-to-right and a bidirectional tagger put the spaces back side by side; the
  export of a one-layer ``SequenceTagger``; Chapter 6), ``gates`` (every gate and the
  cell state per unit and per character, and the units that track a property of the
  text; Chapters 4 and 5), ``scan`` (the rounds of a parallel scan against the loop's steps,
  step by step, with the values each position holds; Chapter 8).

Every view's output is one ``<div>`` and one inline ``<script>``, so the same cell output
works in Jupyter, in Colab (each output its own iframe) and on the website opened from disk.
"""
from .export import (DTYPES, FORMAT, LIVE_CELLS, MAX_PAYLOAD_BYTES, VERSION, decode_payload,
                     export_model, payload_bytes)
from .page import FORWARD_JS, PARITY_TOLERANCE, LiveView
from .gates import MAX_GATE_CHARS, PROPERTIES, QUANTITIES, gate_view
from .gradients import gradient_view
from .sampling import (MAX_PROMPT_CHARS, MAX_SAMPLE_CHARS, mulberry32, random_numbers,
                       sample_text, sample_trace, sample_view)
from .tagger import MAX_TAGGER_CHARS, export_tagger, tagger_view
from .scan import scan_view
from .text import MAX_TEXT_CHARS, text_view

__all__ = ["DTYPES", "FORMAT", "VERSION", "LIVE_CELLS", "MAX_PAYLOAD_BYTES", "MAX_TEXT_CHARS",
           "FORWARD_JS", "PARITY_TOLERANCE", "LiveView", "export_model", "decode_payload",
           "payload_bytes", "scan_view", "text_view", "sample_view", "sample_text", "sample_trace",
           "random_numbers", "mulberry32", "MAX_PROMPT_CHARS", "MAX_SAMPLE_CHARS",
           "gradient_view", "MAX_TAGGER_CHARS", "export_tagger", "tagger_view",
           "MAX_GATE_CHARS", "PROPERTIES", "QUANTITIES", "gate_view"]
