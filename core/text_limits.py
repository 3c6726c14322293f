"""The most text each free-text input and upload accepts, in one place.

Pages pass these as `max_chars` (text) so the browser stops typing there; the parsers behind
the inputs enforce their own limits on what the text holds (symbols, numbers, letters) and
name the problem. Each bound allows the longest valid input with generous separators:
"a, b, c" spends three characters per symbol, and a number such as
"-1.2345678901234567e-123, " twenty-six.

Uploads: Streamlit's server refuses any upload above `server.maxUploadSize` (megabytes, in
.streamlit/config.toml) while it streams, before the app sees a byte; UPLOAD_MAX_MB must
equal that setting (a test checks it) and cover both kinds of file the app takes.
"""
from __future__ import annotations

import math

from core.export import MAX_CHECKPOINT_BYTES
from core.tasks import direction, permutation, words
from core.tasks.series_csv import MAX_BYTES as CSV_MAX_BYTES
from core.tasks.series_csv import MAX_COLUMNS as CSV_MAX_COLUMNS  # noqa: F401 (listed here)


# The longest inputs the labs' knobs allow (Attention's test_max_len, Stack's test_len,
# DNA's length): stated here, not read from the labs, so a lab can import this
# module; a test checks that they agree with the knobs.
ATTENTION_LONGEST_INPUT = 40
STACK_LONGEST_STRING = 100
DNA_LONGEST_SEQUENCE = 400
CHARS_PER_SYMBOL = 3  # a letter, a comma and a space
CHARS_PER_NUMBER = 26  # sign, 17 significant digits, point, exponent, comma, space

# DNA page: "Type or paste a DNA sequence" (bases; spaces and line breaks ignored).
DNA_SEQUENCE_MAX_CHARS = 2 * DNA_LONGEST_SEQUENCE
# Attention page: "Type an input" (letters; the longest test input the lab allows).
ATTENTION_INPUT_MAX_CHARS = CHARS_PER_SYMBOL * ATTENTION_LONGEST_INPUT
# Bidirectional page: "Symbols (a, b, ...)".
BIDIRECTIONAL_INPUT_MAX_CHARS = CHARS_PER_SYMBOL * direction.MAX_TYPED_LENGTH
# Pointer page: "Numbers to decode".
POINTER_NUMBERS_MAX_CHARS = CHARS_PER_NUMBER * permutation.MAX_TYPED_LENGTH
# Stack page: "Your string" (brackets; spaces are ignored). The model's own capacity, at most
# the longest test string plus two, is the tighter per-model bound the page already passes.
STACK_STRING_MAX_CHARS = 2 * (STACK_LONGEST_STRING + 2)
# VRAE page: "Type a word to encode and decode" (letters a-z).
VRAE_WORD_MAX_CHARS = CHARS_PER_SYMBOL * words.MAX_LETTERS

# The largest upload either uploader needs, rounded up to whole megabytes (1 MB = 2**20 bytes
# in Streamlit's check).
UPLOAD_MAX_MB = math.ceil(max(CSV_MAX_BYTES, MAX_CHECKPOINT_BYTES) / 2**20)
