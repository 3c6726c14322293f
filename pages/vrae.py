import functools

import streamlit as st

from core.labs import get_lab
from core.labs.vrae import run_autoencoder_comparison
from core.viz import vrae as viz
from ui.lab_page import how_to_read, lab_controls, lab_header, theory
from ui.run_panel import run_panel
from ui.figures import show_figure
from ui.escape import escape_markdown

LAB = get_lab("vrae")
lab_header(LAB)
config = lab_controls(LAB)
result = run_panel(LAB, config)


def show_decoded(decoded: list, labels: list, title: str, inputs=None, input_labels=None):
    """Curves for waveforms, a small table for words."""
    if decoded and isinstance(decoded[0], str):
        st.markdown(f"**{title}**")
        st.table({"": [str(x) for x in labels], "decoded": decoded})
    else:
        show_figure(viz.curves_figure(decoded, labels, title, inputs, input_labels))


if result is not None:
    m = result.metrics
    cols = st.columns(4)
    cols[0].metric("ELBO (nats / sequence)", f"{m['elbo']:.1f}")
    cols[1].metric("KL (nats)", f"{m['kl']:.2f}")
    cols[2].metric("Active units", f"{m['active_units']} / {result.config['latent_dim']}")
    quality = ("Free-running RMSE", f"{m['free_running_rmse']:.3f}") if "free_running_rmse" in m \
        else ("Letters right (free-running)", f"{m['free_running_letter_accuracy']:.0%}")
    cols[3].metric(*quality)
    if m.get("posterior_collapsed"):
        st.warning(result.message)
    elif result.message:
        st.info(result.message)

    show_figure(viz.elbo_curves(result))
    how_to_read("measured on held-out inputs at each measurement step; the dotted gray line is "
                "the annealing weight w the schedule set (right axis). Under annealing the KL "
                "rises while w is small, then is squeezed as w reaches 1; with no annealing and "
                "a strong decoder it can drop to zero and stay there — posterior collapse.")
    show_figure(viz.kl_per_dimension(result))
    how_to_read("each row is one latent dimension, each column a measurement. A row that turns "
                "dark carries no information about the input: that unit collapsed. The active-"
                "unit count is the number of dimensions whose posterior mean varies across inputs.")
    show_figure(viz.latent_map(result))
    how_to_read("every point is the posterior mean μ of one held-out input, never seen in "
                "training; colour is a known attribute the model was not told (unless "
                "conditional). Clusters or gradients by colour mean z encodes that attribute.")

    interp = result.arrays["interpolation"]
    show_decoded(interp["decoded"], [f"λ = {x:.2f}" for x in interp["lambda"]],
                 f"Interpolation {interp['start']} → {interp['end']} (default pair)",
                 interp["inputs"], ["input a", "input b"])
    how_to_read("each row is decoded free-running from a point on the straight line between "
                "the two inputs' latent means; dashed black curves are the real inputs. A smooth "
                "path changes a little at each step instead of jumping.")

    probe = result.artifacts.get("probe")
    if probe is None:
        st.info("Interactive probes need the trained model: train in this session to use them.")
    else:
        names = [f"{k}: {probe.describe(k)}" for k in range(len(probe.labels()))]
        st.subheader("Explore the latent space")
        a, b = st.columns(2)
        i = a.selectbox("Input a", range(len(names)), format_func=names.__getitem__, index=0)
        j = b.selectbox("Input b", range(len(names)), format_func=names.__getitem__, index=1)
        points = st.slider("Points on the path", 3, 15, 9)
        path = probe.interpolation(i, j, points)
        show_decoded(path["decoded"], [f"λ = {x:.2f}" for x in path["lambda"]],
                     f"Interpolation {path['start']} → {path['end']}", path["inputs"],
                     ["input a", "input b"])
        st.caption(f"Valid decodes on this path: {path['valid_fraction']:.0%}"
                   + (f"; largest step {path['max_jump']:.2f} of the end-to-end distance "
                      f"(even pacing would be {1 / (points - 1):.2f})." if "max_jump" in path
                      else f"; real words: {path['real_word_fraction']:.0%}."))

        rec = probe.reconstruct(i)
        show_decoded([rec["decoded"]], ["decoded from μ"], "Reconstruction of input a",
                     [rec["input"]], ["input a"])
        if probe.discrete:
            typed = st.text_input("Type a word to encode and decode", "lantern")
            try:
                out = probe.reconstruct_word(typed)
                st.write(f"**{out['input']}** → **{out['decoded']}**")
            except ValueError as e:
                st.error(escape_markdown(e))

        t = st.slider("Prior temperature", 0.1, 2.0, 1.0, 0.1,
                      help="z = temperature·ε with ε ~ N(0, I); 1 samples the prior itself.")
        cls = 0
        if result.config.get("conditional"):
            cls = st.selectbox("Class", range(probe.task.classes),
                               format_func=lambda c: probe.task.class_names[c])
        samples = probe.prior_samples(8, t, result.config["seed"], cls)
        show_decoded(samples, [f"sample {k + 1}" for k in range(len(samples))],
                     f"Samples from the prior at temperature {t:.1f}")
        how_to_read("sequences decoded from random z; low temperatures stay near the centre of "
                    "the prior, high ones reach regions the encoder never used.")

        names_c = probe.task.class_names
        c1, c2, c3 = st.columns(3)
        to_c = c1.selectbox("Towards", range(len(names_c)), format_func=names_c.__getitem__,
                            index=1)
        from_c = c2.selectbox("Away from", range(len(names_c)), format_func=names_c.__getitem__)
        alpha = c3.slider("α", -2.0, 2.0, 1.0, 0.25)
        try:
            arith = probe.arithmetic(i, to_c, from_c, [0.0, alpha])
            show_decoded(arith["decoded"], ["α = 0 (input a)", f"α = {alpha:.2f}"],
                         f"z + α·v, v = mean μ({arith['to']}) − mean μ({arith['from']})")
        except ValueError as e:
            st.error(escape_markdown(e))

st.subheader("Plain sequence autoencoders")
st.caption("A separate job: three deterministic decoder forms trained on waveforms with the "
           "same data and seed (hidden size, batch, learning rate and seed from the settings "
           "above; 'Autoencoder steps' per form).")
ae = run_panel(LAB, config, key="vrae-ae", job=functools.partial(run_autoencoder_comparison,
                                                                  config),
               label="Compare autoencoders", total_steps=3 * config.ae_steps)
ae_arrays = (ae.arrays.get("autoencoders") if ae is not None else None) or \
    (result.arrays.get("autoencoders") if result is not None else None)
if ae_arrays:
    show_figure(viz.autoencoder_comparison(ae_arrays))
    how_to_read("held-out error for each length, log scale. 'repeat' squeezes the whole "
                "sequence into the final state and grows worse with length; 'sequence' hands "
                "the decoder a state for every step, so it has no bottleneck; the autoregressive "
                "form is measured feeding back its own output, its teacher-forced error dotted.")

theory(r"""
**The model.** An encoder RNN reads $x_{1:T}$ and its final state gives the mean and log-variance
of a Gaussian posterior $q_\phi(z\mid x)=\mathcal N(\mu,\operatorname{diag}\sigma^2)$. A sample
$z=\mu+\sigma\odot\varepsilon$, $\varepsilon\sim\mathcal N(0,I)$ — the reparameterisation — keeps
the sampling differentiable. The decoder RNN starts from $h_0=\tanh(Wz+b)$ (and here may also read
$z$ at every step) and predicts each element from the previous ones.

**The objective** is the evidence lower bound
$$\mathcal L=\mathbb E_{q}\Big[\sum_t\log p_\theta(x_t\mid z,x_{<t})\Big]-\beta\,w\,
\mathrm{KL}\big(q(z\mid x)\,\|\,\mathcal N(0,I)\big),\qquad
\mathrm{KL}=\tfrac12\sum_d\big(\mu_d^2+\sigma_d^2-1-\log\sigma_d^2\big).$$
With $\beta=w=1$ it bounds $\log p(x)$. Waveforms use a Gaussian likelihood with a fixed
$\sigma_x$; words a softmax over letters.

**Posterior collapse.** An autoregressive decoder can model the data from $x_{<t}$ alone. Early in
training $z$ is noise, the KL term pushes $q$ onto the prior, and once there nothing pulls it
back: KL → 0 and every unit is inactive. Two remedies: *KL annealing* starts with $w=0$ so the
encoder learns to carry information before it is charged for it (linear, sigmoid, or cyclical
ramps), and *word dropout* hides some previous elements so the decoder must ask $z$.

**Active units** are dimensions whose posterior mean varies across the data,
$\mathrm{Cov}_x(\mathbb E_q[z_d])>0.01$.

**The latent space.** Interpolation decodes $z_\lambda=(1-\lambda)z_a+\lambda z_b$; attribute
arithmetic adds $\alpha v$ with $v$ the difference of two classes' mean codes; sampling decodes
$z=\tau\varepsilon$ at temperature $\tau$.

**Plain sequence autoencoders.** Keeping only the final encoder state and repeating it at every
decoder step (`return_sequences=False` + `RepeatVector`) forces a fixed-size code, so error grows
with length. Passing the whole encoder sequence (`return_sequences=True`) removes the
bottleneck — easy reconstruction, but no single code for the sequence. An autoregressive decoder
trained with teacher forcing must, at test time, feed back its own outputs.
""")
