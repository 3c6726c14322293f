"""Streamlit pieces shared by every page: config widgets, the live run panel, page frame."""
