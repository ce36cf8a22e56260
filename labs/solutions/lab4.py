"""Reference solutions of Lab 4, "Build a GRU": one function per exercise.

scripts/sync_solutions.py copies each function into the notebook's hidden
"Show solution" block; tests/test_labs_execute.py runs the lab with them filled in.
"""
import numpy as np


def simplified_gru_step(x_t, c_prev, params):
    """One step of the simplified GRU.  x_t (D,), c_prev (J,) -> (c_t, gate_u)"""
    p = params
    gate_u = 1 / (1 + np.exp(-(p["W_u"] @ c_prev + p["U_u"] @ x_t + p["b_u"])))
    c_tilde = np.tanh(p["W_c"] @ c_prev + p["U_c"] @ x_t + p["b_c"])
    c_t = gate_u * c_tilde + (1 - gate_u) * c_prev   # gate near 0: keep the cell
    return c_t, gate_u


def gru_step(x_t, c_prev, params):
    """One step of the full GRU, relevance gate before W_c.  -> (c_t, gate_u)"""
    p = params
    gate_r = 1 / (1 + np.exp(-(p["W_r"] @ c_prev + p["U_r"] @ x_t + p["b_r"])))
    gate_u = 1 / (1 + np.exp(-(p["W_u"] @ c_prev + p["U_u"] @ x_t + p["b_u"])))
    c_tilde = np.tanh(p["W_c"] @ (gate_r * c_prev)  # Γr scales the old cell
                      + p["U_c"] @ x_t + p["b_c"])
    c_t = gate_u * c_tilde + (1 - gate_u) * c_prev
    return c_t, gate_u


def params_from_torch_gru(gru):
    """The course's 10 arrays (reset after) from layer 0 of a torch.nn.GRU."""
    J = gru.hidden_size
    w_ih = gru.weight_ih_l0.detach().numpy()   # (3J, D): row blocks r, z, n
    w_hh = gru.weight_hh_l0.detach().numpy()   # (3J, J), same blocks
    b_ih = gru.bias_ih_l0.detach().numpy()
    b_hh = gru.bias_hh_l0.detach().numpy()
    r, z, n = slice(0, J), slice(J, 2 * J), slice(2 * J, 3 * J)
    return {
        "U_r": w_ih[r].copy(), "W_r": w_hh[r].copy(), "b_r": b_ih[r] + b_hh[r],
        # Γu = 1 - z = σ(-a_z): negate z's weights AND biases
        "U_u": -w_ih[z], "W_u": -w_hh[z], "b_u": -(b_ih[z] + b_hh[z]),
        "U_c": w_ih[n].copy(), "W_c": w_hh[n].copy(),
        "b_c": b_ih[n].copy(),                  # b_in, outside the reset product
        "b_hc": b_hh[n].copy(),                 # b_hn, inside it: keep apart
    }


def gru_forward_reset_after(xs, c0, params):
    """PyTorch's GRU in the course's convention over xs (T, D) from c0 (J,)."""
    p = params
    T, J = len(xs), len(c0)
    cs, gates_u = np.zeros((T, J)), np.zeros((T, J))
    c = c0                                      # start from the GIVEN state
    for t in range(T):
        x_t = xs[t]
        gate_r = 1 / (1 + np.exp(-(p["W_r"] @ c + p["U_r"] @ x_t + p["b_r"])))
        gate_u = 1 / (1 + np.exp(-(p["W_u"] @ c + p["U_u"] @ x_t + p["b_u"])))
        c_tilde = np.tanh(p["U_c"] @ x_t + p["b_c"]
                          + gate_r * (p["W_c"] @ c + p["b_hc"]))  # reset AFTER
        c = gate_u * c_tilde + (1 - gate_u) * c  # a new array: c0 stays
        cs[t], gates_u[t] = c, gate_u
    return cs, gates_u
