"""Variational Recurrent Autoencoder: the ELBO, posterior collapse and its levers, the latent
space between two sequences, and plain sequence autoencoders."""
import streamlit as st

from core.labs import get_lab
from core.labs.vrae import probes
from core.text_limits import VRAE_WORD_MAX_CHARS
from core.viz import vrae as viz
from ui.escape import escape_markdown
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel

LAB = get_lab("vrae")

THEORY = r"""
**The model.** An encoder RNN reads $x_{1:T}$ and its final state gives the mean and
log-variance of a Gaussian posterior $q_\phi(z\mid x)=\mathcal N(\mu,\operatorname{diag}\sigma^2)$.
A sample $z=\mu+\sigma\odot\varepsilon$, $\varepsilon\sim\mathcal N(0,I)$ — the
reparameterisation — keeps the sampling differentiable. The decoder RNN starts from
$h_0=\tanh(Wz+b)$ (and may also read $z$ at every step) and predicts each element from the
previous ones.

**The objective** is the evidence lower bound
$$\mathcal L=\mathbb E_{q}\Big[\sum_t\log p_\theta(x_t\mid z,x_{<t})\Big]-\beta\,w\,
\mathrm{KL}\big(q(z\mid x)\,\|\,\mathcal N(0,I)\big),\qquad
\mathrm{KL}=\tfrac12\sum_d\big(\mu_d^2+\sigma_d^2-1-\log\sigma_d^2\big).$$
With $\beta=w=1$ it bounds $\log p(x)$. Waveforms use a Gaussian likelihood with a fixed
$\sigma_x$, so each squared error costs $(x_t-\hat x_t)^2/2\sigma_x^2$ nats; words a softmax
over letters.

**Posterior collapse.** An autoregressive decoder can model the data from $x_{<t}$ alone.
Early in training $z$ is noise, the KL term pushes $q$ onto the prior, and once there nothing
pulls it back: KL → 0 and every unit is inactive. Four levers change that balance, and the
presets turn them one at a time: *KL annealing* starts with $w=0$ so the encoder learns to
carry information before it is charged for it (linear, sigmoid, or cyclical ramps); *word
dropout* hides some previous elements so the decoder must ask $z$; feeding *z at every step*
keeps it close to every prediction; a smaller $\sigma_x$ makes each reconstruction error
cost $1/\sigma_x^2$ times more against the same KL.

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

#### Where the theory comes from
- *KL of a diagonal Gaussian to N(0, I)*, $\tfrac12\sum_d(\mu_d^2+\sigma_d^2-1-\log\sigma_d^2)$:
  exact for Gaussian $q$ and $p$. Checked against a Monte Carlo estimate built from the two
  log-densities alone, and zero exactly when $q=p$ (`test_kl_closed_form_matches_monte_carlo`).
- *Gaussian likelihood*, $-\log p(x\mid z)=\sum_t (x_t-\hat x_t)^2/2\sigma_x^2+T\log\sigma_x
  +\tfrac T2\log 2\pi$: exact for a fixed $\sigma_x$; checked against
  `torch.distributions.Normal` (`test_gaussian_reconstruction_matches_the_normal_density`).
- *Annealing weights* (linear, sigmoid, cyclical): definitions, checked at hand-computed
  points (`test_schedules`).
- *Active units*, variance of $\mu_d$ over inputs above 0.01 (Burda et al. 2016): checked on
  constructed posteriors with known variances (`test_active_units_on_constructed_posteriors`).
- *Interpolation* $z_\lambda$: its ends are the two inputs' latent means, and an evenly paced
  path has largest step $1/(\text{points}-1)$ of its length
  (`test_interpolation_and_projection`, `test_interpolation_endpoints_decode_the_inputs_latents`).
- *Which lever prevents collapse* is measured, not derived: each lever preset is run from the
  collapsed baseline (`test_each_lever_changes_one_knob_and_the_measured_outcome`).
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS, idle=(
        f"Press **Train** to train a VRAE with a {config.latent_dim}-dimensional latent on "
        f"{config.dataset}, and watch the path between two test inputs of different classes: "
        "every point decodes the same average sequence while z carries nothing, then the path "
        "turns one input into the other."))
    if result is not None:
        numbers(result)
    sections(frame, result, {
        "ELBO and KL": elbo_and_kl,
        "Latent map": latent_map,
        "Reconstructions and samples": reconstructions,
        "Explore the latent space": explore,
    }, THEORY, study_views={"levers": levers_view, "autoencoders": autoencoders_view})


def numbers(result) -> None:
    m = result.metrics
    how_to_read("left, the training loss (reconstruction + w·β·KL); right, sequences decoded "
                "free-running from points on the straight line between the latent means of two "
                "test inputs (dashed), redrawn at every measurement. While z carries nothing "
                "every row is the same; a useful latent turns input a into input b.")
    cols = st.columns(5)
    cols[0].metric("ELBO (nats / sequence)", f"{m['elbo']:.1f}",
                   help=f"On {m['examples_measured']} test inputs, z sampled once.")
    cols[1].metric("KL (nats)", f"{m['kl']:.2f}")
    cols[2].metric("Active units", f"{m['active_units']} / {result.config['latent_dim']}")
    if "free_running_rmse" in m:
        cols[3].metric("Free-running RMSE", f"{m['free_running_rmse']:.3f}",
                       help="Decoded from μ alone, feeding back its own output.")
        cols[4].metric("Path: largest step", f"{m['interpolation_max_jump']:.2f}",
                       help="Share of the path's end-to-end distance; even pacing is "
                            f"{m['interpolation_even_step']:.3f}.")
    else:
        cols[3].metric("Letters right (free-running)", f"{m['free_running_letter_accuracy']:.0%}")
        cols[4].metric("Path: real words", f"{m['interpolation_real_word_fraction']:.0%}")
    if m.get("posterior_collapsed"):
        st.warning(escape_markdown(result.message), icon=":material/warning:")


def elbo_and_kl(result) -> None:
    show_figure(viz.elbo_curves(result))
    how_to_read("measured on validation inputs at each measurement step; the dotted gray line "
                "is the annealing weight w the schedule set (right axis). Under annealing the "
                "KL rises while w is small, then is squeezed as w reaches 1; with every lever "
                "off it drops to zero and stays there — posterior collapse.")
    show_figure(viz.kl_per_dimension(result))
    how_to_read("each row is one latent dimension, each column a measurement. A row that turns "
                "dark carries no information about the input: that unit collapsed.")


def latent_map(result) -> None:
    options = ["class"] + list(result.arrays["latent_attributes"])
    colour_by = st.selectbox("Colour by", options, key="vrae-colour-by",
                             help="A known factor of each test input; the model never saw it "
                                  "(unless conditional).")
    show_figure(viz.latent_map(result, colour_by))
    how_to_read(f"every point is the posterior mean μ of one of {len(result.arrays['examples'])} "
                "test inputs. Clusters or smooth gradients by colour mean z encodes that factor.")


def show_decoded(decoded: list, labels: list, title: str, inputs=None, input_labels=None):
    """Curves for waveforms, a small table for words."""
    if decoded and isinstance(decoded[0], str):
        st.markdown(f"**{title}**")
        st.table({"": [str(x) for x in labels], "decoded": decoded})
    else:
        show_figure(viz.curves_figure(decoded, labels, title, inputs, input_labels))


def reconstructions(result) -> None:
    recs = result.arrays["reconstructions"]
    left, right = st.columns(2)
    with left:
        if recs and isinstance(recs[0]["input"], str):
            show_decoded([r["decoded"] for r in recs], [r["input"] for r in recs],
                         "Test words and their decodes from μ")
        else:
            show_figure(viz.reconstruction_figure(recs))
        how_to_read("each input is encoded to its latent mean μ and decoded free-running.")
    with right:
        samples = result.arrays["prior_samples"]
        show_decoded(samples, [f"sample {k + 1}" for k in range(len(samples))],
                     "Samples from the prior, temperature 1")
        how_to_read("sequences decoded from z ~ N(0, I); a collapsed model gives the same "
                    "sequence for every sample.")


def explore(result) -> None:
    try:
        names = probes.example_names(result)
    except ValueError as e:
        st.info(f"{e}.")
        arith = result.arrays["arithmetic"]
        show_decoded(arith["decoded"], [f"α = {a:g}" for a in arith["alphas"]],
                     f"z + α·v, v = mean μ({arith['to']}) − mean μ({arith['from']})")
        return
    a, b, c = st.columns([2, 2, 1])
    first, second = result.arrays["path_pair"]  # the headline's pair to start from
    i = a.selectbox("Input a", range(len(names)), format_func=names.__getitem__, index=first)
    j = b.selectbox("Input b", range(len(names)), format_func=names.__getitem__, index=second)
    points = c.slider("Points", probes.MIN_POINTS, probes.MAX_POINTS,
                      len(result.arrays["live"]["vrae"]["lambda"]))
    path = probes.path_between(result, i, j, points)
    show_figure(viz.path_figure(path))
    st.caption(f"Valid decodes on this path: {path['valid_fraction']:.0%}"
               + (f"; largest step {path['max_jump']:.3f} of the end-to-end distance (even "
                  f"pacing would be {path['even_step']:.3f})." if "max_jump" in path
                  else f"; real words: {path['real_word_fraction']:.0%}."))
    if result.config["dataset"] == "words":
        typed = st.text_input("Type a word to encode and decode", "lantern",
                              max_chars=VRAE_WORD_MAX_CHARS)
        try:
            out = probes.typed_word(result, typed)
            st.write(f"**{escape_markdown(out['input'])}** → "
                     f"**{escape_markdown(out['decoded'])}**")
        except ValueError as e:
            st.error(escape_markdown(e))
    left, right = st.columns(2)
    classes = probes.class_names(result)
    with left:
        t = st.slider("Prior temperature", 0.1, 2.0, 1.0, 0.1,
                      help="z = temperature·ε with ε ~ N(0, I); 1 samples the prior itself.")
        cls = 0
        if result.config.get("conditional"):
            cls = st.selectbox("Class", range(len(classes)), format_func=classes.__getitem__)
        samples = probes.prior_samples(result, 8, t, cls)
        show_decoded(samples, [f"sample {k + 1}" for k in range(len(samples))],
                     f"Samples from the prior at temperature {t:.1f}")
        how_to_read("low temperatures stay near the centre of the prior, high ones reach "
                    "regions the encoder never used.")
    with right:
        c1, c2, c3 = st.columns(3)
        to_c = c1.selectbox("Towards", range(len(classes)), format_func=classes.__getitem__,
                            index=1)
        from_c = c2.selectbox("Away from", range(len(classes)), format_func=classes.__getitem__)
        alpha = c3.slider("α", -2.0, 2.0, 1.0, 0.25)
        try:
            arith = probes.attribute_walk(result, i, to_c, from_c, [0.0, alpha])
            show_decoded(arith["decoded"], ["α = 0 (input a)", f"α = {alpha:.2f}"],
                         f"z + α·v, v = mean μ({arith['to']}) − mean μ({arith['from']})")
        except ValueError as e:
            st.error(escape_markdown(e))


def levers_view(study) -> None:
    show_figure(viz.lever_bars(study))
    how_to_read("the first run has every lever off; each other run switches exactly one knob "
                "on, same seed and data. A lever prevents collapse when its KL stays clearly "
                "above zero with active units; KL and units are measured on the test inputs.")


def autoencoders_view(study) -> None:
    show_figure(viz.autoencoder_comparison(study.arrays["autoencoders"]))
    how_to_read(f"error on {study.metrics['test_per_length']} test waveforms of each length, "
                "log scale. 'repeat' squeezes the whole sequence into the final state and "
                "grows worse with length; 'sequence' hands the decoder a state for every step, "
                "so it has no bottleneck; the autoregressive form is measured feeding back its "
                "own output, its teacher-forced error dotted.")


page()
