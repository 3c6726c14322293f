"""Home: every lab as a card — the question it answers, what you will see, a link."""
from pathlib import Path

import streamlit as st

from core.labs.catalog import grouped_cards, lab_cards
from ui.lab_page import use_router

PAGES = Path(__file__).parent

use_router()
st.title("RNN Lab")
st.markdown(
    "Train small recurrent networks live, then look inside them. Each lab asks one question "
    "about an architecture, trains a real model live when you press **Train** (the first "
    "steps show at once; the finished picture takes from a few seconds to a minute or more, "
    "by lab and by how many share the server), and shows the measurement next to the theory "
    "it checks.")

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
