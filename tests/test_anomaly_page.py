"""The Anomaly Detection page trains from its Train button and draws every tab."""
from application_pages import check_trains_and_draws_its_tabs


def test_trains_and_draws_its_tabs():
    check_trains_and_draws_its_tabs("anomaly", ("ROC", "By anomaly kind"))
