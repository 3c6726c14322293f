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


def test_the_home_page_path_does_not_import_torch():
    code = ("import sys\n"
            "import core.warmup, core.runs, ui.links, ui.lab_page\n"
            "from core.labs.catalog import lab_cards\n"
            "assert lab_cards()\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
