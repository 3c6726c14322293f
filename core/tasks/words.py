"""Character-level English words: the discrete data set, from the list shipped in assets/.

assets/words.txt holds 3,953 lowercase words of 3–8 letters taken from SCOWL via Debian's
`wamerican` package (source and licence in assets/words.LICENSE). Two words in ten are held
out: one set that early stopping reads (validation) and one that the reported numbers come
from (test), so no reported word was ever trained on or chosen for. A word is encoded as
letters followed by an end token; the decoder reads a start token and the previous letters
(teacher forcing).
"""
from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

WORDS_PATH = Path(__file__).resolve().parents[2] / "assets" / "words.txt"
PAD, SOS, EOS, UNK = 0, 1, 2, 3
LETTERS = "abcdefghijklmnopqrstuvwxyz"
VOCAB = ("<pad>", "<s>", "</s>", "<unk>") + tuple(LETTERS)
MAX_LETTERS = 8
LENGTH_CLASSES = ("short (3-6)", "long (7-8)")
SPLITS = ("train", "validation", "test")
_VALID = re.compile(r"^[a-z]+$")


@lru_cache(maxsize=1)
def load_words() -> tuple[str, ...]:
    return tuple(w.strip() for w in WORDS_PATH.read_text().split() if w.strip())


def validate_word(text: str) -> str:
    """A typed word, checked: lowercase letters a–z only, 1 to MAX_LETTERS of them."""
    word = text.strip().lower()
    if not word:
        raise ValueError("type a word: the box is empty")
    if not _VALID.match(word):
        bad = sorted({c for c in word if c not in LETTERS})
        raise ValueError(f"{reprlib.repr(text)} contains {reprlib.repr(''.join(bad))}; use "
                         "the letters a-z only")
    if len(word) > MAX_LETTERS:
        raise ValueError(f"{reprlib.repr(text)} has {len(word)} letters; at most {MAX_LETTERS} "
                         "are allowed")
    return word


def length_class(n_letters: int) -> int:
    return 0 if n_letters <= 6 else 1


@dataclass
class WordBatch:
    letters: torch.Tensor  # (B, MAX_LETTERS) letter ids, PAD after the word (encoder input)
    decoder_in: torch.Tensor  # (B, MAX_LETTERS + 1) <s> then the letters, PAD after
    target: torch.Tensor  # (B, MAX_LETTERS + 1) the letters then </s>, PAD after
    lengths: torch.Tensor  # (B,) letters per word
    words: list

    @property
    def label(self) -> torch.Tensor:
        return torch.tensor([length_class(n) for n in self.lengths.tolist()],
                            device=self.lengths.device)

    def attributes(self) -> dict:
        return {"length": self.lengths.tolist(), "first letter": [w[0] for w in self.words]}

    def subset(self, index) -> "WordBatch":
        index = torch.as_tensor(index, device=self.letters.device).reshape(-1)
        return WordBatch(self.letters[index], self.decoder_in[index], self.target[index],
                         self.lengths[index], [self.words[i] for i in index.tolist()])


def encode(words: list[str], device=None) -> WordBatch:
    words = [validate_word(w) for w in words]  # typed words arrive with spaces or capitals
    n, L = len(words), MAX_LETTERS
    cpu = torch.device("cpu")  # built here, then moved: never on a default device set elsewhere
    letters = torch.full((n, L), PAD, dtype=torch.long, device=cpu)
    decoder_in = torch.full((n, L + 1), PAD, dtype=torch.long, device=cpu)
    target = torch.full((n, L + 1), PAD, dtype=torch.long, device=cpu)
    for i, word in enumerate(words):
        ids = [VOCAB.index(c) for c in word]
        letters[i, :len(ids)] = torch.tensor(ids, device=cpu)
        decoder_in[i, :len(ids) + 1] = torch.tensor([SOS] + ids, device=cpu)
        target[i, :len(ids) + 1] = torch.tensor(ids + [EOS], device=cpu)
    lengths = torch.tensor([len(w) for w in words], dtype=torch.long, device=cpu)
    tensors = [t.to(device) if device is not None else t
               for t in (letters, decoder_in, target, lengths)]
    return WordBatch(*tensors, words=list(words))


def decode_ids(ids: list[int]) -> str:
    """Letters up to the first end token; special tokens other than </s> show as '?'."""
    out = []
    for i in ids:
        if i == EOS:
            break
        out.append(VOCAB[i] if i >= 4 else "?")
    return "".join(out)


@dataclass(frozen=True)
class Words:
    kind = "discrete"
    vocab_size = len(VOCAB)
    classes = len(LENGTH_CLASSES)
    class_names = LENGTH_CLASSES
    attribute = "length"
    seq_len = MAX_LETTERS + 1

    def split(self, part: str = "train") -> tuple[str, ...]:
        """The words of one part: "train" (8 in 10), "validation" or "test" (1 in 10 each)."""
        if part not in SPLITS:
            raise ValueError(f"unknown split {part!r}; splits: {', '.join(SPLITS)}")
        keep = {"train": lambda i: i % 10 not in (0, 5), "validation": lambda i: i % 10 == 5,
                "test": lambda i: i % 10 == 0}[part]
        return tuple(w for i, w in enumerate(load_words()) if keep(i))

    def sample(self, n: int, gen: torch.Generator, device=None, part: str = "train") -> WordBatch:
        """`n` words of `part`: drawn with replacement for training; for a held-out part,
        distinct words (all of them when `n` exceeds the part)."""
        pool = self.split(part)
        if part == "train":
            index = torch.randint(0, len(pool), (n,), generator=gen, device=gen.device).tolist()
        else:
            index = torch.randperm(len(pool), generator=gen, device=gen.device)[:n].tolist()
        return encode([pool[i] for i in index], device)

    def describe(self, batch: WordBatch, i: int) -> str:
        return batch.words[i]
