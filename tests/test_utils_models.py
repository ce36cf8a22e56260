"""One family of recurrent cores and token models (utils.recurrent, utils.models): every
backend computes the same function (float64, weights copied), stepping equals reading the
whole sequence, the ResidualStack equals torch.nn and the course's RecurrentNet, and bad
input is named clearly."""
import pytest
import torch
from torch import nn

from utils import seed_everything
from utils.baselines import BigramLM
from utils.cells import CELLS
from utils.models import CharLM, SequenceClassifier, SequenceTagger, TokenModel, count_parameters
from utils.recurrent import (RecurrentNet, ResidualStack, join_state, make_core, run_core,
                             split_state)

from core_helpers import B, D, J, KINDS, T, TOL, assert_same, random_state, xs  # noqa: E402

K = 11                                   # vocabulary size


@pytest.fixture(autouse=True)
def _seed():
    seed_everything(0)



def copy_weights(torch_core: nn.Module, scratch: RecurrentNet) -> None:
    """Load the torch core's weights into the scratch core, cell by cell."""
    d = scratch.num_directions
    for k, cell in enumerate(scratch.cells()):
        if isinstance(torch_core, ResidualStack):
            cell.load_torch_weights(torch_core.layers[k // d], layer=0, reverse=bool(k % d))
        else:
            cell.load_torch_weights(torch_core, layer=k // d, reverse=bool(k % d))


# --- make_core: every backend computes the same function ------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers, residual, bidirectional", [
    (1, False, False), (2, False, False), (3, True, False), (2, False, True), (3, True, True)])
def test_scratch_and_torch_cores_compute_the_same_function(kind, num_layers, residual, bidirectional):
    torch_core = make_core(kind, D if not residual else J, J, num_layers, "torch", bidirectional,
                           residual).double()
    scratch = make_core(kind, D if not residual else J, J, num_layers, "scratch", bidirectional,
                        residual).double()
    assert isinstance(scratch, RecurrentNet)
    assert isinstance(torch_core, ResidualStack if residual else CELLS[kind].torch_class)
    copy_weights(torch_core, scratch)
    inputs = xs(size=D if not residual else J)
    h0 = random_state(kind, num_layers * (2 if bidirectional else 1))
    assert_same(scratch(inputs, h0), torch_core(inputs, h0))
    assert_same(scratch(inputs), torch_core(inputs))


@pytest.mark.parametrize("kind", KINDS)
def test_every_core_reads_a_padded_batch_alike(kind):
    lengths = torch.tensor([T, 2, 4])
    scratch = make_core(kind, D, J, 2, "scratch", bidirectional=True).double()
    plain = make_core(kind, D, J, 2, "torch", bidirectional=True).double()
    copy_weights(plain, scratch)
    stack = ResidualStack.from_torch(plain)
    inputs = xs()
    want = scratch(inputs, lengths=lengths)
    assert_same(run_core(plain, inputs, lengths=lengths), want)
    assert_same(stack(inputs, lengths=lengths), want)
    assert float(want[0][1, 2:].detach().abs().max()) == 0.0          # padded outputs are zero


def test_make_core_errors_name_the_argument():
    with pytest.raises(ValueError, match="kind must be one of"):
        make_core("transformer", D, J)
    with pytest.raises(ValueError, match="backend must be one of"):
        make_core("gru", D, J, backend="cuda")
    with pytest.raises(ValueError, match="torch.nn has no 'simple_gru' module"):
        make_core("simple_gru", D, J, backend="torch")
    with pytest.raises(TypeError, match="residual must be True or False"):
        make_core("gru", D, J, residual="yes")
    with pytest.raises(ValueError, match="hidden_size must be a positive integer"):
        make_core("gru", D, 0)
    with pytest.raises(TypeError, match="expected torch.nn.RNN, GRU or LSTM"):
        run_core(nn.Linear(D, J), xs())


@pytest.mark.parametrize("kind", KINDS)
def test_split_and_join_state_are_inverses(kind):
    state = random_state(kind, 4)
    parts = split_state(state, 4, kind == "lstm", B, J)
    assert len(parts) == 4
    assert_same(join_state(parts, is_lstm=kind == "lstm"), state)
    with pytest.raises(ValueError, match=r"h_0 must have shape \(3, 3, 7\)"):
        split_state(state, 3, kind == "lstm", B, J)


def test_an_lstm_state_must_be_a_pair():
    with pytest.raises(TypeError, match="pair"):
        split_state(torch.zeros(2, B, J), 2, is_lstm=True)


def test_torch_class_is_the_one_map_from_kind_to_torch():
    assert [CELLS[k].torch_class for k in KINDS] == [nn.RNN, nn.GRU, nn.LSTM]
    assert CELLS["simple_gru"].torch_class is None
    import utils.models
    assert not hasattr(utils.models, "TORCH_MODULES") and not hasattr(utils.models, "make_core")


# --- ResidualStack ------------------------------------------------------------------------------
def test_residual_stack_adds_each_layers_input_after_the_first():
    stack = ResidualStack("gru", D, J, num_layers=3, residual=True).double()
    inputs = xs()
    zs, _ = stack.forward_layers(inputs)
    out1, _ = stack.layers[1](zs[0])
    torch.testing.assert_close(zs[1], out1 + zs[0])           # layer 1: output + input
    plain0, _ = stack.layers[0](inputs)
    torch.testing.assert_close(zs[0], plain0)                 # layer 0: no shortcut (D != J)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_split_stack_equals_the_multi_layer_torch_module(kind, bidirectional):
    module = CELLS[kind].torch_class(D, J, num_layers=3, batch_first=True,
                                     bidirectional=bidirectional).double()
    stack = ResidualStack.from_torch(module)
    inputs, h0 = xs(), random_state(kind, 3 * (2 if bidirectional else 1))
    assert_same(stack(inputs, h0), module(inputs, h0))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_residual_stack_equals_recurrent_net_with_residual(kind, bidirectional):
    stack = ResidualStack(kind, D, J, num_layers=4, residual=True, bidirectional=bidirectional).double()
    net = stack.to_recurrent_net()
    assert net.residual and net.num_layers == 4 and net.bidirectional == bidirectional
    inputs, h0 = xs(), random_state(kind, 4 * (2 if bidirectional else 1))
    assert_same(stack(inputs, h0), net(inputs, h0))
    assert_same(stack(inputs), net(inputs))


def test_residual_changes_the_function_but_not_the_parameters():
    module = nn.LSTM(D, J, 3, batch_first=True).double()
    plain, residual = ResidualStack.from_torch(module), ResidualStack.from_torch(module, residual=True)
    inputs = xs()
    assert not torch.allclose(plain(inputs)[0], residual(inputs)[0])
    # layer 1 has no shortcut, so its output (and final state) is the same in both
    torch.testing.assert_close(plain.forward_layers(inputs)[0][0], residual.forward_layers(inputs)[0][0])
    assert count_parameters(plain) == count_parameters(residual)


def test_residual_stack_errors():
    with pytest.raises(ValueError, match="kind must be one of"):
        ResidualStack("simple_gru", D, J)
    with pytest.raises(ValueError, match="num_layers must be a positive integer"):
        ResidualStack("lstm", D, J, num_layers=0)
    stack = ResidualStack("lstm", D, J, num_layers=2).double()
    with pytest.raises(TypeError, match="pair"):
        stack(xs(), torch.zeros(2, B, J, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"h_0 must have shape \(2, 3, 7\)"):
        stack(xs(), (torch.zeros(1, B, J, dtype=torch.float64),) * 2)
    with pytest.raises(ValueError, match="batch_first"):
        ResidualStack.from_torch(nn.LSTM(D, J))
    with pytest.raises(ValueError, match="bias=True"):
        ResidualStack.from_torch(nn.LSTM(D, J, bias=False, batch_first=True))
    with pytest.raises(TypeError, match="expected torch.nn.RNN, GRU or LSTM"):
        ResidualStack.from_torch(nn.Linear(D, J))


@pytest.mark.parametrize("kwargs", [dict(residual="no"), dict(residual=None), dict(bidirectional=1)])
def test_residual_and_bidirectional_must_be_booleans(kwargs):
    # before: residual="no" built a residual stack
    with pytest.raises(TypeError, match="must be True or False"):
        ResidualStack("gru", D, J, **kwargs)
    with pytest.raises(TypeError, match="must be True or False"):
        RecurrentNet("gru", D, J, **kwargs)


def test_an_empty_sequence_is_a_clear_error():
    with pytest.raises(ValueError, match="at least one time step"):
        ResidualStack("lstm", D, J)(torch.zeros(2, 0, D))


# --- CharLM ---------------------------------------------------------------------------------------
def char_lm_pair(kind, num_layers, residual, embedding_dim):
    """A scratch and a torch CharLM (float64) with the same weights."""
    scratch = CharLM(K, J, kind, num_layers, embedding_dim, "scratch", residual).double()
    fast = CharLM(K, J, kind, num_layers, embedding_dim, "torch", residual).double()
    copy_weights(fast.core, scratch.core)
    scratch.head.load_state_dict(fast.head.state_dict())
    if embedding_dim is not None:
        scratch.embedding.load_state_dict(fast.embedding.state_dict())
    return scratch, fast


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("num_layers, residual", [(1, False), (2, False), (3, True)])
@pytest.mark.parametrize("embedding_dim", [None, 4])
def test_char_lm_backends_agree_and_step_equals_forward(kind, num_layers, residual, embedding_dim):
    scratch, fast = char_lm_pair(kind, num_layers, residual, embedding_dim)
    idx = torch.randint(K, (B, T))
    logits, state = scratch(idx)
    assert logits.shape == (B, T, K)
    assert_same(fast(idx), (logits, state))
    for model in (scratch, fast):       # one token at a time, carrying the state
        carried, steps = None, []
        for t in range(T):
            out, carried = model.step(idx[:, t], carried)
            steps.append(out)
        assert_same((torch.stack(steps, dim=1), carried), (logits, state))


def test_char_lm_with_a_residual_torch_core_is_lab7s_deep_model():
    lm = CharLM(K, J, "lstm", num_layers=3, embedding_dim=4, backend="torch", residual=True)
    assert isinstance(lm.core, ResidualStack) and len(lm.core.layers) == 3
    passed_up, _ = lm.core.forward_layers(lm.embed(torch.randint(K, (2, 5))))
    assert len(passed_up) == 3 and passed_up[-1].shape == (2, 5, J)
    lstm = 4 * (J * 4 + J * J + 2 * J) + 2 * 4 * (J * J + J * J + 2 * J)
    assert count_parameters(lm) == K * 4 + lstm + J * K + K


@pytest.mark.parametrize("call, error, pattern", [
    (lambda m: m(torch.full((1, 3), K)), ValueError, r"token ids must lie in \[0, 11\)"),
    (lambda m: m(torch.full((1, 3), -1)), ValueError, r"token ids must lie in \[0, 11\)"),
    (lambda m: m(torch.zeros(1, 3)), TypeError, "integer token ids"),
    (lambda m: m(torch.zeros(3, dtype=torch.long)), ValueError, "must be 2-D"),
    (lambda m: m.step(torch.zeros(1, 3, dtype=torch.long)), ValueError, "must be 1-D"),
])
def test_char_lm_bad_ids_are_named(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call(CharLM(K, J, "gru"))


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(cell="transformer"), "cell must be one of"), (dict(backend="jax"), "backend must be one of"),
    (dict(hidden_size=0), "hidden_size must be a positive integer"),
    (dict(num_layers=0), "num_layers must be a positive integer"),
    (dict(embedding_dim=-1), "embedding_dim must be a positive integer"),
    (dict(vocab_size=0), "vocab_size must be a positive integer"),
])
def test_char_lm_bad_settings_are_named(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        CharLM(**{"vocab_size": K, **kwargs})


def test_the_device_property_lives_once_on_the_base():
    for model in (CharLM(K, J), SequenceClassifier(K, 2), SequenceTagger(K, 2), BigramLM(K)):
        assert isinstance(model, TokenModel) and model.device == torch.device("cpu")
        assert "device" not in type(model).__dict__
    with pytest.raises(ValueError, match="token ids must lie"):   # the bigram's ids are checked too
        BigramLM(K)(torch.full((1, 2), K))


# --- SequenceClassifier and SequenceTagger ------------------------------------------------------
def classifier_pair(kind, bidirectional, read=None):
    scratch = SequenceClassifier(K, 4, J, kind, 5, 2, "scratch", bidirectional, read).double()
    fast = SequenceClassifier(K, 4, J, kind, 5, 2, "torch", bidirectional, read).double()
    copy_weights(fast.core, scratch.core)
    for name in ("embedding", "head"):
        getattr(scratch, name).load_state_dict(getattr(fast, name).state_dict())
    return scratch, fast


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_backends_agree(kind, bidirectional):
    scratch, fast = classifier_pair(kind, bidirectional)
    idx = torch.randint(K, (B, T))
    logits = fast(idx)
    assert logits.shape == (B, 4)
    assert_same(scratch(idx), logits)
    lengths = torch.tensor([T, 3, 1])
    assert_same(scratch(idx, lengths), fast(idx, lengths))


def test_classifier_reads_with_a_custom_read():
    def mean_of_real_steps(output, lengths):
        real = torch.arange(output.shape[1])[None, :] < lengths[:, None]      # (B, T)
        return (output * real[..., None]).sum(1) / lengths[:, None]
    seen = []
    scratch, fast = classifier_pair("rnn", True, read=lambda o, n: seen.append(n) or mean_of_real_steps(o, n))
    idx, lengths = torch.randint(K, (B, T)), torch.tensor([2, T, 4])
    out, _ = scratch.core(scratch.embed(idx), lengths=lengths)
    want = scratch.head(mean_of_real_steps(out, lengths))
    assert_same(scratch(idx, lengths), want)
    assert_same(fast(idx, lengths), want)
    assert torch.equal(seen[0], lengths)
    scratch(idx)                                             # no lengths: every sequence is whole
    assert torch.equal(seen[-1], torch.full((B,), T))
    default, _ = classifier_pair("rnn", True)
    assert_same(default(idx), default.head(default.core(default.embed(idx))[0][:, -1]))


def test_classifier_bad_read_is_named():
    with pytest.raises(TypeError, match="read must be a function"):
        SequenceClassifier(K, 2, read="last")
    model = SequenceClassifier(K, 2, hidden_size=J, read=lambda output, lengths: output)
    with pytest.raises(ValueError, match=r"read\(output, lengths\) must have shape \(3, 7\)"):
        model(torch.randint(K, (B, T)))
    with pytest.raises(ValueError, match="every length must lie between 1 and"):
        SequenceClassifier(K, 2)(torch.randint(K, (B, T)), torch.tensor([0, 1, 2]))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_tagger_backends_agree(bidirectional):
    scratch = SequenceTagger(K, 3, J, "gru", 5, 2, bidirectional, "scratch").double()
    fast = SequenceTagger(K, 3, J, "gru", 5, 2, bidirectional, "torch").double()
    copy_weights(fast.core, scratch.core)
    for name in ("embedding", "head"):
        getattr(scratch, name).load_state_dict(getattr(fast, name).state_dict())
    idx = torch.randint(K, (B, T))
    assert_same(scratch(idx), fast(idx))
    assert fast(idx).shape == (B, T, 3)


def test_the_default_read_takes_each_sequences_last_real_position():
    torch.manual_seed(0)
    model = SequenceClassifier(7, 3, hidden_size=5, cell="gru", embedding_dim=4).double()
    ids = torch.randint(1, 7, (3, 6))
    lengths = torch.tensor([6, 2, 4])
    alone = torch.cat([model(ids[b:b + 1, :n]) for b, n in enumerate(lengths.tolist())])
    torch.testing.assert_close(model(ids, lengths=lengths), alone)


def test_a_torch_core_draws_its_weights_as_torch_would():
    """make_core draws no random numbers of its own: with one seed, the plain torch core,
    the torch module built directly and a ResidualStack of the same layers start alike."""
    torch.manual_seed(3)
    core = make_core("lstm", 5, 7, num_layers=2)
    torch.manual_seed(3)
    direct = nn.LSTM(5, 7, num_layers=2, batch_first=True)
    for (name, a), (_, b) in zip(core.named_parameters(), direct.named_parameters()):
        assert torch.equal(a, b), name


def test_run_core_runs_a_relu_rnn_that_no_cell_mirrors():
    torch.manual_seed(0)
    core = nn.RNN(3, 4, batch_first=True, nonlinearity="relu")
    xs = torch.randn(2, 5, 3)
    out, h_n = run_core(core, xs)
    expected, expected_h = core(xs)
    assert torch.equal(out, expected) and torch.equal(h_n, expected_h)
    with pytest.raises(ValueError, match="tanh"):
        RecurrentNet.from_torch(core)
