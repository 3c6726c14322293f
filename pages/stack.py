"""Stack-augmented RNNs: balanced brackets, pushes and pops, and length generalisation."""
import pandas as pd
import streamlit as st

from core.analysis.stack_trace import trace_string
from core.labs import get_lab
from core.viz import stack as viz
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_controls, lab_header, theory
from ui.run_panel import run_panel
from ui.escape import escape_markdown

LAB = get_lab("stack")
lab_header(LAB)
config = lab_controls(LAB)
result = run_panel(LAB, config)

if result is None:
    rivals = ", with the other two models on the same data" if config.compare else ""
    st.info(f"Press **Train** to train the {viz.MODEL_NAMES[config.model]} on {config.task} "
            f"strings of up to {config.train_len} characters{rivals}, then test it on strings "
            f"of up to {config.test_len}.")
else:
    m = result.metrics
    trained_len, long_len = m["train_lengths"], m["test_lengths"]
    name = viz.MODEL_NAMES.get(result.config["model"], result.config["model"])
    cols = st.columns(4)
    cols[0].metric(f"{name}: training lengths", f"{m['accuracy']:.3f}",
                   help=f"Fraction of fresh strings of length {trained_len[0]}–{trained_len[1]} "
                        "with every step right (per-step form) or the verdict right.")
    cols[1].metric(f"{name}: longer strings", f"{m['accuracy_long']:.3f}",
                   help=f"Lengths {long_len[0]}–{long_len[1]}, never seen in training.")
    corr = m.get("depth_correlation")
    cols[2].metric("Stack height vs true depth (r)", "—" if corr is None else f"{corr:.3f}",
                   help="Pearson correlation between the learned stack's height (sum of "
                        "occupancy) and the exact stack's depth, on the longer strings.")
    cols[3].metric("Steps trained", result.steps)

    if corr is not None and corr < 0.8:
        st.warning("The stack model's height barely follows the true depth: this run got "
                   "stuck leaving the stack idle and remembering in its hidden state (it "
                   "happens for about one seed in eight). Raise **Initialisations tried** to 3, "
                   "or change the seed in the sidebar, and train again.")
    if len(m["comparison"]) > 1:
        st.dataframe(pd.DataFrame([
            {"model": viz.MODEL_NAMES.get(k, k), "training lengths": v["accuracy"],
             "longer strings": v["accuracy_long"],
             "balanced-or-not verdict, longer strings": v["recognition_accuracy_long"]}
            for k, v in m["comparison"].items()]), hide_index=True)
        how_to_read("fraction of 1024 fresh strings right, for each model trained in this "
                    "run on the same batches for the same number of steps. The verdict "
                    "column only asks whether the whole string is balanced.")

    st.subheader("Does it still work on longer strings?")
    show_figure(viz.accuracy_vs_length(result))
    how_to_read("each point is the fraction of 48 fresh strings of that length (half of them "
                "hard negatives) that the model got fully right; the grey band is the lengths "
                "it trained on. Longer strings also nest deeper. A model that really learned "
                "the stack algorithm stays near 1 to the right of the band; one that memorised "
                "the short cases falls.")
    if len(result.arrays["histories"]) > 1:
        show_figure(viz.training_curves(result))
        how_to_read("held-out accuracy measured during training: solid on training lengths, "
                    "dotted on the longer strings. Every model saw the same batches.")
    else:
        st.caption("Turn on **Compare models** to train the LSTM and tanh RNN beside it.")

    st.subheader("Inside the stack")
    traces = result.arrays.get("traces")
    model = (result.artifacts.get("models") or {}).get("stack")
    if not traces:
        st.info("Train with **Model** = stack (or **Compare models** on) to trace the stack.")
    else:
        language = result.config["task"]
        examples = {t["text"]: t for t in traces}
        choice = st.selectbox(
            "String to trace", list(examples) + (["type my own"] if model is not None else []),
            format_func=lambda s: s if s == "type my own" else
            f"{s}  ({len(s)} chars, {'balanced' if examples[s]['balanced'] else 'unbalanced'})")
        trace = examples.get(choice)
        if choice == "type my own":
            text = st.text_input("Your string", value="([()])[", max_chars=model.capacity,
                                 help=f"Characters from the {language} alphabet; spaces are "
                                      "ignored. Unbalanced strings are traced too.")
            try:
                trace = trace_string(model, text, language, result.config["form"])
            except ValueError as err:
                st.error(escape_markdown(err))
                trace = None
        if trace is not None:
            verdict = "balanced" if trace["balanced"] else "not balanced"
            st.markdown(f"`{trace['text']}` — the exact stack says **{verdict}**.")
            show_figure(viz.action_trace(trace))
            how_to_read("bars: the trained model's probability of push (green), pop (red) and "
                        "no-op (grey) after reading each character. Black marks: what a real "
                        "stack does (▲ push on an opener, ▼ pop on a closer, × the string "
                        "already broke, so nothing is defined). Look for tall green on "
                        "openers and tall red on closers.")
            show_figure(viz.stack_heatmap(trace))
            how_to_read("each column is the learned stack after a character; row 0 is the top "
                        "cell, and shade is how full each cell is (hover for the values it "
                        "holds, which encode the bracket type). The filled part should reach "
                        "exactly the orange line, the true depth from the exact algorithm; the "
                        "dotted line is the learned height. Past a break the true depth "
                        "freezes and the model's stack is free.")
            with st.expander("Step by step: exact state vs the model's prediction"):
                st.dataframe(pd.DataFrame(viz.state_table(trace)), hide_index=True)

theory(r"""
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
$\sum_i \text{occ}_t[i]$ rises by $a^{\text{push}}_t$ and falls by $a^{\text{pop}}_t$ — the
quantity compared with the true depth above. Because the rule is the same at every depth, a
network that learns "push on `(`, pop on `)`" on shallow strings has learned it for deep ones.

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
""")
