"""The three models the Recurrence vs Attention lab compares, built from its Config, and
its task. Shared by the lab's main run and its studies."""
from __future__ import annotations

from core.models.causal_attention import CausalAttentionTagger
from core.models.fixed_gates import pin_forget_gate
from core.models.recurrent import RecurrentClassifier
from core.tasks.long_range import LongRangeTask

MODELS = ("rnn", "lstm", "attention")
SYMBOLS = 8  # alphabet size; chance accuracy is 1/8
# The LSTM's forget-gate bias at the start (Jozefowicz et al. 2015 recommend 1): the gate
# starts near sigma(1) = 0.73 and learns from there, unless the run pins it.
LSTM_FORGET_BIAS = 1.0


def make_task(config) -> LongRangeTask:
    return LongRangeTask(config.task, SYMBOLS, config.seq_len, config.lag)


def build_model(name: str, task: LongRangeTask, config, *, seq_len: int | None = None,
                kernel: str = "fused"):
    """A tagger emitting logits at every step: the tanh RNN, the LSTM (its forget gate
    pinned when `config.pin_forget` is set) or causal self-attention with room for
    `seq_len` positions (the task's by default)."""
    if name == "attention":
        return CausalAttentionTagger(task.input_size, config.hidden, config.heads,
                                     config.layers, SYMBOLS, seq_len or task.seq_len,
                                     positions=config.positions, kernel=kernel)
    if name not in ("rnn", "lstm"):
        raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")
    model = RecurrentClassifier(name, task.input_size, config.hidden, SYMBOLS,
                                forget_bias=LSTM_FORGET_BIAS if name == "lstm" else 0.0)
    if name == "lstm" and config.pin_forget:
        pin_forget_gate(model.core, config.pin_forget)
    return model
