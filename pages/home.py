"""Home: every lab as a card — the question it answers, what you will see, a link."""
from pathlib import Path

import streamlit as st

from core.cpu_name import this_cpu
from core.labs.catalog import grouped_cards, lab_cards
from core.run_times import bench_ranges, load_bench_times, machine_words, other_cpu_words
from ui.lab_page import use_router

PAGES = Path(__file__).parent

use_router()
st.title("RNN Lab")
# the slowest picture a class saw in a browser (README, top: Gradient Flow, a class pressing Train)
CLASS_WORST_S = 80


def how_long() -> str:
    """How long Train takes, from the bench's shipped times (nothing made up without them)."""
    data = load_bench_times()
    ranges = bench_ranges(data)
    if ranges is None:
        return "Each lab's page says beside **Train** how long its runs took."
    first, shortest, longest = ranges
    return (f"Measured by the bench on {machine_words(data)}, a lab's default demo shows its "
            f"first figure within {first:.1f} s of the start of training and its whole picture "
            f"after {shortest:.1f}–{longest:.1f} s; with a class pressing Train on the same "
            f"server it took up to {CLASS_WORST_S} s. Each lab's page says beside **Train** how "
            "long its runs took." + other_cpu_words(data, this_cpu()))


st.markdown(
    "Train small recurrent networks live, then look inside them. Each lab asks one question "
    "about an architecture, trains a real model live when you press **Train**, and shows the "
    "measurement next to the theory it checks. " + how_long())

labs = [card for card in lab_cards() if (PAGES / f"{card.id}.py").exists()]
for group, cards in grouped_cards(labs).items():
    if group:
        st.header(group)
    # one row of two cards at a time: a phone stacks each row's cards in turn, so the cards
    # come in the desktop's reading order (two columns filled alternately would stack as
    # 1, 3, 5, ...)
    for i, lab in enumerate(cards):
        if i % 2 == 0:
            row = st.columns(2)
        with row[i % 2].container(border=True):
            st.subheader(lab.title)
            st.markdown(f"**The question:** {lab.question}")
            st.caption(f"What you will see: {lab.what_you_see}")
            st.page_link(str(PAGES / f"{lab.id}.py"), label=f"Open {lab.title}",
                         icon=lab.icon)
