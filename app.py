"""RNN Lab: the router. Page config, the sidebar every page shares, and navigation."""
from pathlib import Path

import streamlit as st

from core.device import configure_threads, device_label
from core.labs import all_labs
from core.runs import SLOTS, max_concurrent_runs

ROOT = Path(__file__).parent

st.set_page_config(page_title="RNN Lab", page_icon=":material/neurology:", layout="wide")
configure_threads()


def lab_pages() -> list:
    pages = [st.Page(str(ROOT / "pages" / "home.py"), title="Home", icon=":material/home:",
                     default=True)]
    for lab in all_labs().values():
        path = ROOT / "pages" / f"{lab.id}.py"
        if path.exists():
            pages.append(st.Page(str(path), title=lab.title, icon=lab.icon, url_path=lab.id))
    return pages


def sidebar() -> None:
    with st.sidebar:
        st.markdown("### RNN Lab")
        st.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="seed",
                        help="One seed fixes the data and the initial weights of every lab, "
                             "so two runs that differ in one knob are a fair comparison.")
        st.caption(f"Device: **{device_label()}**")
        st.caption(f"Training now: {SLOTS.active} of {max_concurrent_runs()} slots on this server")


navigation = st.navigation(lab_pages())
sidebar()
navigation.run()
