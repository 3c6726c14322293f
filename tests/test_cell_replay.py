"""The step-by-step replay against the fused nn.RNN / nn.LSTM / nn.GRU it shares weights with."""
import numpy as np
import pytest
import torch

from char_model import CharModel
from core.analysis.cell_replay import GATE_NAMES, Cell, cell_table, replay


def _fused_states(model, ids):
    """Each layer's h (and c) sequence from the fused kernel: run one layer at a time by
    slicing the multi-layer core into single-layer copies with the same weights."""
    core = model.rnn
    x = model.embed(ids[None])
    hs, cs = [], []
    for k in range(core.num_layers):
        one = type(core)(x.shape[-1], core.hidden_size, batch_first=True)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(one, f"{name}_l0").data.copy_(getattr(core, f"{name}_l{k}").data)
        if model.cell == "lstm":
            # c_t is not an output of nn.LSTM; step it one position at a time to read c_t
            state, c_seq, h_seq = None, [], []
            for t in range(x.shape[1]):
                out, state = one(x[:, t:t + 1], state)
                h_seq.append(out[0, 0])
                c_seq.append(state[1][0, 0])
            x = torch.stack(h_seq)[None]
            cs.append(torch.stack(c_seq).numpy())
        else:
            x, _ = one(x)
        hs.append(x[0].numpy())
    return hs, cs


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_replay_equals_fused_kernel(cell, layers):
    torch.manual_seed(3)
    model = CharModel(cell, layers=layers).eval()
    for p in model.parameters():  # larger weights than the default, so gates saturate too
        p.data.uniform_(-1.5, 1.5)
    ids = torch.randint(0, 11, (23,))
    result = replay(model, ids.tolist())
    with torch.no_grad():
        logits, _ = model(ids[None])
        hs, cs = _fused_states(model, ids)
    assert len(result.layers) == layers
    for k in range(layers):
        np.testing.assert_allclose(result.layers[k].h, hs[k], atol=1e-5)
        if cell == "lstm":
            np.testing.assert_allclose(result.layers[k].c, cs[k], atol=1e-5)
        else:
            assert result.layers[k].c is None
        assert set(result.layers[k].gates) == set(GATE_NAMES[cell])
        for gate in result.layers[k].gates.values():
            assert gate.shape == (23, 7) and gate.min() >= 0 and gate.max() <= 1
    np.testing.assert_allclose(result.logits, logits[0].numpy(), atol=1e-5)


def test_replay_from_a_carried_state_and_final_state_matches():
    torch.manual_seed(0)
    model = CharModel("lstm").eval()
    ids = torch.randint(0, 11, (30,))
    with torch.no_grad():
        _, state = model(ids[None, :12])
        logits, _ = model(ids[None, 12:], state)
    result = replay(model, ids[12:].tolist(), state=state)
    np.testing.assert_allclose(result.logits, logits[0].numpy(), atol=1e-5)


def test_lstm_gates_recomputed_from_the_weights():
    # one layer, one step from zero state: i = sigma(W_ii x + b_ii + b_hi), by hand
    torch.manual_seed(1)
    model = CharModel("lstm", layers=1).eval()
    result = replay(model, [4])
    core, H = model.rnn, 7
    with torch.no_grad():
        pre = model.embed.weight[4] @ core.weight_ih_l0.T + core.bias_ih_l0 + core.bias_hh_l0
    i, f, _, o = torch.sigmoid(pre).split(H)
    np.testing.assert_allclose(result.layers[0].gates["input"][0], i.numpy(), atol=1e-6)
    np.testing.assert_allclose(result.layers[0].gates["forget"][0], f.numpy(), atol=1e-6)
    np.testing.assert_allclose(result.layers[0].gates["output"][0], o.numpy(), atol=1e-6)


def test_cell_table_names_every_column():
    torch.manual_seed(2)
    lstm = replay(CharModel("lstm", hidden=4, layers=2).eval(), [1, 2, 3])
    values, cells = cell_table(lstm)
    assert values.shape == (3, 16) and len(cells) == 16
    assert cells[0] == Cell(0, 0, "c") and cells[4] == Cell(0, 0, "h")
    assert cells[8] == Cell(1, 0, "c")
    np.testing.assert_array_equal(values[:, 12], lstm.layers[1].h[:, 0])
    gru = replay(CharModel("gru", hidden=4, layers=1).eval(), [1, 2])
    values, cells = cell_table(gru)  # no c in a GRU: only its h columns
    assert values.shape == (2, 4) and {c.kind for c in cells} == {"h"}
    with pytest.raises(ValueError, match="no states"):
        cell_table(gru, kinds=("c",))


def test_bad_input_is_named():
    model = CharModel("gru").eval()
    with pytest.raises(ValueError, match="empty"):
        replay(model, [])
    model.cell = "lstm"
    with pytest.raises(ValueError, match="does not match"):
        replay(model, [1, 2])


def test_replay_creates_every_tensor_on_an_explicit_device():
    """With the default device set to meta, a tensor made without a device would not mix
    with the CPU model's weights."""
    torch.manual_seed(4)
    model = CharModel("lstm").eval()
    expected = replay(model, [1, 2, 3]).logits
    torch.set_default_device("meta")
    try:
        result = replay(model, [1, 2, 3])
    finally:
        torch.set_default_device(None)
    np.testing.assert_allclose(result.logits, expected, atol=1e-6)
