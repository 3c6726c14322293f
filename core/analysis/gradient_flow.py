"""Gradient norms through time, measured with autograd on an unrolled model (through the
full or the truncated graph), and the closed forms for a linear recurrence they are checked
against.

For h_t = a·h_{t-1} + W x_t the Jacobian dh_{t+1}/dh_t is a·I, so
dL/dh_t = Σ_{s≥t} a^(s-t)·g_s with g_s the read-out gradient of step s's loss: with a loss on
the last step only (many-to-one) dL/dh_t = a^(T-t)·dL/dh_T; with a loss at every step
(many-to-many, equal per-step read-out gradient g) dL/dh_1 = g·Σ_{k=0}^{T-1} a^k.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.models.instrumented import unroll
from core.models.recurrent import RecurrentClassifier
from core.tasks.recall import IGNORE


@dataclass
class GradientProfile:
    hidden_norms: list  # mean over the batch of ||dL/dh_t||, index 0 = first timestep
    input_norms: list  # mean over the batch of ||dL/dx_t||
    gate_means: dict  # gate name -> mean activation per timestep
    gate_units: dict  # gate name -> (T, H) mean over the batch, for a per-unit heatmap


def sequence_loss(logits: torch.Tensor, target: torch.Tensor, target_seq: torch.Tensor,
                  supervision: str, reduction: str = "mean") -> torch.Tensor:
    if supervision == "many_to_one":
        return F.cross_entropy(logits[:, -1], target, reduction=reduction)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target_seq.reshape(-1),
                           ignore_index=IGNORE, reduction=reduction)


def gradient_norms_through_time(model: RecurrentClassifier, x: torch.Tensor,
                                target: torch.Tensor, target_seq: torch.Tensor,
                                supervision: str, tbptt_k: int = 0) -> GradientProfile:
    """Backpropagate the summed (per-example) loss through the unrolled sequence and report
    the size of the gradient reaching each hidden state and each input.

    tbptt_k = 0 backpropagates through the full sequence. With 0 < tbptt_k < T the replay
    detaches the state exactly where training does (RecurrentClassifier.forward(x, tbptt_k)),
    so this is the gradient truncated training actually receives: with the loss on the last
    step only, it is exactly zero at every t < T - tbptt_k."""
    x = x.detach().clone().requires_grad_(True)
    run = unroll(model, x, tbptt_k)
    loss = sequence_loss(run.logits, target, target_seq, supervision, reduction="sum")
    loss.backward()
    model.zero_grad(set_to_none=True)
    # A state no loss reaches (behind a truncation cut) has no gradient at all: norm 0.
    hidden_norms = [float(h.grad.norm(dim=1).mean()) if h.grad is not None else 0.0
                    for h in run.hidden]
    input_norms = x.grad.norm(dim=2).mean(0).tolist()
    gate_means = {k: v.mean(dim=(0, 2)).tolist() for k, v in run.gates.items()}
    gate_units = {k: v.mean(0).tolist() for k, v in run.gates.items()}
    return GradientProfile(hidden_norms, input_norms, gate_means, gate_units)


def linear_gradient_at_first_step(a: float, T: int, supervision: str, width: int = 4) -> float:
    """Measure ||dL/dh_1|| / ||g|| by autograd on h_t = a·h_{t-1} + x_t, with L = Σ g·h_k
    over the supervised steps (the last only, or all)."""
    g = torch.ones(width, dtype=torch.float64, device="cpu") / width ** 0.5
    # any h_1 gives the same ratio (the map is affine); a fixed one keeps runs reproducible
    h1 = torch.linspace(-1.0, 1.0, width, dtype=torch.float64, device="cpu").requires_grad_()
    h, loss = h1, (h1 * g).sum() if supervision == "many_to_many" else 0.0
    for _ in range(T - 1):
        h = a * h + 0.1
        if supervision == "many_to_many":
            loss = loss + (h * g).sum()
    if supervision == "many_to_one":
        loss = (h * g).sum()
    (grad,) = torch.autograd.grad(loss, h1)
    return float(grad.norm() / g.norm())


def linear_gradient_closed_form(a: float, T: int, supervision: str) -> float:
    """|a|^(T-1) for many-to-one; |Σ_{k=0}^{T-1} a^k| for many-to-many."""
    if supervision == "many_to_one":
        return abs(a) ** (T - 1)
    if a == 1.0:
        return float(T)
    return abs((1 - a ** T) / (1 - a))


def readout_gradients(model: RecurrentClassifier, states: torch.Tensor, target: torch.Tensor,
                      target_seq: torch.Tensor, supervision: str,
                      reduction: str = "sum") -> torch.Tensor:
    """g_s = ∂L/∂h_s through step s's own read-out only, (B, T, H), by the softmax formula.

    For z_s = W h_s + b and cross-entropy, ∂ℓ_s/∂h_s = W^T (softmax(z_s) - e_{y_s}). Which
    steps carry a loss is `sequence_loss`'s rule: the last step only (many-to-one), or every
    step whose target is not IGNORE, i.e. from the mark on (many-to-many). reduction="sum"
    adds the per-step losses (what the gradient measurement uses); "mean" divides by their
    number N in the batch (B for many-to-one, the count of supervised steps otherwise), as
    training's loss does.
    """
    with torch.no_grad():
        logits = model.head(states)
        B, T, C = logits.shape
        if supervision == "many_to_one":
            labels = torch.full((B, T), IGNORE, dtype=torch.long, device=states.device)
            labels[:, -1] = target
        else:
            labels = target_seq
        supervised = labels != IGNORE
        residual = torch.softmax(logits, -1)
        residual -= F.one_hot(labels.clamp_min(0), C).to(residual.dtype)
        residual *= supervised.unsqueeze(-1)
        if reduction == "mean":
            residual /= supervised.sum()
        return residual @ model.head.weight


def linear_cell_gradients_closed_form(a: float, readout: torch.Tensor) -> torch.Tensor:
    """dL/dh_t = Σ_{s=t}^{T} a^(s-t)·g_s for the linear cell h_s = a·h_{s-1} + W x_s + b.

    Every path from h_t to the loss at step s ≥ t crosses s - t steps whose Jacobian is a·I,
    and the losses add, so the gradient at t is the a-discounted sum of the read-out
    gradients g_s (`readout_gradients`) at t and after. Many-to-one: only g_T is non-zero,
    giving a^(T-t)·g_T, the familiar |a|^(T-t) decay. Many-to-many: every step from the mark
    on adds its own term, so the gradient does not simply decay from the end; with equal g_s
    it is the geometric sum (1 - a^(T-t+1))/(1 - a) (see `linear_gradient_profile`).
    readout: (B, T, H) -> (B, T, H) in float64.
    """
    T = readout.shape[1]
    # float64: a^(s-t) leaves float32's range once (s-t)·ln|a| > 88, e.g. s-t = 219 at |a| = 1.5
    s = torch.arange(T, dtype=torch.float64, device=readout.device)
    lag = s.unsqueeze(0) - s.unsqueeze(1)  # [t, s] = s - t
    powers = torch.where(lag >= 0, torch.as_tensor(a, dtype=torch.float64) ** lag.clamp_min(0),
                         torch.zeros((), dtype=torch.float64))
    return torch.einsum("ts,bsh->bth", powers, readout.to(torch.float64))


def linear_cell_gradient_norms(model: RecurrentClassifier, x: torch.Tensor, target: torch.Tensor,
                               target_seq: torch.Tensor, supervision: str,
                               reduction: str = "sum") -> list:
    """The theory curve for the linear cell: mean over the batch of ||Σ_{s≥t} a^(s-t) g_s||
    per timestep, from one forward pass (no backpropagation through time). It equals what
    `gradient_norms_through_time` measures whenever the model is the linear recurrence."""
    if model.cell != "linear":
        raise ValueError(f"the closed form holds for the linear cell only, not {model.cell!r}")
    with torch.no_grad():
        states, _ = model.core(x)
    g = readout_gradients(model, states, target, target_seq, supervision, reduction)
    return linear_cell_gradients_closed_form(float(model.core.a), g).norm(dim=2).mean(0).tolist()


def linear_gradient_profile(a: float, T: int, supervision: str, first_supervised: int = 0) -> list:
    """||dL/dh_t|| / ||g|| for t = 1..T when every supervised step has the same read-out
    gradient g: a^(T-t) for many-to-one; Σ_{s=max(t,m)}^{T} a^(s-t) for many-to-many with
    losses from step m = first_supervised + 1 on, i.e. a^(m-t)·(1 - a^(T-m+1))/(1 - a) before
    the mark and (1 - a^(T-t+1))/(1 - a) after it (T - t + 1 terms when a = 1)."""
    out = []
    for t in range(T):
        if supervision == "many_to_one":
            out.append(abs(a) ** (T - 1 - t))
            continue
        start = max(t, first_supervised)
        out.append(abs(sum(a ** (s - t) for s in range(start, T))))
    return out


# PyTorch's row blocks of weight_hh_l0, in order.
GATE_BLOCKS = {"rnn": ("tanh",), "lstm": ("input", "forget", "cell", "output"),
               "gru": ("reset", "update", "candidate")}


def spectral_radius_by_gate(model: RecurrentClassifier) -> dict:
    """Largest |eigenvalue| of each gate's recurrent block W_h·, as {gate: radius}.

    For the tanh RNN the one block is the whole story: dh_t/dh_{t-1} = diag(1 - h_t²)·W_hh,
    so ρ(W_hh) > 1 is needed for gradients not to vanish over long spans. For LSTM and GRU a
    block only scales how strongly h_{t-1} moves that gate's pre-activation; the memory path's
    Jacobian is set by the gate values (the LSTM's c_t carries diag(f_t)), so no single radius
    predicts the decay, and the maximum over blocks mixes quantities of different roles. The
    linear cell's recurrent matrix is a·I: {"a": |a|}.
    """
    if model.cell == "linear":
        return {"a": abs(float(model.core.a))}
    w = model.core.weight_hh_l0.detach().to("cpu", torch.float64)
    blocks = w.split(model.hidden, dim=0)
    return {name: float(torch.linalg.eigvals(b).abs().max())
            for name, b in zip(GATE_BLOCKS[model.cell], blocks)}


def linear_sweep(a_values, lengths) -> dict:
    """The gradient reaching h_1 as T grows, for each a and both supervisions: measured by
    autograd beside the closed form (the Supervision figures of Gradient Flow)."""
    curves = {}
    for a in a_values:
        for sup in ("many_to_one", "many_to_many"):
            curves[f"{sup}|{a}"] = {
                "measured": [linear_gradient_at_first_step(a, T, sup) for T in lengths],
                "closed_form": [linear_gradient_closed_form(a, T, sup) for T in lengths]}
    return {"T": list(lengths), "curves": curves}
