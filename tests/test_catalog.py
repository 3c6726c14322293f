"""The home page's lab cards, read from source, agree with the imported registry, and the
router's and home page's imports leave torch unimported."""
import subprocess
import sys

from core.labs import all_labs
from core.labs.catalog import CARD_FIELDS, lab_cards


def test_cards_match_the_registry():
    cards = lab_cards()
    labs = list(all_labs().values())
    assert [c.id for c in cards] == [lab.id for lab in labs]
    for card, lab in zip(cards, labs):
        for name in CARD_FIELDS:
            assert getattr(card, name) == getattr(lab, name), (lab.id, name)


def test_a_card_field_that_is_not_a_literal_is_refused_with_a_clear_message():
    import pytest

    from core.labs.catalog import _card_from_source
    source = 'TITLE = "x"\nLAB = LabSpec(id="x", title=TITLE, question="q", what_you_see="w")\n'
    with pytest.raises(ValueError, match="core/labs/x.py: LabSpec's title= must be written "
                                         "as a literal"):
        _card_from_source(source, "core/labs/x.py")


def test_the_readme_table_lists_every_lab_from_the_catalog():
    """The README's table of labs is the catalog's: a new lab is listed with its question."""
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| ") and "|" in line[2:]]
    for card in lab_cards():
        assert f"| {card.title} | {card.question} |" in rows, card.id


def test_the_home_page_path_does_not_import_torch():
    code = ("import sys\n"
            "import core.warmup, core.runs, ui.links, ui.lab_page\n"
            "from core.labs.catalog import lab_cards\n"
            "assert lab_cards()\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
