"""Stack-augmented RNNs: balanced brackets, pushes and pops, and length generalisation."""
import pandas as pd
import streamlit as st

from core.labs import get_lab
from core.labs.stack import trace_typed
from core.text_limits import STACK_STRING_MAX_CHARS
from core.viz import stack as viz
from ui.escape import escape_markdown
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel
from ui.numbers import shown

LAB = get_lab("stack")

THEORY = r"""
**Why a stack.** A recurrent network with a finite state can only count so far: every plain
RNN with fixed precision is, in effect, a finite automaton, and finite automata recognise the
*regular* languages. Balanced brackets are not regular. To know whether `((((…))))` closes
properly you must remember how many — and, with two kinds of bracket, *which* — openers are
still waiting, and that is unbounded. The languages here (Dyck-1, Dyck-2, $a^n b^n$) are
*context-free*: a pushdown automaton, a finite controller with a stack, recognises them.
Push on an opener; on a closer pop, and fail if the stack is empty or the top is the wrong
type; at the end accept only an empty stack.

**A differentiable stack.** Following Joulin & Mikolov (2015), the controller
$h_t = \tanh(W x_t + R h_{t-1} + P\,\mathrm{read}(s_{t-1}))$ chooses soft actions
$a_t = \mathrm{softmax}(A h_t)$ over push, pop and no-op, and a value $v_t = \sigma(V h_t)$.
The new stack is the expected stack under those actions:

$$s_t[0] = a^{\text{push}}_t v_t + a^{\text{pop}}_t s_{t-1}[1] + a^{\text{no-op}}_t s_{t-1}[0],$$
$$s_t[i] = a^{\text{push}}_t s_{t-1}[i-1] + a^{\text{pop}}_t s_{t-1}[i+1]
+ a^{\text{no-op}}_t s_{t-1}[i].$$

Every cell also carries an occupancy channel pushed as 1, so the stack's expected height
$H_t = \sum_i \text{occ}_t[i]$ obeys $H_t = H_{t-1} + a^{\text{push}}_t - a^{\text{pop}}_t$
while the top cell is full and the bottom one empty — the height compared with the true depth
in **Inside the stack**. Because the rule is the same at every depth, a network that learns
"push on `(`, pop on `)`" on shallow strings has learned it for deep ones.

**How clear the picture is.** The headline figure's number is the mean probability the model
gives the exact stack's action, $\bar p = \frac{1}{n}\sum_t a_t[\text{exact}_t]$ over the $n$
characters before any break: 1 when every push and pop is certain and right, $1/3$ for a
uniform choice.

**Why the LSTM falls.** An LSTM can count with a cell that adds one per opener, but with two
bracket types it must store the whole sequence of pending types in a fixed-size vector. It
fits the depths it was trained on and degrades past them. The tanh RNN, with no protected
memory, struggles even in range.

**The task.** In the per-step form the target after each character is the exact automaton's
state — empty, the type on top, or broken — a learning signal at every character. Half the
strings are hard negatives with the same length as a positive: a swapped pair giving a prefix
violation such as `)(`, openers left unclosed at the end, or (Dyck-2) a closer of the wrong
type. A string is balanced exactly when its last state is *empty*. The recognition form keeps
only the final verdict, a much sparser signal.

**Two initial choices.** The controller starts with $R = 0$ and the no-op made unlikely. Left
at their usual values, training on short strings can settle on remembering a few brackets in
the hidden state with the stack idle — a solution that fits the training lengths and does not
extend (set *Initial no-op bias* to 0 and try a few seeds).

#### Where the theory comes from
- *The exact stack* (push on an opener, pop on its closer, break otherwise) is the reference
  every figure compares with; `tests/test_stack_parts.py` checks it on hand-worked strings and
  against an independent check (deleting matched pairs until none is left) on every
  generated string and hard negative.
- *The soft stack update* and *$H_t = H_{t-1} + a^{\text{push}}_t - a^{\text{pop}}_t$*
  (assumes the top cell full and the bottom cell empty): checked against a hand computation of
  three steps, and against the exact automaton with hand-set weights whose actions are
  one-hot, where the height equals the true depth at every character
  (`test_soft_stack_update_matches_hand_computation`,
  `test_hand_wired_stack_tracks_depth_exactly`).
- *Pearson's r* between height and depth: checked against numpy, and low for a stack wired to
  pop on openers (`test_pearson_matches_numpy`,
  `test_depth_correlation_is_low_for_a_backwards_stack`).
- *$\bar p$*, the mean probability of the exact action: 1 for exact one-hot actions and $1/3$
  for uniform ones (`test_action_agreement_is_one_for_the_exact_actions_and_a_third_for_uniform`).
- *Finite automata cannot recognise balanced brackets* is the pumping lemma for regular
  languages (assumes fixed precision); the lab does not prove it, it measures its consequence:
  the plain RNNs' accuracy beyond the training depths.
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    rivals = ", with the other two models on the same data" if config.compare else ""
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.MODEL_COLORS, idle=(
        f"Press **Train** to train the {viz.MODEL_NAMES[config.model]} on {config.task} "
        f"strings of up to {config.train_len} characters{rivals}, then test it on strings "
        f"of up to {config.test_len}."))
    if result is not None:
        numbers(result)
    sections(frame, result, {
        "Accuracy by length": by_length,
        "Models compared": compared,
        "Inside the stack": inside,
    }, THEORY)


def numbers(result) -> None:
    m = result.metrics
    name = viz.MODEL_NAMES.get(result.config["model"], result.config["model"])
    if "stack" in (result.arrays.get("live") or {}):
        how_to_read("left, the training loss of every model as it trains; right, the stack "
                    "model's push (green), pop (red) and no-op (grey) probability at each "
                    "character of one long probe string, re-measured as it trains; black "
                    "marks are what the exact stack does there (▲ push, ▼ pop). The title "
                    "gives the mean probability on the exact action.")
    else:
        how_to_read("left, the training loss; right, the fraction of fresh strings of each "
                    "length the model gets fully right (shaded: the training lengths).")
    trained_len, long_len = m["train_lengths"], m["test_lengths"]
    counts = m["test_strings"]
    cols = st.columns(4)
    cols[0].metric(f"{name}: training lengths", shown(m["accuracy"], ".3f"),
                   help=f"Fraction of {counts['training lengths']} fresh strings of length "
                        f"{trained_len[0]}–{trained_len[1]} with every step right (per-step "
                        "form) or the verdict right.")
    cols[1].metric(f"{name}: longer strings", shown(m["accuracy_long"], ".3f"),
                   help=f"{counts['longer']} strings of lengths {long_len[0]}–{long_len[1]}, "
                        "never seen in training.")
    cols[2].metric(f"{name}: deeper than training", shown(m["accuracy_deeper"], ".3f"),
                   help=f"The {m['deeper_strings']} longer strings that nest deeper than any "
                        f"training string did (depth above {m['training_depth_max']}).")
    corr = m.get("depth_correlation")
    cols[3].metric("Stack height vs true depth (r)", shown(corr, ".3f"),
                   help="Pearson correlation between the learned stack's height (sum of "
                        "occupancy) and the exact stack's depth, on the longer strings.")
    if m.get("stack_stuck"):
        st.warning("The stack model's height barely follows the true depth: this run got "
                   "stuck leaving the stack idle and remembering in its hidden state, a local "
                   "optimum some initialisations fall into. Raise **Initialisations tried** to "
                   "3, or change the seed in the sidebar, and train again; the preset "
                   "**stuck seeds** measures how often it happens.")


def by_length(result) -> None:
    m = result.metrics
    show_figure(viz.accuracy_vs_length(result))
    how_to_read(f"each point is the fraction of {m['test_strings']['per length']} fresh "
                "strings of that length (half of them hard negatives) that the model got "
                "fully right; the grey band is the lengths it trained on. Longer strings can "
                f"nest deeper: {m['deeper_strings']} of the {m['test_strings']['longer']} "
                f"longer ones go deeper than any training string ({m['training_depth_max']} "
                "levels). A model that learned the stack algorithm stays near 1 to the right "
                "of the band; one that memorised the short cases falls.")


def compared(result) -> None:
    m = result.metrics
    if len(m["comparison"]) > 1:
        st.dataframe(pd.DataFrame([
            {"model": viz.MODEL_NAMES.get(k, k), "training lengths": v["accuracy"],
             "longer strings": v["accuracy_long"],
             "deeper than training": v["accuracy_deeper"],
             "balanced-or-not verdict, longer strings": v["recognition_accuracy_long"]}
            for k, v in m["comparison"].items()]), hide_index=True)
        counts = m["test_strings"]
        how_to_read(f"fraction of fresh test strings right ({counts['training lengths']} "
                    f"of the training lengths, {counts['longer']} longer, of which "
                    f"{m['deeper_strings']} deeper), for each model trained in this run on the "
                    "same batches for the same number of steps. The verdict column only asks "
                    "whether the whole string is balanced.")
    else:
        st.info("Turn on **Compare models** to train the LSTM and tanh RNN beside it.")
    show_figure(viz.training_curves(result))
    how_to_read("held-out accuracy measured during training on validation strings (the ones "
                "early stopping reads): solid on training lengths, dotted on the longer "
                "strings. Every model saw the same batches.")


def inside(result) -> None:
    traces = result.arrays.get("traces")
    model = (result.artifacts.get("models") or {}).get("stack")
    if not traces:
        st.info("Train with **Model** = stack (or **Compare models** on) to trace the stack.")
        return
    language = result.config["task"]
    examples = {t["text"]: t for t in traces}
    choice = st.selectbox(
        "String to trace", list(examples) + (["type my own"] if model is not None else []),
        format_func=lambda s: s if s == "type my own" else
        f"{s}  ({len(s)} chars, {'balanced' if examples[s]['balanced'] else 'unbalanced'})")
    trace = examples.get(choice)
    if choice == "type my own":
        text = st.text_input("Your string", value="([()])[", max_chars=STACK_STRING_MAX_CHARS,
                             help=f"Characters from the {language} alphabet, at most "
                                  f"{model.capacity} of them (this model's stack); spaces are "
                                  "ignored. Unbalanced strings are traced too.")
        try:
            trace = trace_typed(result, text)
        except ValueError as err:
            st.error(escape_markdown(err))
            trace = None
    if trace is None:
        return
    verdict = "balanced" if trace["balanced"] else "not balanced"
    # trace["text"] passed validation: only the language's brackets or letters remain
    st.markdown(f"`{trace['text']}` — the exact stack says **{verdict}**.")
    left, right = st.columns(2)
    show_figure(viz.action_trace(trace), container=left)
    how_to_read("bars: the trained model's probability of push (green), pop (red) and no-op "
                "(grey) after reading each character. Black marks: what a real stack does "
                "(▲ push on an opener, ▼ pop on a closer, × the string already broke, so "
                "nothing is defined).", container=left)
    show_figure(viz.stack_heatmap(trace), container=right)
    how_to_read("each column is the learned stack after a character; row 0 is the top cell, "
                "and shade is how full each cell is (hover for the values it holds, which "
                "encode the bracket type). The filled part should reach the orange line, the "
                "true depth; the dotted line is the learned height. Past a break the true "
                "depth freezes and the model's stack is free.", container=right)
    with st.expander("Step by step: exact state vs the model's prediction"):
        st.dataframe(pd.DataFrame(viz.state_table(trace)), hide_index=True)


page()
