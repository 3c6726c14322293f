import math

import streamlit as st

from core.labs import get_lab
from core.labs.forecast import run, sweep
from core.tasks.series_csv import MAX_BYTES, numeric_columns, read_csv_table, series_from_table
from core.viz import forecast as viz
from ui.escape import escape_markdown
from ui.lab_page import lab_header, lab_controls, theory
from ui.run_panel import run_panel
from ui.figures import show_figure

LAB = get_lab("forecast")
SWEEP_L = (0.8, 0.9, 1.0, 1.1, 1.2)

lab_header(LAB)
config = lab_controls(LAB)

series = None
if config.system == "csv":
    upload = st.file_uploader(f"CSV file (header row, up to {MAX_BYTES // 1_000_000} MB)",
                              type=["csv", "txt"], key="forecast-csv-file",
                              max_upload_size=math.ceil(MAX_BYTES / 2**20))
    if upload is not None:
        try:
            table = read_csv_table(upload.getvalue())
            column = st.selectbox("Column to forecast", numeric_columns(table),
                                  key="forecast-csv-column")
            series = series_from_table(table, column)
            st.caption(f"{len(series)} values from column {escape_markdown(repr(column))}.")
        except ValueError as err:
            st.error(f"Cannot use this file: {escape_markdown(err)}")

if config.system == "csv":
    if series is None:
        st.info("Upload a CSV and pick a numeric column to train on it.")
        result = None
    else:
        result = run_panel(LAB, config, key="forecast-csv",
                           job=lambda on_step, should_stop: run(config, on_step, should_stop,
                                                                series=series),
                           label="Train on this series", total_steps=2 * config.steps)
else:
    result = run_panel(LAB, config)

if result is not None:
    if result.message:
        st.write(result.message)
    show_figure(viz.error_by_horizon_figure(result))
    st.caption("How to read this: x is how many steps ahead, y the median error over held-out "
               "windows on a log scale, with the band holding the middle half of windows. "
               "A straight rising line on this axis is exponential growth. Look for the red "
               "iterative curve following its dashed theory curve (ε·Σ L^j, ε its own measured "
               "one-step error) while the blue direct curve does not compound. Dashed lines "
               "are theory, not measurements.")
    show_figure(viz.growth_rate_figure(result))
    st.caption("How to read this: x is the rate the system itself sets (ln L for the linear "
               "map, the Lyapunov exponent × Δt for the chaotic ones), y the slope fitted to "
               "the measured ln error before it saturates. Points on the dashed line agree. "
               "Real series have no known rate, so nothing is plotted for them.")
    show_figure(viz.examples_figure(result))
    st.caption("How to read this: black is the true series (context left of the dotted line), "
               "red dots the iterative forecast, blue dots the direct one. Watch where each "
               "leaves the truth.")

if config.system == "linear":
    st.subheader("Sweep the Lipschitz constant")
    st.write(f"Trains the linear system at L = {', '.join(map(str, SWEEP_L))} with the other "
             "settings above.")
    swept = run_panel(LAB, config, key="forecast-sweep",
                      job=lambda on_step, should_stop: sweep(config, SWEEP_L, on_step,
                                                             should_stop),
                      label="Run sweep", total_steps=2 * config.steps * len(SWEEP_L))
    if swept is not None and swept.arrays.get("sweep"):
        show_figure(viz.sweep_curves_figure(swept))
        st.caption("How to read this: one measured iterative error curve per L, log scale. "
                   "L < 1 stays bounded, L = 1 climbs like a line (a log curve on this axis), "
                   "L > 1 climbs straight: exponential.")
        show_figure(viz.growth_rate_figure(swept))
        st.caption("How to read this: the fitted growth rate of each run against ln L. Points "
                   "near the dashed line show the error compounding at the rate L sets.")

theory(r"""
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
log axis (exponential).

**The direct bound has one term.** The error at horizon $k$ is whatever was left in learning
the $k$-step map $f^k$ — a single term, with no sum of earlier mistakes. It can still rise
with $k$ (for a chaotic $f$, $f^k$ gets harder to learn), but it does not compound; once $f^k$
is hopeless the direct model falls back to the average and its error levels off.

**Chaos.** For the logistic map at $r=4$ nearby orbits separate on average by a factor 2 per
step — the Lyapunov exponent is $\ln 2$ — and for Lorenz-63 with the classic parameters it is
about $0.906$ per unit time, i.e. $0.906\,\Delta t$ per sample. The fitted slope of $\ln e_k$
before the error reaches the size of the attractor should land near these numbers: the
model's small mistakes are amplified by the system, not by the network.
""")
