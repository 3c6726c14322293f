"""A small char-level language model with the shape the language lab's model has (.cell,
.embed, .rnn, .head; model(ids) -> (logits, state)), for the tests of the cell inspector."""
from torch import nn


class CharModel(nn.Module):
    """embed -> fused nn.RNN(tanh) / nn.LSTM / nn.GRU (batch first) -> linear head."""

    def __init__(self, cell: str, vocab: int = 11, hidden: int = 7, layers: int = 2):
        super().__init__()
        self.cell = cell
        self.embed = nn.Embedding(vocab, 5)
        kind = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
        extra = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        self.rnn = kind(5, hidden, num_layers=layers, batch_first=True, **extra)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids, state=None):
        out, state = self.rnn(self.embed(ids), state)
        return self.head(out), state
