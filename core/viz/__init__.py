"""Pure functions from a Result (or its parts) to plotly figures; no Streamlit here."""
