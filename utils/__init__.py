"""Shared code of the RNN course. Chapters and labs import it as ``import utils``.

Modules, from the bottom up (each module's docstring is the map of what it holds):
    validate     argument checks every public function runs first
    environment  seeding, device, ``setup()``          numpy_rnn  the teaching RNN in numpy
    cells        RNN/GRU/LSTM cells in torch           recurrent  every recurrent core: unrolled,
                                                                  bidirectional, stacked, make_core
    models       token models: CharLM, SequenceClassifier, SequenceTagger (one base)
    data         corpora, vocabulary, batches          training   train(), losses, eval_mode
    sampling     generating sequences                  baselines  uniform, unigram, bigram
    checkpoints  save/load trained models              gradients  gradient norms through time
    tasks        the key-recall task, sweeps           tagging    per-position labels
    gates        a gated cell's gates over a sequence  stacking   orders of computation, depth
    plotting     the course's plot style               explore    widgets with a static face
    live         a trained model running in the page (JS)
    scan         linear recurrences h_t = α_t h_{t-1} + β_t and the parallel scan
    parallel     minGRU, minLSTM, a diagonal linear unit, ParallelRNN: cells run by a scan
    diagrams     matplotlib figures of the models      claims     sentences about results
    checks       lab exercise checks                 selfcheck  questions in the chapters
"""
from . import (baselines, cells, checkpoints, checks, claims, data, diagrams, environment, explore,
               gates, gradients, live, models, numpy_rnn, parallel, plotting, recurrent, sampling,
               scan, selfcheck, stacking, tagging, tasks, training)
from .environment import get_device, seed_everything, setup

__all__ = ["baselines", "cells", "checkpoints", "checks", "claims", "data", "diagrams", "environment",
           "explore", "gates", "gradients", "live", "models", "numpy_rnn", "parallel", "plotting", "recurrent", "sampling",
           "scan", "selfcheck", "stacking", "tagging", "tasks", "training", "get_device", "seed_everything", "setup"]
