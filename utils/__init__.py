"""Shared code of the RNN course. Chapters and labs import it as ``import utils``.

Modules:
    environment  seeding, device, ``setup()``          numpy_rnn  the teaching RNN in numpy
    cells        RNN/GRU/LSTM cells in torch           recurrent  unroll, bidirectional, stacked
    models       character language model              data       corpora, vocabulary, batches
    training     the training loop, clipping           sampling   generating sequences
    plotting     the course's plot style               explore    widgets with a static face
    diagrams     matplotlib figures of the models      checks     lab exercise checks
    baselines    uniform and bigram language models    checkpoints  save/load trained models
    gradients    gradient norms through time, decay    tasks        the key-recall task, sweeps
    tagging      per-position labels: word boundaries, look-ahead
    gates        record a gated cell's gates and states over a sequence
    stacking     stacked networks: orders of computation, residual stacks, depth gradients
    claims       sentences about results: computed (say) or checked as the notebook runs (check)
"""
from . import (baselines, cells, checkpoints, checks, claims, data, diagrams, environment, explore,
               gates, gradients, models, numpy_rnn, plotting, recurrent, sampling, stacking,
               tagging, tasks, training)
from .environment import get_device, seed_everything, setup

__all__ = ["baselines", "cells", "checkpoints", "checks", "claims", "data", "diagrams", "environment",
           "explore", "gates", "gradients", "models", "numpy_rnn", "plotting", "recurrent", "sampling",
           "stacking", "tagging", "tasks", "training", "get_device", "seed_everything", "setup"]
