"""Shared code of the RNN course. Chapters and labs import it as ``import utils``.

Modules:
    environment  seeding, device, ``setup()``          numpy_rnn  the teaching RNN in numpy
    cells        RNN/GRU/LSTM cells in torch           recurrent  unroll, bidirectional, stacked
    models       character language model              data       corpora, vocabulary, batches
    training     the training loop, clipping           sampling   generating sequences
    plotting     the course's plot style               explore    widgets with a static face
    diagrams     matplotlib figures of the models      checks     lab exercise checks
"""
from . import (cells, checks, data, diagrams, environment, explore, models, numpy_rnn, plotting,
               recurrent, sampling, training)
from .environment import get_device, seed_everything, setup

__all__ = ["cells", "checks", "data", "diagrams", "environment", "explore", "models", "numpy_rnn",
           "plotting", "recurrent", "sampling", "training", "get_device", "seed_everything", "setup"]
