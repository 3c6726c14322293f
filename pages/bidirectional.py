"""Bidirectional RNNs: causality, the exact causal bound, future masking, short gradient paths."""
import streamlit as st

from core.labs import get_lab
from core.labs.bidirectional import tag_typed
from core.tasks.direction import CAUSAL_BOUND_FORMULA, symbol_names
from core.text_limits import BIDIRECTIONAL_INPUT_MAX_CHARS
from core.viz import bidirectional as viz
from ui.escape import escape_markdown
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel

LAB = get_lab("bidirectional")

THEORY = r"""
**Causal and bidirectional readers.** A forward RNN computes
$\overrightarrow{h}_t = f(\overrightarrow{h}_{t-1}, x_t)$, so its output at $t$ is a function of
$x_{1..t}$ only: it is *causal*. A bidirectional RNN (Schuster & Paliwal, 1997) adds a second
pass read from the end, $\overleftarrow{h}_t = g(\overleftarrow{h}_{t+1}, x_t)$, and the output
layer sees both, $z_t = W_f \overrightarrow{h}_t + W_b \overleftarrow{h}_t + b$. Here both models
have the same number of hidden units $H$: the bidirectional one gives $H/2$ to each pass. The
price: it needs the whole sequence before it can answer, so it cannot run in real time.

**The causal bound.** Symbols at different positions are drawn independently. When the label
at $t$ depends only on a symbol $d$ steps ahead, nothing a causal model has read tells it
anything about the label, so its best rule is to always give the label's most common value.
On *lookahead* ($y_t = x_{t+d}$, uniform over $K$ symbols) that is right a fraction $1/K$ of the
time. On *disambiguation* the ambiguous symbol's sense is the parity of the symbol $d$ steps
later; that symbol is the ambiguous one (even) a quarter of the time and otherwise uniform over
the other $K-1$, of which $\lfloor (K-1)/2 \rfloor$ are even, so with

$$p = P(\text{sense } 0) = \frac{1}{4} + \frac{3}{4}\cdot\frac{\lfloor (K-1)/2 \rfloor}{K-1}$$

the causal bound is $\max(p, 1-p)$, which is $5/8$ for every odd $K$, $1/2$ at $K=4$, $0.55$
at $K=6$. A bidirectional model reads the deciding symbol in its backward pass, $d$ steps before
it reaches $t$, and can be perfect.

**Future masking.** Hiding the future inputs of the backward pass with probability $p$ during
training moves the model between the two extremes. At a masked position the backward state is
computed as if $x_{t+1..T}$ were blank. If the target is causal, the backward pass's view of the
future is useless and the output layer learns to ignore it; with $p=1$ it never sees a future at
all. We measure the backward share
$\mathrm{Var}(W_b \overleftarrow{h}) / (\mathrm{Var}(W_f \overrightarrow{h}) + \mathrm{Var}(W_b \overleftarrow{h}))$
over test positions: a constant contribution is just a bias, so variance is what carries
information.

**Short gradient paths.** For a label that depends on the first token, the forward pass must
carry $x_1$ through $T-1$ steps, and the gradient returning to it is multiplied by $T-1$
Jacobians. The backward pass reads $x_1$ at its last step: a path of length one. Palindromes
show the same idea: read from the final states, the forward pass holds $x_{T+1-i}$ and the
backward pass holds $x_i$ at the same age, so each mirrored pair is compared between equally
fresh memories.

#### Where the theory comes from

- **Causal bound, lookahead: $1/K$.** Assumes symbols i.i.d. uniform over $K$ and a label that
  is the symbol $d \ge 1$ steps ahead. Checked in `tests/test_causal_bound.py` against the best
  causal predictor counted on the task's own sampler (the majority label for every visible past
  and position, fitted on one sample and scored on another), for every $K$ the lab allows.
- **Causal bound, disambiguation: $\max(p, 1-p)$, $p$ as above.** Assumes positions drawn
  independently, the ambiguous symbol at rate $1/4$ and the others uniform. Checked the same way
  for every $K \ge 3$, and by hand ($5/8$, $1/2$, $0.55$, $4/7$ at $K = 3, 4, 6, 8$) with the
  sampler's share of even symbols.
- **How far above the bound a causal model may land.** Given everything before it, each test
  label is right with some probability $q \le b$, and here $q(1-q) = b(1-b)$ (lookahead:
  $q = 1/K$ for any rule; disambiguation: $q$ is $p$ or $1-p$). So over $n$ labels the accuracy
  exceeds $b$ by at most a mean of $n$ uncorrelated terms of variance $b(1-b)$: standard
  deviation $\sqrt{b(1-b)/n}$. The run counts a causal model as held at the bound within a few
  of those (how many is shown with the accuracy bars). Checked in
  `tests/test_bidirectional_measures.py`: a causal rule that reads the past has that spread
  over many test sets.
- **A masked backward state sees no future.** Exact by construction, checked in
  `tests/test_bidirectional_measures.py` against a backward pass over the sequence with its
  future blanked, for GRU and LSTM. So the bidirectional model read with every future hidden
  is causal, and the bound applies to it too.
- **The backward path to $x_1$ is short.** Not a formula: the gradients are measured by
  autograd, checked against finite differences, and the two paths add up to the gradient of the
  fused model (`tests/test_bidirectional_measures.py`).
"""

TASK_STORY = {
    "lookahead": "tag each position with the symbol {d} steps ahead",
    "causal": "tag each position with the symbol {d} steps back",
    "disambiguation": "give the sense of the ambiguous symbol a, set by the parity of the "
                      "symbol {d} steps later",
    "palindrome": "say whether a sequence is a palindrome",
    "first_token": "name the first symbol of the sequence",
}


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    story = TASK_STORY[config.task].format(d=config.offset)
    model = "bidirectional" if config.direction == "bi" else "causal (forward-only)"
    rival = ", and the other direction beside it (same size, seed and data)" \
        if config.compare else ""
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS, idle=(
        f"Press **Train** to {story} ({config.symbols} symbols, T = {config.seq_len}) with a "
        f"{model} {config.cell.upper()}{rival}."))
    if result is not None:
        numbers(result)
    sections(frame, result, {
        "Accuracy by model": accuracy_by_model,
        "Gradient paths": gradient_paths,
        "Look inside": look_inside,
    }, THEORY, study_views={"mask_sweep": mask_sweep})


def _bound_text(m: dict, task: str) -> str:
    if "causal_bound" not in m:
        return "The dotted line is a uniform guess; this task has no causal bound."
    return (f"The dashed line is the causal bound {CAUSAL_BOUND_FORMULA[task]} = "
            f"{m['causal_bound']:.3f}: the best any model that reads only the past can do.")


def numbers(result) -> None:
    m, task = result.metrics, result.config["task"]
    how_to_read(f"left, the training loss of each model; right, each model's accuracy on "
                f"{m['validation_sequences']} validation sequences as it trains (lines), then "
                f"on {m['test_sequences']} fresh test sequences (stars); the diamond is the "
                f"bidirectional model read with every position's future hidden. "
                + _bound_text(m, task))
    cols = st.columns(5)
    for col, d in zip(cols, ("bi", "uni")):
        if d in m["by_direction"]:
            col.metric(f"Test accuracy, {d}", f"{m['by_direction'][d]['accuracy']:.3f}",
                       help=f"{m['by_direction'][d]['parameters']} parameters; "
                            f"{m['test_labels']} labels in {m['test_sequences']} fresh "
                            "sequences.")
    if "causal_bound" in m:
        cols[2].metric(f"Causal bound {CAUSAL_BOUND_FORMULA[task]}", f"{m['causal_bound']:.3f}",
                       help="The best any model that only reads the past can do (theory).")
    else:
        cols[2].metric("Uniform guess", f"{m['chance_accuracy']:.3f}")
    cols[3].metric("Backward share", f"{m['backward_share']:.3f}",
                   help="Var(W_b h_b) / (Var(W_f h_f) + Var(W_b h_b)) of the main model on "
                        "test positions, future masked as in training.")
    reached = m.get("steps_to_criterion")
    cols[4].metric(f"Reached {m['success_accuracy']:.0%}",
                   "not reached" if reached is None else f"step {reached}",
                   help=f"First measurement where the main model's validation accuracy passed "
                        f"{m['success_accuracy']:.0%}"
                        + ("" if m.get("seconds_to_success") is None else
                           f", after {m['seconds_to_success']:.1f} s of training")
                        + f". It trains on until it has held {m['picture_accuracy']:.0%} for "
                          f"{m['picture_hold_steps']} steps, or the last step.")


def accuracy_by_model(result) -> None:
    m = result.metrics
    show_figure(viz.accuracy_by_direction(result))
    tolerance = ""
    if "causal_bound_tolerance" in m:
        limit = m["causal_bound_limit"]
        tolerance = (" A causal model's test accuracy scatters around the bound by about "
                     f"√(b(1−b)/n) over n = {m['test_labels']} labels; the run counts it as "
                     f"held at the bound up to {limit:.3f} ({m['bound_sigmas']:g} standard "
                     "deviations).")
    how_to_read(f"each bar is a model measured on {m['test_sequences']} fresh test sequences. "
                "'bi, future hidden' is the bidirectional model with the future of every "
                "position hidden from its backward pass: a causal reader, so it falls to the "
                "bound if it relied on the future. " + _bound_text(m, result.config["task"])
                + tolerance)


def gradient_paths(result) -> None:
    m = result.metrics
    show_figure(viz.gradient_paths_figure(result))
    bi = m["by_direction"].get("bi")
    how_to_read(f"a label equal to the first symbol is read from the final states (h_f at T, "
                f"h_b at 1) of the trained models, and autograd measures the gradient at every "
                f"state (left, log axis) and at every input split by the pass it travelled "
                f"(right), averaged over {m['probe_sequences']} probe sequences. Solid: "
                "forward pass, dashed: backward pass. The forward path to x_1 crosses T-1 "
                "steps; the backward pass reads x_1 last."
                + (f" Here ‖dL/dx_1‖ is {bi['grad_x1_forward']:.1e} through the forward pass "
                   f"and {bi['grad_x1_backward']:.1e} through the backward pass." if bi else ""))


def look_inside(result) -> None:
    models = list(result.artifacts.get("models") or {})
    if not models:
        st.info("Models from a finished run in this session can be probed here; a loaded "
                "result carries numbers only.")
        return
    task = result.artifacts["task"]
    names = symbol_names(task.symbols)
    example = [names[i % len(names)] for i in (0, 1, 2, 3, 2, 1, 0, 3, 1, 2)][:task.seq_len]
    if task.name == "palindrome":  # start from a yes: the reader breaks it by typing
        example = example[:(len(example) + 1) // 2] + example[:len(example) // 2][::-1]
    left, right = st.columns([4, 1])
    text = left.text_input(f"Symbols ({', '.join(names)})", value=" ".join(example),
                           max_chars=BIDIRECTIONAL_INPUT_MAX_CHARS, key="bidirectional-typed")
    arm = right.radio("Model", models, horizontal=True, key="bidirectional-probe-model",
                      index=models.index("bi") if "bi" in models else 0)
    try:
        view = tag_typed(result, text, arm)
    except ValueError as e:
        st.error(escape_markdown(e))
        return
    show_figure(viz.sequence_states_figure(view, view["symbols"]))
    if view["level"] == "sequence":
        st.write(f"Sequence label predicted: **{view['tags'][0]}** "
                 f"(correct: {view['correct'][0]})")
    else:
        st.dataframe({"position": list(range(1, len(view["symbols"]) + 1)),
                      "symbol": view["symbols"], "predicted": view["tags"],
                      "correct": [c or "— (no label)" for c in view["correct"]]},
                     hide_index=True, height=220)
    how_to_read("columns are positions; colour is each hidden unit's value. The backward states "
                "at t summarise t..T, the forward ones 1..t. The bars compare how large each "
                "half's push on the output layer is; the table sets the model's tags beside "
                "the task's own labels.")


def mask_sweep(sweep) -> None:
    m = sweep.metrics
    if not m["p"]:
        st.info("The sweep was stopped before its first model finished.")
        return
    show_figure(viz.mask_sweep_figure(sweep))
    how_to_read(f"one bidirectional model per p, same seed and data, measured on "
                f"{m['test_labels']} test labels. Left, the backward half's share of the "
                "output layer's input variance, with the future masked as in training (solid) "
                "and with the full future shown (dotted). Middle, the two halves' variances "
                "on a log axis: when neither half can predict the target (p = 1 on "
                "lookahead) both are tiny and the share compares two noises. Right, accuracy "
                "with the future shown and hidden. On 'causal' the share stays near 0 at every "
                "p: the future carries nothing the target needs.")


page()
