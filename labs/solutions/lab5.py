"""Reference solutions of Lab 5, "Build an LSTM": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them filled in.
"""
import numpy as np


def lstm_cell_forward(x_t, h_prev, c_prev, params):
    """One LSTM step.  x_t (D,), h_prev (J,), c_prev (J,) -> (h_t, c_t)"""
    def pre(gate):                             # W_* h_prev + U_* x_t + b_*, (J,)
        return (params["W_" + gate] @ h_prev + params["U_" + gate] @ x_t
                + params["b_" + gate])

    f = 1 / (1 + np.exp(-pre("f")))            # forget gate, between 0 and 1
    i = 1 / (1 + np.exp(-pre("i")))            # input (write) gate
    o = 1 / (1 + np.exp(-pre("o")))            # output (read) gate
    c_tilde = np.tanh(pre("c"))                # candidate, between -1 and 1
    c_t = f * c_prev + i * c_tilde             # keep some of the old, write some new
    h_t = o * np.tanh(c_t)                     # read the squashed cell
    return h_t, c_t


def lstm_forward(xs, h0, c0, params):
    """Every state of the sequence.  xs (T, D), h0 (J,), c0 (J,) -> hs (T, J), cs (T, J)"""
    T, J = len(xs), len(h0)
    hs, cs = np.zeros((T, J)), np.zeros((T, J))
    h, c = h0, c0                              # start from the GIVEN state
    for t in range(T):
        h, c = lstm_cell_forward(xs[t], h, c, params)   # both carry over
        hs[t], cs[t] = h, c
    return hs, cs


def params_from_torch_lstm(lstm):
    """The course's 12 arrays from layer 0 of a torch.nn.LSTM."""
    J = lstm.hidden_size
    U = lstm.weight_ih_l0.detach().numpy()     # (4J, D): row blocks i, f, g, o
    W = lstm.weight_hh_l0.detach().numpy()     # (4J, J), same blocks
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()   # both biases
    params = {}
    for m, gate in enumerate(["i", "f", "c", "o"]):   # PyTorch's g is our c~
        rows = slice(m * J, (m + 1) * J)       # block m: J rows
        params["U_" + gate] = U[rows].copy()   # copies: later training of
        params["W_" + gate] = W[rows].copy()   # the module won't change them
        params["b_" + gate] = b[rows].copy()
    return params


def char_lstm_step(token, h_prev, c_prev, lm):
    """One step of a character LSTM: (logits (K,), h_t (J,), c_t (J,))."""
    x_t = lm["E"][token]                       # the token's embedding, row `token`
    h_t, c_t = lstm_cell_forward(x_t, h_prev, c_prev, lm["lstm"])
    logits = lm["V"] @ h_t + lm["b_y"]         # s_t = V h_t + b_y: reads h_t
    return logits, h_t, c_t
