"""Variable-length batches: utils.recurrent with `lengths` equals torch's packed sequences.

A right-padded batch run through torch.nn.RNN/GRU/LSTM as a PackedSequence
(pack_padded_sequence, then pad_packed_sequence) is the reference: every direction reads
only the real steps of each sequence, the outputs at padded steps are zero and h_n holds the
state after each sequence's own last step. The course's wrappers take `lengths` and must
give the same numbers (float64), the same gradients, and refuse malformed lengths.
"""
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from utils import cells, recurrent

MODULES = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
LENGTHS = {  # B = 4 sequences padded to T = 7, unsorted, with ties, 1 and T
    "mixed": [7, 3, 1, 5],
    "all full": [7, 7, 7, 7],
    "none full": [2, 6, 6, 4],     # max < T: pad_packed_sequence needs total_length=T
    "all one": [1, 1, 1, 1],
}
B, T, D, J = 4, 7, 3, 5


def packed_torch(module, xs, lengths, state=None):
    """torch's answer on the packed batch, padded back to T steps."""
    packed = pack_padded_sequence(xs, lengths, batch_first=True, enforce_sorted=False)
    out, final = module(packed, state)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=xs.shape[1])
    return out, final


def inputs(seed=0, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    xs = torch.randn(B, T, D, dtype=torch.float64, generator=g)
    return xs.requires_grad_(requires_grad)


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def assert_same_run(output, final, expected, expected_final):
    """Outputs and final states equal to float64 rounding."""
    torch.testing.assert_close(output, expected, rtol=1e-12, atol=1e-12)
    for got, want in zip(as_tuple(final), as_tuple(expected_final)):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", list(MODULES))
@pytest.mark.parametrize("name", list(LENGTHS))
@pytest.mark.parametrize("num_layers", [1, 2])
def test_the_net_equals_packed_torch_modules(kind, name, num_layers):
    torch.manual_seed(0)
    module = MODULES[kind](D, J, num_layers=num_layers, batch_first=True,
                           bidirectional=True).double()
    ours = recurrent.RecurrentNet.from_torch(module)
    xs, lengths = inputs(), torch.tensor(LENGTHS[name])
    with torch.no_grad():
        expected, expected_final = packed_torch(module, xs, lengths)
        output, final = ours(xs, lengths=lengths)
    assert_same_run(output, final, expected, expected_final)


@pytest.mark.parametrize("kind", list(MODULES))
def test_unidirectional_nets_and_initial_states_match_too(kind):
    torch.manual_seed(1)
    module = MODULES[kind](D, J, batch_first=True).double()
    ours = recurrent.RecurrentNet.from_torch(module)
    xs, lengths = inputs(1), torch.tensor(LENGTHS["mixed"])
    h0 = torch.randn(1, B, J, dtype=torch.float64)
    state = (h0, torch.randn_like(h0)) if kind == "lstm" else h0
    with torch.no_grad():
        expected, expected_final = packed_torch(module, xs, lengths, state)
        output, final = ours(xs, state, lengths=lengths)
    assert_same_run(output, final, expected, expected_final)


@pytest.mark.parametrize("kind", list(MODULES))
def test_bidirectional_layer_starts_the_backward_pass_at_the_last_real_step(kind):
    torch.manual_seed(2)
    module = MODULES[kind](D, J, batch_first=True, bidirectional=True).double()
    f = cells.make_cell(kind, D, J).double().load_torch_weights(module)
    b = cells.make_cell(kind, D, J).double().load_torch_weights(module, reverse=True)
    layer = recurrent.Bidirectional(f, b)
    xs, lengths = inputs(2), torch.tensor(LENGTHS["mixed"])
    with torch.no_grad():
        output, (fwd, bwd) = layer(xs, lengths=lengths)
        for row, n in enumerate(lengths.tolist()):      # each sequence alone, unpadded
            alone, (fwd1, bwd1) = layer(xs[row:row + 1, :n])
            torch.testing.assert_close(output[row, :n], alone[0], rtol=1e-12, atol=1e-12)
            assert torch.equal(output[row, n:], torch.zeros_like(output[row, n:]))
            torch.testing.assert_close(f.hidden(fwd)[row], f.hidden(fwd1)[0])
            torch.testing.assert_close(b.hidden(bwd)[row], b.hidden(bwd1)[0])
            # the summary of a padded batch: forward at length - 1, backward at 0
            torch.testing.assert_close(f.hidden(fwd)[row], output[row, n - 1, :J])
            torch.testing.assert_close(b.hidden(bwd)[row], output[row, 0, J:])


def test_without_lengths_the_backward_direction_reads_the_padding_first():
    torch.manual_seed(3)
    module = nn.GRU(D, J, batch_first=True, bidirectional=True).double()
    ours = recurrent.RecurrentNet.from_torch(module)
    xs, lengths = inputs(3), torch.tensor(LENGTHS["mixed"])
    with torch.no_grad():
        padded, _ = ours(xs)                      # pads read as if they were inputs
        packed, _ = ours(xs, lengths=lengths)
    short = 1                                      # length 3 of 7
    assert not torch.allclose(padded[short, 0, J:], packed[short, 0, J:])
    full = 0                                       # length T: nothing differs
    torch.testing.assert_close(padded[full], packed[full], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", list(MODULES))
def test_gradients_equal_the_packed_torch_modules(kind):
    torch.manual_seed(4)
    module = MODULES[kind](D, J, batch_first=True, bidirectional=True).double()
    ours = recurrent.RecurrentNet.from_torch(module)
    lengths = torch.tensor(LENGTHS["mixed"])
    weights = torch.randn(B, T, 2 * J, dtype=torch.float64)

    def loss_and_grads(model, run):
        xs = inputs(4, requires_grad=True)
        output, final = run(model, xs)
        loss = (weights * output).sum() + sum((h ** 2).sum() for h in as_tuple(final))
        params = list(model.parameters())
        return torch.autograd.grad(loss, [xs] + params)

    theirs = loss_and_grads(module, lambda m, xs: packed_torch(m, xs, lengths))
    mine = loss_and_grads(ours, lambda m, xs: m(xs, lengths=lengths))
    torch.testing.assert_close(mine[0], theirs[0], rtol=1e-10, atol=1e-12)   # d loss / d xs
    assert torch.equal(mine[0][1, 3:], torch.zeros_like(mine[0][1, 3:]))     # pads: no gradient
    # parameters: ours per cell, in PyTorch's order (l0, l0_reverse), theirs per tensor
    theirs_by_name = dict(zip([n for n, _ in module.named_parameters()], theirs[1:]))
    ours_by_name = dict(zip([n for n, _ in ours.named_parameters()], mine[1:]))
    for k, cell in enumerate(ours.cells()):
        suffix = "_reverse" if k % 2 else ""
        probe = type(module)(D, J, batch_first=True, bidirectional=True).double()
        with torch.no_grad():                     # load a module from the gradients, then compare
            for name, p in probe.named_parameters():
                p.copy_(theirs_by_name[name])
                if "bias_hh" in name:             # ours adds bias_ih + bias_hh into one bias b:
                    summed = 2 * J if kind == "gru" else p.numel()   # its gradient is either's
                    p[:summed] = 0
        expected_cell = cells.make_cell(kind, D, J).double().load_torch_weights(
            probe, reverse=bool(suffix))
        prefix = f"layers.0.{'backward_pass' if k % 2 else 'forward_pass'}.cell."
        for name, expected in expected_cell.named_parameters():
            torch.testing.assert_close(ours_by_name[prefix + name], expected,
                                       rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("lengths, error, match", [
    ([3, 2, 1, 4], TypeError, "torch.Tensor"),
    (torch.tensor([3.0, 2.0, 1.0, 4.0]), TypeError, "integers"),
    (torch.tensor([True, True, True, True]), TypeError, "integers"),
    (torch.tensor([3, 2, 1]), ValueError, r"shape \(4,\)"),
    (torch.tensor([[3, 2, 1, 4]]), ValueError, r"shape \(4,\)"),
    (torch.tensor([3, 0, 1, 4]), ValueError, "between 1 and"),
    (torch.tensor([3, 2, 1, 8]), ValueError, "T = 7"),
    (torch.tensor([3, -2, 1, 4]), ValueError, "between 1 and"),
])
def test_malformed_lengths_are_refused(lengths, error, match):
    net = recurrent.RecurrentNet("gru", D, J, bidirectional=True).double()
    with pytest.raises(error, match=match):
        net(inputs(), lengths=lengths)
    with pytest.raises(error, match=match):
        recurrent.Unrolled(cells.make_cell("rnn", D, J).double())(inputs(), lengths=lengths)


def test_lengths_of_any_integer_dtype_or_device_side_are_accepted():
    net = recurrent.RecurrentNet("lstm", D, J, bidirectional=True).double()
    xs = inputs()
    with torch.no_grad():
        a, _ = net(xs, lengths=torch.tensor([7, 3, 1, 5]))
        b, _ = net(xs, lengths=torch.tensor([7, 3, 1, 5], dtype=torch.int32))
    assert torch.equal(a, b)


def test_full_lengths_change_nothing():
    net = recurrent.RecurrentNet("lstm", D, J, num_layers=2, bidirectional=True,
                                 residual=True).double()
    xs = inputs()
    with torch.no_grad():
        a, (h_a, c_a) = net(xs)
        b, (h_b, c_b) = net(xs, lengths=torch.full((B,), T))
    assert torch.equal(a, b) and torch.equal(h_a, h_b) and torch.equal(c_a, c_b)
