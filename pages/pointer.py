"""Pointer Networks: point at input positions instead of naming them from a vocabulary."""
import streamlit as st

from core.labs import get_lab
from core.labs.pointer import decode_typed
from core.text_limits import POINTER_NUMBERS_MAX_CHARS
from core.viz import pointer as viz
from ui.escape import escape_markdown
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel
from ui.numbers import shown

LAB = get_lab("pointer")

THEORY = r"""
**Pointing instead of naming.** An attention decoder forms scores $u_{t,i}$ between its state
$d_t$ and every encoder state $e_i$, e.g. $u_{t,i} = v^\top \tanh(W_e e_i + W_d d_t)$, turns
them into weights $\alpha_{t,i} = \mathrm{softmax}_i(u_{t,i})$, and usually averages the
encoder states into a context $c_t = \sum_i \alpha_{t,i} e_i$ that a linear layer maps to a
fixed vocabulary. A *pointer network* (Vinyals, Fortunato & Jaitly, 2015) stops one step
earlier: $\alpha_{t,\cdot}$ *is* the output distribution. The answer "position $i$" is read
straight off the input, so the output space has exactly $n$ entries for an input of length
$n$ — whatever $n$ is. A vocabulary over position indices has a fixed size $V$ and no class at
all for position $V$ or beyond, and it must learn through its output weights which context
vector corresponds to which index.

**The uniform baseline.** If the vocabulary decoder's output layer is zero, every logit is 0
and each of $T$ steps spreads its mass evenly over $T$ classes: the loss is
$\sum_{t=1}^{T} \log T = T\log T$. The same holds for a pointer whose scoring vector $v$ is
zero. A decoder that also masks positions already chosen is uniform over the $T-t+1$ that
remain, paying $\sum_t \log(T-t+1) = \log T!$ — the entropy of a uniformly random
permutation. A trained decoder's distance below these lines is the information about the
answer it has learned to extract.

**Masking.** Setting the scores of already-emitted positions to $-\infty$ means greedy
decoding can only produce a valid permutation: validity is built into the architecture
instead of learned.

**Sets have no order.** When the target is a set (the positions of the $k$ largest numbers)
and the data lists it in arbitrary order, a fixed-order cross-entropy punishes a correct
answer emitted in another order; its best possible value is $\log k!$. A permutation-invariant
loss scores the cheapest matching between emitted steps and targets,
$\min_\sigma -\sum_t \log p_t(y_{\sigma(t)})$, which the Hungarian algorithm finds in
polynomial time instead of trying all $k!$ orders.

#### Where the theory comes from

- **Zeroed decoder: $T\log T$.** Formula: $-\sum_{t=1}^{T}\log\frac{1}{T} = T\log T$ nats per
  sequence. Assumptions: every logit is exactly 0 (the output layer — the pointer's $v$, or
  the vocabulary projection — set to zero, whatever the other weights), no masking, $T$
  decoding steps each choosing among $T$ positions (a vocabulary of size $V = T$). Checked
  exactly, for every example, by `tests/test_pointer_analysis.py::
  test_zeroed_output_layer_scores_exactly_t_log_t` (also with random other weights), and
  measured again on every run (the "Uniform decoder" tab).
- **Masked uniform decoder: $\log T!$.** Formula: $\sum_{t=1}^{T}\log(T-t+1) = \log T!$.
  Assumptions: zero logits, positions already fed back masked, teacher-forced on a
  permutation. Checked exactly by `test_masked_uniform_pointer_scores_log_t_factorial`.
- **Fixed-order set-loss floor: $\log k!$.** Formula: for a set of $k$ targets listed in a
  uniformly random order, the expected teacher-forced loss of any model is at least the
  entropy of that order, $\log k!$ (Gibbs' inequality), reached by a model that is uniform
  over the set members not yet fed. Assumptions: the order is drawn uniformly and
  independently of the input; the loss is averaged over that order. Checked by
  `test_fixed_order_floor_is_log_k_factorial` (brute force over all $k!$ orders: the
  optimal model sits on $\log k!$ exactly, a real network's average lies above it). The
  same test checks that a model emitting the set in any order has a Hungarian-matched loss
  of exactly 0; `test_hungarian_loss_equals_brute_force_minimum_over_orders` checks the
  matching against all $k!$ orders.
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    rival = " and the other decoder on the same data" if config.compare_decoders else ""
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS, idle=(
        f"Press **Train** to train a {config.decoder} decoder on {config.task} with inputs of "
        f"length {config.min_len}–{config.max_len}{rival}, and watch exact match on inputs "
        f"up to length {config.test_max_len} as it learns."))
    if result is not None:
        numbers(result)
    tabs = {
        "Where it points": where_it_points,
        "Your numbers": your_numbers,
        "Uniform decoder": uniform_decoder,
        "Valid outputs": valid_outputs,
        "Over training": over_training,
    }
    if result is not None and result.config["task"] == "select":
        tabs["Set losses"] = set_losses
    sections(frame, result, tabs, THEORY)


def numbers(result) -> None:
    m, cfg = result.metrics, result.config
    how_to_read(f"left, the training loss of every decoder; right, exact match (the whole "
                f"output right) for every input length, on {m['validation_per_length']} "
                f"held-out inputs per length while training and on {m['test_per_length']} "
                f"fresh test inputs per length at the end. Lengths {cfg['min_len']}–"
                f"{cfg['max_len']} (shaded) are the ones trained on. A vocabulary decoder has "
                f"{m['vocab_size']} output classes, so past length {m['vocab_size']} it cannot "
                "name the positions an answer needs; a pointer's output grows with the input.")
    longer = (f"n = {cfg['max_len'] + 1}–{cfg['test_max_len']}"
              if cfg["test_max_len"] > cfg["max_len"] else "longer n")
    cols = st.columns(5)
    cols[0].metric(f"Exact match, n = {cfg['min_len']}–{cfg['max_len']}",
                   shown(m["accuracy"]),
                   help="Test set: fraction of fresh inputs whose whole output is right, "
                        "averaged over the training lengths. '—': a stop skipped the test.")
    cols[1].metric(f"Exact match, {longer}", shown(m["accuracy_beyond_training"]),
                   help="Test set, lengths past the longest training input ('—': none "
                        "tested, or a stop skipped the test).")
    cols[2].metric("Valid outputs", shown(m["valid_permutation_rate"]),
                   help="Fraction of decoded outputs that are a permutation of the input "
                        "positions (sets: distinct positions), over every tested length.")
    cols[3].metric(f"Steps to {m['success_accuracy']:.0%} held-out",
                   shown(m["steps_to_criterion"], ""),
                   help="First measurement at which held-out exact match on the training "
                        "lengths reached the criterion ('—': not reached).")
    cols[4].metric("Steps trained", result.steps)


def _example_figures(example: dict) -> None:
    show_figure(viz.distribution_heatmap(example))
    how_to_read("each row is one decoding step and each column an input position (for the "
                "vocabulary decoder, an output class); colour is the probability the step "
                "gives it. Orange circles mark the right answer. A pointer's row is its "
                "attention; with masking, columns already chosen go white.")
    show_figure(viz.permutation_arrows(example))
    how_to_read("top, the input numbers at their positions; bottom, the output steps. Each "
                "arrow leaves the position a step chose: for sort, arrows should fetch the "
                "numbers in increasing order.")
    st.dataframe(viz.permutation_table(example), hide_index=True)


def _pick_model(names: list, key: str, container=st) -> str:
    """A model of this result; a choice left from a run with other models is dropped."""
    if st.session_state.get(key) not in names:
        st.session_state.pop(key, None)
    return container.selectbox("Model", names, key=key)


def where_it_points(result) -> None:
    probes = result.arrays["probes"]
    arm = _pick_model(list(probes), "pointer-probe-arm")
    st.caption(f"A held-out input of length {result.config['max_len']}, decoded greedily.")
    _example_figures(probes[arm])


def your_numbers(result) -> None:
    names = list(result.artifacts.get("models", {}))
    if not names:
        st.info("This result was loaded without its trained models; press **Train** to "
                "decode your own numbers.")
        return
    left, right = st.columns([3, 1])
    text = left.text_input("Numbers to decode (any finite numbers; scaled to [0, 1] as in "
                           "training)", value="0.42, 0.07, 0.93, 0.35, 0.61, 0.18, 0.77",
                           max_chars=POINTER_NUMBERS_MAX_CHARS, key="pointer-typed")
    arm = _pick_model(names, "pointer-arm", right)
    try:
        example = decode_typed(result, text, arm)
    except ValueError as e:
        st.error(escape_markdown(e))
        return
    _example_figures(example)


def uniform_decoder(result) -> None:
    m, cfg = result.metrics, result.config
    show_figure(viz.uniform_loss_bars(result))
    how_to_read(f"grey bars are closed forms for T = {cfg['max_len']}. The orange bar is "
                "measured: a copy of the trained decoder with its output layer set to zero, "
                "scored on test sequences "
                f"({result.arrays.get('uniform_check_task', cfg['task'])} targets, masking "
                f"off), {m['zeroed_decoder_loss']:.4f} against T·log T = {m['t_log_t']:.4f}. "
                "It lands there because every logit is 0. Trained decoders are measured at "
                "the same length; how far each sits below T·log T is what it learned.")


def valid_outputs(result) -> None:
    cfg = result.config
    show_figure(viz.valid_rate_by_length(result))
    masked = ("With masking on, a pointer can never repeat a position, so it stays at 1 at "
              "every length. " if cfg["masking"] else
              "Masking is off: nothing stops a step from choosing a position again. ")
    beyond = ("" if cfg["task"] == "select" else
              "A vocabulary decoder cannot name positions past its vocabulary, so past "
              f"length {cfg['max_len']} its outputs are never a permutation.")
    how_to_read("the fraction of decoded test outputs that name every input position once "
                "(sets: distinct positions inside the input). " + masked + beyond)


def over_training(result) -> None:
    show_figure(viz.training_curves(result))
    how_to_read(f"held-out exact match on the training lengths, measured every "
                f"{result.config['eval_every']} steps; every decoder trained for the same "
                "number of steps on the same data stream.")


def set_losses(result) -> None:
    show_figure(viz.set_loss_bars(result))
    how_to_read("every trained model is scored both ways on the same held-out inputs. The "
                "data lists each target set in a random order, so a fixed-order loss cannot "
                "go below log k! (dashed, theory); the matched loss only asks for the right "
                "positions and can reach 0.")


page()
