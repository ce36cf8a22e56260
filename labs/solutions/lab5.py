"""Reference solutions of Lab 5, "Build an LSTM": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them filled in.
"""
import numpy as np
import torch


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


def lstm_cell_backward(dh_t, dc_t, x_t, h_prev, c_prev, params):
    """One step back through the LSTM cell, given dL/dh_t and dL/dc_t: a dict of gradients."""
    def pre(gate):                             # the forward step again: W_* h_prev + U_* x_t + b_*
        return (params["W_" + gate] @ h_prev + params["U_" + gate] @ x_t
                + params["b_" + gate])

    f = 1 / (1 + np.exp(-pre("f")))
    i = 1 / (1 + np.exp(-pre("i")))
    o = 1 / (1 + np.exp(-pre("o")))
    c_tilde = np.tanh(pre("c"))
    c_t = f * c_prev + i * c_tilde
    tanh_c = np.tanh(c_t)

    do = dh_t * tanh_c                         # h_t = o * tanh(c_t)
    dc = dc_t + dh_t * o * (1 - tanh_c ** 2)   # both paths into c_t: its own and through h_t
    da = {"f": dc * c_prev * f * (1 - f),      # back through sigma: sigma' = s (1 - s)
          "i": dc * c_tilde * i * (1 - i),
          "o": do * o * (1 - o),
          "c": dc * i * (1 - c_tilde ** 2)}    # back through tanh: tanh' = 1 - tanh^2
    grads = {}
    for gate in ["f", "i", "o", "c"]:
        grads["dU_" + gate] = np.outer(da[gate], x_t)      # (J, D), like U_*
        grads["dW_" + gate] = np.outer(da[gate], h_prev)   # (J, J), like W_*
        grads["db_" + gate] = da[gate]
    grads["dx"] = sum(params["U_" + g].T @ da[g] for g in da)        # all four gates read x_t
    grads["dh_prev"] = sum(params["W_" + g].T @ da[g] for g in da)   # ... and h_prev
    grads["dc_prev"] = dc * f                  # the cell path: dc_t/dc_prev = f_t
    return grads


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


def set_forget_bias(lstm, value):
    """b_f = value in every layer and direction of a torch.nn.LSTM, in place; returns the lstm."""
    if not lstm.bias:
        raise ValueError("this LSTM has no biases (it was built with bias=False)")
    J = lstm.hidden_size
    directions = ["", "_reverse"] if lstm.bidirectional else [""]
    with torch.no_grad():                      # write into the parameters themselves
        for layer in range(lstm.num_layers):
            for suffix in directions:
                # rows J:2J, block 1 of i, f, g, o; only the sum of the two biases counts
                getattr(lstm, f"bias_ih_l{layer}{suffix}")[J:2 * J] = value
                getattr(lstm, f"bias_hh_l{layer}{suffix}")[J:2 * J] = 0.0
    return lstm
