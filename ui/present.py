"""The page's look: compact enough that the experiment fits one screen, and present mode for
the projector — larger type and only the controls the preset names.
Present mode is switched in the sidebar or with ?present=1."""
from __future__ import annotations

import streamlit as st

# Streamlit's default top padding and heading sizes spend a fifth of a 720-pixel projector
# on whitespace; the run's progress, live loss and headline figure need that room.
PAGE_CSS = """
<style>
.stMainBlockContainer { padding-top: 3.8rem; padding-bottom: 2rem; }
.stMainBlockContainer h1 { font-size: 1.9rem; padding: 0 0 0.2rem 0; }
[data-testid="stSidebarContent"] [data-testid="stSidebarUserContent"] { padding-top: 0.8rem; }
/* A long preset name wraps inside its pill, and a row of many tabs wraps onto a second
   line, rather than being cut off ("a vocabulary cannot name new po…", VRAE's Theory and
   Export tabs scrolled out of sight). */
[data-testid="stSidebar"] button[data-variant="pills"] { max-width: 100%; height: auto; }
[data-testid="stSidebar"] button[data-variant="pills"] p { white-space: normal;
  overflow: visible; text-overflow: clip; text-align: left; }
[data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; row-gap: 0.2rem; }
/* A row of five metrics on a tablet's main area cut labels and numbers ("ELBO (n…", "-46…"):
   labels wrap, and values shrink with the window instead. */
[data-testid="stMetricLabel"] * { white-space: normal; overflow: visible; text-overflow: clip; }
[data-testid="stMetricValue"] { font-size: clamp(1.1rem, 2.5vw, 2.25rem); }
[data-testid="stMetricValue"] * { overflow: visible; text-overflow: clip; }
/* Train and Stop are drawn twice: in the sidebar, and in the main area for a phone, where
   Streamlit folds the sidebar away (below 768 px). */
.st-key-phone-run-buttons,
[data-testid="stLayoutWrapper"]:has(> .st-key-phone-run-buttons) { display: none; }
@media (max-width: 767.98px) {
  .st-key-phone-run-buttons { display: flex; }
  [data-testid="stLayoutWrapper"]:has(> .st-key-phone-run-buttons) { display: block; }
  /* the headline figure right under the buttons, the live loss after it */
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [class*="st-key-headline-"]) {
    flex-direction: column-reverse; }
}
/* A touch screen shows Plotly's toolbar always, over the figure's title: on phones and
   tablets it goes (the sidebar's Figure downloads still apply on a desktop). */
@media (max-width: 1024px), (hover: none) {
  .js-plotly-plot .modebar-container { display: none !important; }
}
</style>
"""
PRESENT_CSS = """
<style>
html { font-size: 19px; }
.stMainBlockContainer { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
.stMarkdown p, .stMarkdown li { font-size: 1.1rem; }
.stMainBlockContainer h1 { font-size: 2.1rem !important; }
/* At 19 px type Streamlit's gaps and note padding pushed a headline with a preset note above
   it (Forecast's Lorenz) past a 720-pixel projector's foot. */
.stMainBlockContainer [data-testid="stVerticalBlock"] { gap: 0.7rem; }
.stMainBlockContainer [data-testid="stAlertContainer"] { padding-top: 0.55rem;
  padding-bottom: 0.55rem; }
</style>
"""


def is_present() -> bool:
    return bool(st.session_state.get("present", False))


def apply_page_style() -> None:
    st.html(PAGE_CSS + (PRESENT_CSS if is_present() else ""))


def scale_for_present(fig):
    """Larger type when projecting; the height stays, so the figure still fits the screen."""
    if is_present():
        fig.update_layout(font=dict(size=16))
    return fig
