import math

import numpy as np
import pandas as pd
import streamlit as st
import torch

from core.analysis.alignment import alignment_entropy, entropy_ratio, simulate_alignment
from core.analysis.decoding import beam_search, greedy, sample
from core.labs import get_lab
from core.labs.attention import CAPACITY_HIDDEN, capacity_sweep, decoding_study, make_task
from core.tasks.transduction import EOS
from core.viz import attention as viz
from ui.lab_page import lab_header, lab_controls, theory
from ui.run_panel import run_panel
from ui.figures import show_figure
from ui.escape import escape_markdown

LAB = get_lab("attention")
lab_header(LAB)
config = lab_controls(LAB)
result = run_panel(LAB, config)


def until_eos(tokens):
    tokens = list(tokens)
    return tokens[:tokens.index(EOS) + 1] if EOS in tokens else tokens


if result is not None:
    cfg = LAB.make_config(result.config)
    task = make_task(cfg)
    model = result.artifacts.get("model")
    probe = result.arrays["probe"]
    longest = max(cfg.max_len, cfg.test_max_len)

    st.subheader("What attention looks at")
    typed = st.text_input("Type an input (letters " + ", ".join(task.alphabet) + ")",
                          value="", key="attention-typed",
                          help=f"Lengths 1 to {longest}. Leave empty for the probe input.")
    source = probe
    if typed.strip():
        try:
            source = task.encode(typed, 1, longest)
        except ValueError as e:
            st.error(escape_markdown(e))
        if model is None and source is not probe:
            st.info("This result was loaded without its trained model; showing the probe.")
            source = probe
    names_in = task.decode(source)
    if cfg.attention == "none":
        st.info("Without attention there is no alignment to show: the decoder sees only the "
                "encoder's final state.")
    elif source is probe:
        cps = result.arrays["checkpoints"]
        step = st.select_slider("Checkpoint (training step)", options=cps["steps"],
                                value=cps["steps"][-1], key="attention-scrub")
        k = cps["steps"].index(step)
        weights = np.asarray(cps["attention"][k])
        out_names = task.decode(cps["output"][k])
        show_figure(viz.attention_heatmap(weights, names_in, out_names,
                                              f"Attention at step {step}"))
    else:
        dec = greedy(model, torch.tensor([source]), max_len=len(source) + 2)
        weights = dec.attention[0].numpy()
        out_names = task.decode(dec.tokens[0])
        show_figure(viz.attention_heatmap(weights, names_in, out_names,
                                              "Attention of the trained model"))
        target = task.decode(task.target_for(source))
        ok = until_eos(dec.tokens[0].tolist())[:-1] == task.target_for(source)
        st.write(f"Output **{' '.join(out_names)}** · target {' '.join(target)} · "
                 + ("correct" if ok else "wrong"))
    if cfg.attention != "none":
        st.caption("How to read this: each row is one output step, each column one input "
                   "position; dark cells are where that step looked. For reverse, look for "
                   "the anti-diagonal; drag the checkpoint slider to watch it form.")
        rows = weights[:len(source)]
        show_figure(viz.step_entropy_figure(alignment_entropy(rows), len(source)))
        st.caption(f"Entropy of each output step's attention (measured). Mean / ln T_x = "
                   f"{entropy_ratio(rows):.2f} for this input; 1 would be the uniform "
                   "alignment, 0 a single position.")

    st.subheader("Alignment entropy: measured and in theory")
    if "alignment_entropy_ratio" in result.metrics:
        st.metric("Mean entropy ratio H/ln T_x over the training lengths",
                  f"{result.metrics['alignment_entropy_ratio']:.2f}")
    width = st.slider("Width σ of the simulated Gaussian alignment", 0.3, 5.0, 1.0, 0.1,
                      key="attention-sigma")
    sim = simulate_alignment(result.arrays["lengths"], width)
    show_figure(viz.alignment_simulation_figure(
        vars(sim), result.metrics.get("alignment_entropy_ratio_by_length"), width))
    st.caption("Markers are computed from simulated alignment matrices, dashed and dotted "
               "lines are closed forms (theory), the blue line is the trained model. The "
               "closed form ½ln(2πeσ²) holds for σ ≳ 1 away from the edges; look for the "
               "gap to ln T_x growing with length.")

    st.subheader("The bottleneck: accuracy against input length")
    show_figure(viz.accuracy_by_length_figure(result.metrics, result.arrays["train_lengths"],
                                                  cfg.attention))
    st.caption("Greedy decoding on fresh inputs of each length (measured). Same data, seed "
               "and steps for both models; look for where the no-attention curve collapses "
               "while attention holds.")
    show_figure(viz.training_curve_figure(result.history, result.arrays.get("rival_history")))
    st.caption("Held-out accuracy over the training lengths at each checkpoint, and the "
               "attention's entropy ratio falling as it learns where to look.")

    st.markdown("**Capacity argument** for the context vector: H(c) ≤ d_h·q bits against "
                "the T·log₂V bits the target needs (theory, an upper bound).")
    q = st.slider("Usable bits per unit q", 1, 32, 2, key="attention-q")
    lengths = result.arrays["lengths"]
    st.dataframe(pd.DataFrame({
        "input length T": lengths,
        "bits needed T·log₂V": [round(L * math.log2(cfg.symbols), 1) for L in lengths],
        f"capacity d_h·q ({cfg.hidden}·{q})": [cfg.hidden * q] * len(lengths)}),
        hide_index=True)
    st.caption("At float precision the bound is far from binding: the measured collapse "
               "happens long before the capacity is used up, because the encoder must also "
               "learn to pack the symbols and the decoder to unpack them.")
    sweep = run_panel(LAB, config, key="attention-sweep",
                      job=lambda on_step, should_stop: capacity_sweep(config, on_step,
                                                                      should_stop),
                      label="Run d_h sweep (no attention)",
                      total_steps=config.steps * len(CAPACITY_HIDDEN))
    if sweep is not None and "capacity" in sweep.arrays:
        show_figure(viz.capacity_figure(sweep.arrays["capacity"]))
        st.caption("Measured sequence accuracy of the no-attention model as the context "
                   "shrinks; each curve is one input length. Look for longer inputs needing "
                   "a larger d_h.")

    st.subheader("Decoding: greedy, beam search, sampling")
    if model is None:
        st.info("Decoding needs the trained model; train to explore it.")
    else:
        c1, c2, c3 = st.columns(3)
        beam_width = c1.slider("Beam width", 1, 8, 3, key="attention-beam")
        alpha = c2.slider("Length normalisation α", 0.0, 1.5, 0.6, 0.1, key="attention-alpha")
        temp = c3.slider("Sampling temperature τ", 0.1, 3.0, 1.0, 0.1, key="attention-temp")
        src = torch.tensor(source)
        g = greedy(model, src.unsqueeze(0), max_len=len(source) + 2)
        beam = beam_search(model, src, beam_width, len(source) + 2, alpha)
        st.write(f"Greedy: **{' '.join(task.decode(until_eos(g.tokens[0].tolist())))}** "
                 f"(log p = {float(g.log_prob[0]):.3f}) · beam: "
                 f"**{' '.join(task.decode(beam.tokens))}** (log p = {beam.log_prob:.3f}, "
                 f"score = {beam.score:.3f})")
        show_figure(viz.beam_tree_figure(beam.tree, lambda t: task.decode([t])[0],
                                             beam_width))
        st.caption("Every prefix the beam kept, by step and rank; squares ended with </s>. "
                   "Hover for the cumulative log-probability. Width 1 is greedy decoding.")
        st.dataframe(pd.DataFrame([{"hypothesis": " ".join(task.decode(h["tokens"])),
                                    "log p": round(h["log_prob"], 3),
                                    "score log p/|y|^α": round(h["score"], 3)}
                                   for h in beam.hypotheses]), hide_index=True)
        n = 20
        drawn = sample(model, src.unsqueeze(0).repeat(n, 1), len(source) + 2, temp,
                       torch.Generator().manual_seed(cfg.seed))
        outs = [until_eos(r) for r in drawn.tokens.tolist()]
        target = task.target_for(source) + [EOS]
        st.write(f"{n} samples at τ = {temp}: {sum(o == target for o in outs)} correct, "
                 f"{len({tuple(o) for o in outs})} distinct.")
        st.caption("Higher temperature flattens the distribution: more distinct outputs, "
                   "fewer correct ones on a task with one right answer.")

    st.markdown("**When several outputs are valid** (task `shuffle`: any permutation of the "
                "input is right): cross-entropy alone vs cross-entropy plus an entropy-matching "
                "penalty, each decoded greedily and by sampling.")
    study = run_panel(LAB, config, key="attention-decoding",
                      job=lambda on_step, should_stop: decoding_study(config, on_step,
                                                                      should_stop),
                      label="Train both objectives on shuffle", total_steps=2 * config.steps)
    if study is not None and "decoding_study" in study.arrays:
        st.dataframe(pd.DataFrame(study.arrays["decoding_study"]), hide_index=True)
        st.caption(f"Measured on 40 inputs × 10 decodings each. Target entropy H* = "
                   f"{study.metrics['target_entropy']:.3f} nats per step (exact, from the "
                   "task). Look for the trade-off: greedy is valid but never varies; hotter "
                   "sampling varies more and breaks more outputs.")

theory(r"""
**The bottleneck.** A sequence-to-sequence model reads $x_{1:T_x}$ with an encoder and
hands the decoder one vector $c$, usually the encoder's final state. Everything the decoder
writes must pass through $c$. By the data processing inequality $I(c; y_{1:T_y}) \le H(c)$, and a
vector of $d_h$ components with $q$ usable bits each holds at most $H(c) \le d_h\,q$ bits; a
reversal of $T$ symbols from an alphabet of $V$ needs $T \log_2 V$ of them. As $T$ grows,
the fixed vector runs out — in practice long before the bound, because packing and
unpacking the symbols has to be learned.

**Attention.** Instead, let every decoder step $t$ look at all encoder states $h_i$:
scores $e_{ti}$ (additive $v^\top\tanh(W_q s_t + W_k h_i)$, dot $s_t^\top h_i$, or
$s_t^\top W h_i$), weights $\alpha_{t} = \mathrm{softmax}(e_t)$, and a fresh context
$c_t = \sum_i \alpha_{ti} h_i$. Nothing has to be squeezed into one vector.

**Alignment entropy.** $H(\alpha_t) = -\sum_i \alpha_{ti}\ln\alpha_{ti}$ measures how
focused a step is. A decoder without attention knows nothing about where to look: the
uniform alignment, with the maximal $\ln T_x$. A Gaussian alignment of width $\sigma$ has
about $\tfrac12\ln(2\pi e\sigma^2)$, which does not grow with $T_x$, so the ratio
$H/\ln T_x$ falls as inputs get longer.

**Decoding.** The model defines $p(y\mid x)$; greedy decoding takes the most probable
token at each step. Beam search keeps the $B$ best prefixes by $\log p$ and can recover
from a locally attractive mistake; with $B=1$ it *is* greedy. Raw $\log p$ favours short
outputs, so finished hypotheses are compared by $\log p / |y|^\alpha$. Sampling with
temperature $\tau$ draws from $p^{1/\tau}$: diversity at the cost of accuracy. When several
outputs are valid, one can instead train for diversity: cross-entropy plus
$\lambda\,(H(p_\theta) - H^\*)^2$, a penalty on the gap between the model's predictive
entropy and the target's.
""")
