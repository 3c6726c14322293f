"""Text for a character-level language model: the shipped prose, the Python standard
library's own source, or text a user pastes or uploads, and the vocabulary built from it.

Every corpus is split the same way: all but the last HELD_OUT_FRACTION is training text, the
last part is held out (a later stretch of the same text, never seen while training), so the
held-out bits per character measure generalisation, not memory. The vocabulary is the
characters of the training text that occur at least `min_count` times (at most
MAX_VOCABULARY of them, the most frequent); every other character maps to one unknown
symbol, index 0.
"""
from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
PROSE_FILE = ASSETS / "genesis_kjv.txt"
CORPORA = ("prose", "code", "own")
UNKNOWN = "\ufffd"  # the replacement character stands for every character left out
MAX_VOCABULARY = 160  # a mixed-script text keeps its most frequent characters, not thousands
MAX_USER_BYTES = 1_000_000  # pasted or uploaded text, as UTF-8
MIN_USER_CHARS = 500  # enough for training chunks and a held-out stretch
HELD_OUT_FRACTION = 0.1
CODE_MAX_CHARS = 160_000
# A fixed list of pure-Python standard-library modules, read from the running interpreter:
# brackets, quotes and indentation, the analogue of the paper's kernel source.
CODE_MODULES = ("textwrap", "string", "fnmatch", "shlex", "heapq", "bisect", "colorsys",
                "glob", "calendar", "difflib", "fractions", "queue", "sched", "pprint",
                "copy", "dataclasses", "argparse")
ALLOWED_CONTROL = {"\n", "\t"}


@dataclass(frozen=True)
class Vocabulary:
    """Characters by index; index 0 is the unknown symbol every other character maps to."""
    chars: list

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        index = {c: i for i, c in enumerate(self.chars)}
        return [index.get(c, 0) for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] if 0 <= int(i) < len(self.chars) else UNKNOWN
                       for i in ids)


def build_vocabulary(text: str, min_count: int = 1) -> Vocabulary:
    """The characters of `text` seen at least `min_count` times, most frequent first (ties
    in code-point order), at most MAX_VOCABULARY - 1 of them, after the unknown symbol."""
    counts = Counter(text)
    counts.pop(UNKNOWN, None)
    kept = sorted((c for c, n in counts.items() if n >= min_count),
                  key=lambda c: (-counts[c], c))[:MAX_VOCABULARY - 1]
    return Vocabulary([UNKNOWN] + kept)


def load_corpus(name: str) -> str:
    """The shipped prose ("prose") or the standard library's source ("code")."""
    if name == "prose":
        return PROSE_FILE.read_text(encoding="utf-8")
    if name == "code":
        return stdlib_source()
    raise ValueError(f"unknown corpus {name!r}; the shipped corpora are prose and code "
                     "(own text comes from the page)")


def stdlib_source(max_chars: int = CODE_MAX_CHARS) -> str:
    """The source of CODE_MODULES, in that order, cut at `max_chars` on a line boundary."""
    parts, total = [], 0
    for module in CODE_MODULES:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        source = Path(spec.origin).read_text(encoding="utf-8").replace("\r\n", "\n")
        parts.append(source)
        total += len(source)
        if total >= max_chars:
            break
    text = "\n".join(parts)[:max_chars]
    return text[:text.rfind("\n") + 1] if "\n" in text else text


def user_text(raw) -> str:
    """Validate pasted text (str) or an upload (bytes) and return it as text.

    Raises ValueError naming the problem: too large (checked before decoding), not UTF-8
    (with the byte offset), binary (a NUL byte), a control character other than tab and
    newline (with its position), too short, or a single repeated character. Windows line
    ends become newlines. Nothing is unpickled or evaluated; the text is only read.
    """
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > MAX_USER_BYTES:
            raise ValueError(f"the text is {len(raw):,} bytes; at most {MAX_USER_BYTES:,} "
                             "are read")
        if b"\x00" in raw:
            raise ValueError("this looks like a binary file (it holds a NUL byte); upload "
                             "plain text")
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"the file is not UTF-8 text: byte {err.start} "
                             f"(0x{raw[err.start]:02x}) cannot be decoded; save it as "
                             "UTF-8") from None
    elif isinstance(raw, str):
        text = raw
        if len(text.encode("utf-8", errors="surrogatepass")) > MAX_USER_BYTES:
            raise ValueError(f"the text is {len(text.encode('utf-8', 'surrogatepass')):,} "
                             f"bytes as UTF-8; at most {MAX_USER_BYTES:,} are read")
    else:
        raise ValueError(f"expected text or bytes, got {type(raw).__name__}")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise ValueError("the text holds a NUL character, as binary files do; paste plain "
                         "text")
    for position, char in enumerate(text):
        if (ord(char) < 32 and char not in ALLOWED_CONTROL) or 127 <= ord(char) < 160 \
                or 0xD800 <= ord(char) < 0xE000:
            raise ValueError(f"the text holds the control character U+{ord(char):04X} at "
                             f"position {position}; only tab and newline are kept, so remove "
                             "it")
    if len(text.strip()) < MIN_USER_CHARS:
        raise ValueError(f"the text has {len(text.strip())} characters besides white space; "
                         f"at least {MIN_USER_CHARS} are needed to train and hold some out")
    if len(set(text)) < 2:
        raise ValueError("the text repeats one character; there is nothing to predict")
    return text


def split_text(text: str) -> tuple[str, str]:
    """Training text (the first 90%) and the held-out text (the rest)."""
    cut = int(len(text) * (1.0 - HELD_OUT_FRACTION))
    return text[:cut], text[cut:]
