"""Forecast Error Growth: feed predictions back or predict all at once, and how fast errors grow."""
import dataclasses
import math

import streamlit as st

from core.contract import ConfigError
from core.labs import get_lab
from core.labs.forecast import check_series, lab_for_series
from core.tasks.series_csv import MAX_BYTES, numeric_columns, read_csv_table, series_from_table
from core.viz import forecast as viz
from ui.escape import escape_markdown
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel
from ui.numbers import shown

LAB = get_lab("forecast")
KNOWN_RATE = {"linear": "ln L", "logistic": "Lyapunov exponent λ",
              "lorenz": "0.906 × Δt (Lyapunov exponent per sample)"}

THEORY = r"""
**Two ways to look H steps ahead.** An *iterative* forecaster learns one step,
$\hat x_{t+1} = \hat f(x_{\le t})$, and rolls out by feeding each prediction back in. A *direct*
forecaster reads the context once and emits $\hat x_{t+1}, \dots, \hat x_{t+H}$ together, so
no prediction ever becomes an input.

**Why iterative errors compound.** Suppose the true map $f$ has Lipschitz constant $L$,
$\|f(u) - f(v)\| \le L\|u - v\|$, and the model misses by at most $\varepsilon$ per step. The
error after $k+1$ steps splits into the new mistake and the old error pushed through $f$:
$e_{k+1} \le \varepsilon + L\,e_k$, hence
$$e_k \le \varepsilon \sum_{j=0}^{k-1} L^j .$$
Three regimes follow: for $L<1$ the sum stays below $\varepsilon/(1-L)$ (bounded); at $L=1$ it
is $k\varepsilon$ (linear); for $L>1$ it grows like $L^k$, a slope of $\ln L$ per step on a
log axis (exponential). The dashed curve in the figure is this sum with the model's own
measured one-step error as $\varepsilon$.

**Measuring the rate.** The sum is not a pure exponential: it is
$\varepsilon (L^k - 1)/(L - 1)$, and the slope of $\ln e_k$ itself misreads it (positive even
for $L < 1$). Its differences are exactly geometric,
$e_{k+m} - e_k = \varepsilon L^k (1 + L + \dots + L^{m-1})$, so the lab fits the slope of
$\ln$ of the error's differences against $k$, with $m = \max(1, \lfloor n/8 \rfloor)$ for $n$
usable horizons, before the error reaches a quarter of its saturation level. On the theory
curve this returns $\ln L$ exactly, for every $L$. Below $L = 1$ a trained model's error
depends on the state it is in and need not follow $\varepsilon \sum L^j$ term by term: there
the lab judges it by staying bounded, not by its rate.

**The direct forecaster.** Its error at horizon $k$ is whatever is left from learning the
$k$-step map $f^k$. Nothing is fed back, so nothing compounds; it can still rise with $k$
(for a chaotic $f$, $f^k$ gets harder to learn) and levels off once $f^k$ is hopeless and the
model falls back to the average. No curve follows from $\varepsilon$ alone, so none is drawn.

**Chaos.** For the logistic map at $r=4$ nearby orbits separate on average by a factor 2 per
step — the Lyapunov exponent is $\lambda = \ln 2$ — and for Lorenz-63 with the classic
parameters it is about $0.906$ per unit time, i.e. $0.906\,\Delta t$ per sample. The dashed
curve then uses the average stretch $e^\lambda$ in place of $L$: an estimate, not a bound
(the logistic map's Lipschitz constant is 4, and a bound built on it would be hopelessly
loose). The model's small mistakes are amplified by the system, not by the network, so the
fitted rate should land near $\lambda$.

#### Where the theory comes from

| On the page | Formula | Assumes | Checked against an exact case by |
|---|---|---|---|
| dashed curve, linear map | $e_k \le \varepsilon\sum_{j<k} L^j$ | per-step error at most $\varepsilon$; $f$ is $L$-Lipschitz (exactly so for $x \mapsto Lx$) | `test_linear_system_obeys_its_map_and_a_biased_model_follows_the_geometric_sum`: the model $\hat f(x) = Lx + \varepsilon$ rolled out gives the sum exactly |
| bounded / linear / exponential | $\varepsilon/(1-L)$, $k\varepsilon$, $\sim L^k$ | the same | the same test classifies the exact curves at $L$ = 0.8, 1, 1.2 |
| fitted growth rate | slope of $\ln(e_{k+m} - e_k)$ | one geometric phase before a quarter of saturation | `test_growth_rate_of_the_exact_theory_curve_is_ln_L` (exactly $\ln L$ for $L$ from 0.8 to 2) and `test_growth_rate_reads_chaotic_growth_under_an_offset_and_a_falling_curve` ($A + Be^{rk}$ gives $r$) |
| dashed curve, logistic map | $\varepsilon\sum_{j<k} e^{\lambda j}$, $\lambda = \ln 2$ at $r = 4$ | errors small enough to grow at the average rate: an estimate | `test_logistic_r4_divergence_grows_at_ln2_per_step`: two true orbits $10^{-10}$ apart separate at $\ln 2$ per step |
| dashed curve, Lorenz-63 | $\lambda \approx 0.906\,\Delta t$ per sample (Sprott) | the same | `test_lorenz_orbits_separate_at_the_known_exponent`: two true orbits $10^{-8}$ apart |
| saturation line | median distance between two independent states | a forecast that has forgotten its start errs this much | a definition, measured on the test windows (not drawn for the linear map, which has no attractor) |
"""


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    idle = (f"Press **Train** to train an iterative and a direct {config.cell} forecaster "
            f"on the {config.system} system and measure their error {config.horizon} steps "
            "ahead.")
    if config.system == "csv":
        series = uploaded_series()
        frame, idle = csv_frame(frame, series, idle)
    result = run_panel(frame.lab, frame, headline=viz.headline, colors=viz.COLORS, idle=idle)
    if result is not None:
        numbers(result)
    sections(frame, result, {
        "Growth rate": growth_rate,
        "Example forecasts": examples,
    }, THEORY, study_views={"sweep_l": sweep_view})


def uploaded_series():
    """The column to forecast from the sidebar's upload, or None (with the reason shown)."""
    with st.sidebar:
        upload = st.file_uploader(f"CSV file (header row, up to {MAX_BYTES // 1_000_000} MB)",
                                  type=["csv", "txt"], key="forecast-csv-file",
                                  max_upload_size=math.ceil(MAX_BYTES / 2**20))
        if upload is None:
            return None
        try:
            table = read_csv_table(upload.getvalue())
            column = st.selectbox("Column to forecast", numeric_columns(table),
                                  key="forecast-csv-column")
            series = series_from_table(table, column)
        except ValueError as err:
            st.error(f"Cannot use this file: {escape_markdown(err)}", icon=":material/error:")
            return None
        st.caption(f"{len(series)} values from column {escape_markdown(repr(column))}.")
        return series


def csv_frame(frame, series, idle: str):
    """Train runs on the uploaded column, and only once there is one that fits a window."""
    if frame.problem is not None:
        return frame, idle
    try:
        check_series(frame.config, series)
    except ConfigError as problem:
        if series is not None:
            st.sidebar.error(f"{problem}.", icon=":material/error:")
        return dataclasses.replace(frame, problem=str(problem)), (
            "Upload a CSV file in the sidebar and pick a numeric column to train on it."
            if series is None else "This column is too short for the context and horizon.")
    return dataclasses.replace(frame, lab=lab_for_series(series)), (
        f"Press **Train** to forecast the uploaded column ({len(series)} values).")


def numbers(result) -> None:
    m = result.metrics
    system = result.config["system"]
    theory = {"linear": "The dashed curve is the theory ε·Σ L^j, with ε the iterative model's "
                        "own one-step error. ",
              "logistic": "The dashed curve is the estimate ε·Σ e^(λj), with ε the iterative "
                          "model's own one-step error, drawn up to the saturation line. ",
              "lorenz": "The dashed curve is the estimate ε·Σ e^(λj), with ε the iterative "
                        "model's own one-step error, drawn up to the saturation line. "}
    how_to_read(f"left, the training loss of both forecasters; right, each one's median error "
                f"at every horizon k over {m['test_windows']} held-out windows (log axis; "
                "while training, over the validation windows), the band holding the middle "
                "half. A rising straight line is exponential growth. "
                + theory.get(system, "A recorded series has no theory curve. ")
                + "The dotted grey curve repeats the last observed value"
                + ("." if system == "linear" else "; the dash-dot line is the saturation "
                   "level, where a forecast has forgotten its start."))
    cols = st.columns(4)
    ref = m["reference_growth_rate"]
    if m["bounded_regime"]:
        cols[0].metric("Largest error / one-step error",
                       shown(m["largest_over_one_step_error_iterative"]),
                       help="Below L = 1 the lab judges the iterative error by staying "
                            "bounded, not by its rate.")
    elif ref is not None and math.isfinite(ref):
        cols[0].metric("Fitted growth rate", shown(m["growth_rate_iterative"], ".3f", " / step"),
                       help=f"Slope of ln of the iterative error's differences, over "
                            f"{m['growth_fit_points']} differences; known rate "
                            f"{ref:.3f} per step.")
    else:
        cols[0].metric("One-step error, repeat last value",
                       f"{m['error_by_horizon_persistence'][0]:.3g}")
    cols[0].caption(f"known: {KNOWN_RATE[result.config['system']]} = {ref:.3f} per step"
                    if ref is not None and math.isfinite(ref)
                    else "a recorded series has no known rate")
    cols[1].metric("One-step error ε (iterative)", f"{m['one_step_error_iterative']:.3g}")
    cols[2].metric("Error at H: iterative / direct",
                   f"{m['final_error_iterative']:.3g} / {m['final_error_direct']:.3g}")
    cols[3].metric("Steps trained (each model)", result.steps)
    if result.status in ("succeeded", "completed") and result.message:
        st.caption(result.message)  # the lab's verdict, in its own words


def growth_rate(result) -> None:
    if result.arrays.get("theory_stretch") is None:
        st.info("A recorded series has no known growth rate to compare with; the figure "
                "above still compares the iterative and the direct forecaster.")
        return
    show_figure(viz.growth_rate_figure(result))
    how_to_read("x is the rate the system sets (ln L for the linear map, the Lyapunov "
                "exponent × Δt for the chaotic ones), y the slope of ln of the error's "
                "differences e_(k+m) − e_k fitted to the measured median error before it "
                "reaches a quarter of saturation. On the exact theory curve this fit returns "
                "ln L exactly, so a point on the dashed line means the error compounds at "
                "the rate the system sets. Below L = 1 the trained model's error depends on "
                "the state: judge it by staying bounded, not by this point.")


def examples(result) -> None:
    show_figure(viz.examples_figure(result))
    how_to_read("black is the true series (context left of the vertical dotted line), the red "
                "dotted line the iterative forecast, the blue one the direct forecast, on "
                "held-out test windows. Watch where each leaves the truth.")


def sweep_view(swept) -> None:
    if not swept.arrays.get("sweep"):
        return
    show_figure(viz.sweep_curves_figure(swept))
    how_to_read("one measured iterative error curve per L, log axis, same seed and data. "
                "L < 1 levels off (bounded), L = 1 climbs like a line (a bending curve on "
                "this log axis), L > 1 keeps climbing with slope ln L (exponential).")
    show_figure(viz.growth_rate_figure(swept))
    how_to_read("the fitted growth rate (slope of ln of the error's differences) of each run "
                "against ln L. Above L = 1 points near the dashed line show the error "
                "compounding at the rate L sets; below it the lab judges by boundedness, "
                f"and {swept.metrics['sweep_regimes_as_predicted']} of "
                f"{len(swept.arrays['sweep'])} runs show the regime their L predicts.")


page()
