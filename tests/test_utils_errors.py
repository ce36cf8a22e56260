"""Bad input to a public utils entry point raises ValueError/TypeError saying what was expected
and what was given, never a traceback from deep inside torch or numpy.

Each case is (id, call, exception, pattern): ``pattern`` must match the message, and names
the expectation and the value given.
"""
import numpy as np
import pytest
import torch
from torch import nn

from utils import data, environment, numpy_rnn, sampling, training
from utils.cells import GRUCell, LSTMCell, RNNCell, make_cell
from utils.data import SequenceBatches, TextWindows, Vocab
from utils.explore import explore
from utils.models import CharLM
from utils.recurrent import Bidirectional, RecurrentNet, Unrolled

D, J, B, T = 4, 6, 2, 3
VOCAB = Vocab(list("abcde"))


def xs(*shape, dtype=torch.float32):
    return torch.randn(*shape).to(dtype)


def lm():
    return CharLM(len(VOCAB), hidden_size=8, cell="gru")


def np_params():
    return numpy_rnn.init_params(D, J, 5, np.random.default_rng(0))


CASES = [
    # --- numpy RNN ------------------------------------------------------------------------------
    ("np xs 3-D", lambda: numpy_rnn.rnn_forward(np.zeros((1, T, D)), np.zeros(J), np_params()),
     ValueError, r"xs must have shape \(\*, 4\), got \(1, 3, 4\)"),
    ("np xs list", lambda: numpy_rnn.rnn_forward([[0.0] * D], np.zeros(J), np_params()),
     TypeError, r"xs must be a numpy array, got list"),
    ("np h0 size", lambda: numpy_rnn.rnn_forward(np.zeros((T, D)), np.zeros(J + 1), np_params()),
     ValueError, r"h0 must have shape \(6,\), got \(7,\)"),
    ("np targets float", lambda: numpy_rnn.cross_entropy(np.full((2, 3), 1 / 3), np.array([0.0, 1.0])),
     TypeError, r"targets must hold integer class ids, got dtype float64"),
    ("np targets range", lambda: numpy_rnn.cross_entropy(np.full((2, 3), 1 / 3), np.array([0, 3])),
     ValueError, r"targets must lie in \[0, 3\), got values from 0 to 3"),
    ("np init sizes", lambda: numpy_rnn.init_params(0, J, 5, np.random.default_rng(0)),
     ValueError, r"D must be a positive integer, got 0"),
    ("np init rng", lambda: numpy_rnn.init_params(D, J, 5, 0), TypeError, r"rng must be a numpy Generator.*got int"),
    ("np step_backward dh (J, 1)", lambda: numpy_rnn.rnn_step_backward(
        np.zeros((J, 1)), np.zeros(D), np.zeros(J), np.zeros(J), *[np_params()[k] for k in "UW"]),
     ValueError, r"dh_t must have shape \(6,\).*got \(6, 1\)"),
    ("np relative_error broadcast", lambda: numpy_rnn.relative_error(np.ones(3), np.ones((3, 1))),
     ValueError, r"a and b must have the same shape, got \(3,\) and \(3, 1\)"),
    ("np numerical_gradient ints", lambda: numpy_rnn.numerical_gradient(lambda: 0.0, np.arange(3)),
     TypeError, r"array must hold floating-point numbers, got dtype int64"),
    ("np gradient_check float32", lambda: numpy_rnn.gradient_check(
        {k: v.astype(np.float32) for k, v in np_params().items()}, np.zeros((T, D)), np.zeros(T, int), np.zeros(J)),
     TypeError, r"U must be float64 \(finite differences need float64.*\.astype\(np\.float64\)"),
    ("np cross_entropy scores", lambda: numpy_rnn.cross_entropy(np.full((2, 3), 5.0), np.array([0, 1])),
     ValueError, r"probs must hold probabilities.*row sums from 15 to 15"),
    ("np step x", lambda: numpy_rnn.rnn_step(np.zeros(D + 1), np.zeros(J), *[np_params()[k] for k in "UWb"]),
     ValueError, r"U must have shape \(6, 5\).*x_t \(5,\).*got \(6, 4\)"),

    # --- cells ----------------------------------------------------------------------------------
    ("cell size 0", lambda: RNNCell(0, J), ValueError, r"input_size must be a positive integer, got 0"),
    ("cell size float", lambda: GRUCell(D, 2.5), ValueError, r"hidden_size must be a positive integer, got 2.5"),
    ("cell kind", lambda: make_cell("elman", D, J), ValueError, r"one of \['gru', 'lstm', 'rnn', 'simple_gru'\], got 'elman'"),
    ("cell x 3-D", lambda: RNNCell(D, J).step(xs(B, T, D), torch.zeros(B, J)),
     ValueError, r"x_t must have shape \(\*, 4\), got \(2, 3, 4\)"),
    ("cell x wrong D", lambda: RNNCell(D, J).step(xs(B, D + 1), torch.zeros(B, J)),
     ValueError, r"x_t must have shape \(\*, 4\), got \(2, 5\)"),
    ("cell x ints", lambda: RNNCell(D, J).step(torch.ones(B, D, dtype=torch.long), torch.zeros(B, J)),
     TypeError, r"x_t must hold floating-point numbers, got dtype torch.int64"),
    ("cell x numpy", lambda: RNNCell(D, J).step(np.zeros((B, D)), torch.zeros(B, J)),
     TypeError, r"x_t must be a torch.Tensor, got ndarray"),
    ("cell h batch", lambda: GRUCell(D, J).step(xs(B, D), torch.zeros(B + 1, J)),
     ValueError, r"h_prev must have shape \(2, 6\), got \(3, 6\)"),
    ("cell dtype mix", lambda: GRUCell(D, J).double().step(xs(B, D), torch.zeros(B, J, dtype=torch.float64)),
     TypeError, r"x_t is torch.float32.*weights are torch.float64"),
    ("lstm state tensor", lambda: LSTMCell(D, J).step(xs(B, D), torch.zeros(B, J)),
     TypeError, r"LSTM state must be a pair \(h, c\).*got Tensor"),
    ("lstm c shape", lambda: LSTMCell(D, J).step(xs(B, D), (torch.zeros(B, J), torch.zeros(B, J + 1))),
     ValueError, r"c_prev must have shape \(2, 6\), got \(2, 7\)"),
    ("cell gate name", lambda: LSTMCell(D, J).block("z"), ValueError, r"gate must be one of.*'i'.*got 'z'"),
    ("init_state 0", lambda: RNNCell(D, J).init_state(0), ValueError, r"batch_size must be a positive integer, got 0"),
    ("GRU weights into LSTM", lambda: LSTMCell(D, J).load_torch_weights(nn.GRU(D, J)),
     TypeError, r"LSTMCell loads from torch.nn.LSTM, got GRU"),
    ("wrong-size module", lambda: GRUCell(D, J).load_torch_weights(nn.GRU(D, J + 2)),
     ValueError, r"size mismatch: this cell has U \(18, 4\).*weight_ih \(24, 4\)"),
    ("missing layer", lambda: RNNCell(D, J).load_torch_weights(nn.RNN(D, J), layer=2),
     ValueError, r"RNN has no layer 2"),
    ("missing reverse", lambda: RNNCell(D, J).load_torch_weights(nn.RNN(D, J), reverse=True),
     ValueError, r"no layer 0 in the reverse direction"),
    ("gru reset", lambda: GRUCell(D, J, reset="middle"), ValueError, r"reset must be 'after'.*got 'middle'"),

    # --- recurrent networks ---------------------------------------------------------------------
    ("net kind", lambda: RecurrentNet("elman", D, J), ValueError, r"kind must be one of 'rnn', 'simple_gru', 'gru', 'lstm', got 'elman'"),
    ("net layers 0", lambda: RecurrentNet("rnn", D, J, num_layers=0), ValueError, r"num_layers must be a positive integer, got 0"),
    ("net xs 2-D", lambda: RecurrentNet("gru", D, J)(xs(T, D)),
     ValueError, r"xs must have shape \(\*, \*, 4\), got \(3, 4\)"),
    ("net xs no steps", lambda: RecurrentNet("gru", D, J)(xs(B, 0, D)),
     ValueError, r"at least one time step, got shape \(2, 0, 4\)"),
    ("net xs wrong D", lambda: RecurrentNet("gru", D, J)(xs(B, T, D + 1)),
     ValueError, r"xs must have shape \(\*, \*, 4\), got \(2, 3, 5\)"),
    ("net xs ints", lambda: RecurrentNet("gru", D, J)(torch.ones(B, T, D, dtype=torch.long)),
     TypeError, r"xs must hold floating-point numbers, got dtype torch.int64"),
    ("net h0 layout", lambda: RecurrentNet("gru", D, J, num_layers=2)(xs(B, T, D), torch.zeros(B, J)),
     ValueError, r"h_0 must have shape \(2, 2, 6\), got \(2, 6\)"),
    ("net lstm state tensor", lambda: RecurrentNet("lstm", D, J)(xs(B, T, D), torch.zeros(1, B, J)),
     TypeError, r"LSTM state must be a pair \(h_0, c_0\).*got Tensor"),
    ("net lstm c0", lambda: RecurrentNet("lstm", D, J)(xs(B, T, D), (torch.zeros(1, B, J), torch.zeros(2, B, J))),
     ValueError, r"c_0 must have shape \(1, 2, 6\), got \(2, 2, 6\)"),
    ("net step x 3-D", lambda: RecurrentNet("rnn", D, J).step(xs(B, T, D)),
     ValueError, r"x_t must have shape \(\*, 4\), got \(2, 3, 4\)"),
    ("bidirectional step", lambda: RecurrentNet("rnn", D, J, bidirectional=True).step(xs(B, D)),
     ValueError, r"bidirectional.*END of the sequence"),
    ("same cell twice", lambda: (lambda c: Bidirectional(c, c))(RNNCell(D, J)),
     ValueError, r"needs its own cell"),
    ("unrolled xs", lambda: Unrolled(RNNCell(D, J))(xs(B, T)), ValueError, r"xs must have shape \(\*, \*, 4\), got \(2, 3\)"),
    ("from_torch linear", lambda: RecurrentNet.from_torch(nn.Linear(D, J)),
     TypeError, r"expected torch.nn.RNN, GRU or LSTM, got Linear"),
    ("from_torch not batch_first", lambda: RecurrentNet.from_torch(nn.GRU(D, J)),
     ValueError, r"batch_first=True"),
    ("from_torch relu", lambda: RecurrentNet.from_torch(nn.RNN(D, J, nonlinearity="relu", batch_first=True)),
     ValueError, r"nonlinearity='tanh'"),
    ("from_torch proj", lambda: RecurrentNet.from_torch(nn.LSTM(D, J, proj_size=2, batch_first=True)),
     ValueError, r"proj_size"),

    # --- the language model ---------------------------------------------------------------------
    ("lm vocab 0", lambda: CharLM(0), ValueError, r"vocab_size must be a positive integer, got 0"),
    ("lm cell", lambda: CharLM(9, cell="transformer"), ValueError, r"cell must be one of 'rnn', 'simple_gru', 'gru', 'lstm', got 'transformer'"),
    ("lm backend", lambda: CharLM(9, backend="jax"), ValueError, r"backend must be one of 'scratch', 'torch', got 'jax'"),
    ("lm embedding 0", lambda: CharLM(9, embedding_dim=0), ValueError, r"embedding_dim must be a positive integer, got 0"),
    ("lm float ids", lambda: lm()(torch.zeros(B, T)), TypeError, r"token ids must hold integer token ids, got dtype torch.float32"),
    ("lm bool ids", lambda: lm()(torch.zeros(B, T, dtype=torch.bool)), TypeError, r"integer token ids, got dtype torch.bool"),
    ("lm ids 1-D", lambda: lm()(torch.zeros(T, dtype=torch.long)), ValueError, r"token ids must be 2-D, got shape \(3,\) \(1-D\)"),
    ("lm ids too big", lambda: lm()(torch.full((B, T), 9)), ValueError, r"token ids must lie in \[0, 9\), got values from 9 to 9"),
    ("lm ids negative", lambda: lm()(torch.full((B, T), -1)), ValueError, r"must lie in \[0, 9\), got values from -1"),
    ("lm step 2-D", lambda: lm().step(torch.zeros(B, T, dtype=torch.long)), ValueError, r"token ids must be 1-D, got shape \(2, 3\)"),
    ("lm numpy ids", lambda: lm()(np.zeros((B, T), dtype=int)), TypeError, r"token ids must be a torch.Tensor, got ndarray"),

    # --- data -----------------------------------------------------------------------------------
    ("vocab level", lambda: Vocab.from_texts(["ab"], level="byte"), ValueError, r"level must be 'char' or 'word', got 'byte'"),
    ("vocab reserved", lambda: Vocab(["a", "<EOS>"]), ValueError, r"\['<EOS>'\] are reserved"),
    ("decode out of range", lambda: VOCAB.decode([1, 99]), ValueError, r"ids must lie in \[0, 9\), got \[99\]"),
    ("decode floats", lambda: VOCAB.decode(torch.tensor([4.0, 5.0])), TypeError, r"ids must be integer token ids, got \[4.0, 5.0\]"),
    ("names kind", lambda: data.load_names("middle"), ValueError, r"kind must be 'first' or 'last', got 'middle'"),
    ("unknown play", lambda: data.load_shakespeare(["macbth"]), ValueError, r"unknown plays \['macbth'\]; known: .*'macbeth'"),
    ("split fraction", lambda: data.split_contiguous([1, 2, 3], 1.5), ValueError, r"val_fraction must lie strictly between 0 and 1, got 1.5"),
    ("sequence batches str", lambda: SequenceBatches("emma", VOCAB), TypeError, r"texts must be a list of sequences.*got one string"),
    ("sequence batch size", lambda: SequenceBatches(["ab"], VOCAB, batch_size=0), ValueError, r"batch_size must be a positive integer, got 0"),
    ("windows float ids", lambda: TextWindows(np.arange(100.0)), TypeError, r"ids must hold integer token ids, got dtype torch.float64"),
    ("windows text", lambda: TextWindows("to be or not to be"), TypeError, r"ids must be token ids, got a string"),
    ("windows 2-D", lambda: TextWindows(torch.zeros(2, 50, dtype=torch.long)), ValueError, r"ids must be a 1-D sequence.*got shape \(2, 50\)"),
    ("windows too short", lambda: TextWindows(list(range(10)), seq_len=10), ValueError, r"10 ids, too few for windows of 10"),
    ("windows seq_len", lambda: TextWindows(list(range(10)), seq_len=-3), ValueError, r"seq_len must be a positive integer, got -3"),
    ("pad nothing", lambda: data.pad_sequences([]), ValueError, r"at least one sequence"),

    # --- training -------------------------------------------------------------------------------
    ("train steps 0", lambda: training.train(lm(), lambda g: None, steps=0), ValueError, r"steps must be a positive integer, got 0"),
    ("train lr", lambda: training.train(lm(), lambda g: None, lr=-1e-3), ValueError, r"lr must be a positive number, got -0.001"),
    ("train clip_norm", lambda: training.train(lm(), lambda g: None, clip_norm=0), ValueError, r"clip_norm must be a positive number, got 0"),
    ("train clip_value", lambda: training.train(lm(), lambda g: None, clip_value=-1), ValueError, r"clip_value must be a positive number, got -1"),
    ("train eval_every", lambda: training.train(lm(), lambda g: None, eval_every=0), ValueError, r"eval_every must be a positive integer, got 0"),
    ("train batches", lambda: training.train(lm(), [1, 2]), TypeError, r"batches must be a callable"),
    ("clip_by_norm 0", lambda: training.clip_by_norm(lm().parameters(), 0.0), ValueError, r"max_norm must be a positive number, got 0.0"),
    ("clip_by_value neg", lambda: training.clip_by_value(lm().parameters(), -1.0), ValueError, r"max_value must be a positive number, got -1.0"),
    ("gradient_norm one number", lambda: training.gradient_norm(3.0), TypeError,
     r"parameters must be a tensor or an iterable of tensors.*got float"),
    ("clip_by_norm inf", lambda: training.clip_by_norm(lm().parameters(), float("inf")), ValueError,
     r"max_norm must be a finite positive number, got inf"),
    ("train lr inf", lambda: training.train(lm(), lambda g: None, lr=float("inf")), ValueError,
     r"lr must be a finite positive number, got inf"),
    ("lm_loss all pad", lambda: training.lm_loss(lm(), (torch.ones(B, T, dtype=torch.long), torch.zeros(B, T, dtype=torch.long))),
     ValueError, r"every target is padding \(id 0\)"),
    ("perplexity negative", lambda: training.perplexity(-1.0), ValueError, r"nats must be >= 0.*got -1.0"),
    ("evaluate one batch", lambda: training.evaluate(lm(), (torch.zeros(2, 3, dtype=torch.long),) * 2),
     TypeError, r"iterable of \(inputs, targets\) batches, got one batch"),
    ("train val_batches", lambda: training.train(lm(), lambda g: None, val_batches=iter([])),
     TypeError, r"val_batches must be a callable.*got list_iterator"),
    ("evaluate empty", lambda: training.evaluate(lm(), []), ValueError, r"no targets"),

    # --- sampling -------------------------------------------------------------------------------
    ("sample n", lambda: sampling.sample(lm(), VOCAB, n=0), ValueError, r"n must be a positive integer, got 0"),
    ("sample max_len", lambda: sampling.sample(lm(), VOCAB, max_len=0), ValueError, r"max_len must be a positive integer, got 0"),
    ("sample temperature 0", lambda: sampling.sample(lm(), VOCAB, temperature=0), ValueError, r"temperature must be a (positive|finite) number.*got 0\b"),
    ("sample temperature neg", lambda: sampling.sample(lm(), VOCAB, temperature=-1.0), ValueError, r"temperature must be a (positive|finite) number.*got -1.0"),
    ("sample top_k", lambda: sampling.sample(lm(), VOCAB, top_k=0), ValueError, r"top_k must be a positive integer, got 0"),
    ("sample prompt", lambda: sampling.sample(lm(), VOCAB, prompt=[4, 5]), TypeError, r"prompt must be a string, got list"),
    ("sample vocab type", lambda: sampling.sample(lm(), "abcde"), TypeError, r"vocab must be a utils.data.Vocab, got str"),
    ("sample vocab size", lambda: sampling.sample(lm(), Vocab(list("abc"))), ValueError, r"predicts 9 tokens but the vocabulary has 7"),
    ("sample no step", lambda: sampling.sample(nn.Linear(2, 2), VOCAB), TypeError, r"step\(idx_t, state\) method, got Linear"),
    ("distribution temperature", lambda: sampling.next_token_distribution(torch.zeros(1, 5), 0.0), ValueError, r"temperature must be a (positive|finite) number.*got 0.0"),
    ("likelihood str", lambda: sampling.sequence_log_likelihood(lm(), VOCAB, "abc"), TypeError, r"list of (sequences|strings).*got (one string|str)"),

    # --- environment and explore ----------------------------------------------------------------
    ("seed negative", lambda: environment.seed_everything(-1), ValueError, r"seed must be an integer in \[0, 2\*\*32\), got -1"),
    ("seed text", lambda: environment.setup(seed="zero", quiet=True), ValueError, r"seed must be an integer.*got 'zero'"),
    ("device name", lambda: environment.get_device("tpu"), ValueError, r"device must be a name such as 'cpu' or 'cuda', got 'tpu'"),
    ("explore none", lambda: explore(lambda fig, v: None), TypeError, r"exactly one parameter.*got none"),
    ("explore two", lambda: explore(lambda fig, v: None, a=[1], b=[2]), TypeError, r"exactly one parameter.*got \['a', 'b'\]"),
    ("explore empty", lambda: explore(lambda fig, v: None, t=[]), ValueError, r"t needs at least one value"),
]


@pytest.mark.parametrize("call, error, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_explained(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_case_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))


def test_errors_are_raised_before_any_work():
    """A bad call leaves the model untouched (checked before the first update)."""
    model = lm()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError):
        training.train(model, lambda g: (torch.zeros(1, 2, dtype=torch.long),) * 2, steps=3, lr=0.0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
