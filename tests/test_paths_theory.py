"""The Recurrence vs Attention lab's theory lines against exact cases: the pinned forget
gate's product, the fixed-gate GRU that is a tanh RNN, geometric decay on a linear
recurrence, causality of attention, and the power-law fits on synthetic costs."""
import math
import pathlib

import pytest
import torch

from core.analysis.cost_scaling import (crossover, fit_power_law, parse_lengths,
                                        saved_activation_bytes)
from core.analysis.lstm_highway import lstm_highway, pinned_highway_ratio, replay_lstm
from core.analysis.path_length import (accuracy_by_lag, fit_decay_rate, gradient_by_distance,
                                       gradient_reach, pointing_attention, tagging_loss)
from core.contract import ConfigError
from core.device import build_seeded
from core.models.causal_attention import CausalAttentionTagger
from core.models.fixed_gates import FixedGateGRU, pin_forget_gate, tanh_rnn_sharing_weights
from core.models.recurrent import RecurrentClassifier
from core.tasks.long_range import IGNORE, LongRangeTask


def _batch(task="recall", T=12, lag=8, n=6, seed=0):
    return LongRangeTask(task, 4, T, lag).sample(n, torch.Generator().manual_seed(seed))


# -- the LSTM highway ----------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.9, 0.99, 0.5])
def test_pinned_forget_gate_gives_the_closed_form(p):
    """Forget gate held at p, h_(t-1) cut from the step: dL/dc_t = p^(T-t) dL/dc_T exactly,
    element by element (float64)."""
    lstm = build_seeded(1, lambda: torch.nn.LSTM(5, 6, batch_first=True)).double()
    head = build_seeded(2, lambda: torch.nn.Linear(6, 4)).double()
    b = _batch(T=50, lag=49)
    hs, cs, fs = replay_lstm(lstm, b.x.double(), pin=p, cut_recurrent=True)
    torch.nn.functional.cross_entropy(head(hs[-1]), b.target[:, -1]).backward()
    T = len(cs)
    for t in (0, 10, 30, T - 1):
        torch.testing.assert_close(cs[t].grad, p ** (T - 1 - t) * cs[-1].grad,
                                   rtol=1e-10, atol=1e-300)
    ratio = pinned_highway_ratio(lstm, head, b.x.double(), b.target, p)
    assert ratio == pytest.approx(p ** 49, rel=1e-9)


def test_the_seeds_numbers():
    """0.9^49 = 0.0057, which rounds to 0.006, as both pages that quote it say."""
    assert round(0.9 ** 49, 3) == 0.006
    assert 0.99 ** 49 == pytest.approx(0.61, abs=5e-3)
    root = pathlib.Path(__file__).resolve().parent.parent
    for page in ("paths", "gradients"):
        text = (root / "pages" / f"{page}.py").read_text()
        assert r"0.9^{49} \approx 0.006" in text and r"0.9^{49} \approx 0.005" not in text


def test_cell_gradient_is_the_product_of_forget_gates():
    """With learned (varying) gates and the recurrence cut, the measured dL/dc_t equals
    (prod f_k) * dL/dc_T, which is what the figure's dashed line draws."""
    lstm = build_seeded(3, lambda: torch.nn.LSTM(5, 6, batch_first=True)).double()
    head = build_seeded(4, lambda: torch.nn.Linear(6, 4)).double()
    b = _batch(T=20, lag=15)
    hw = lstm_highway(lstm, head, b.x.double(), b.target, cut_recurrent=True)
    assert hw.cell_norms == pytest.approx(hw.highway_norms, rel=1e-9)
    assert len(hw.forget_mean) == 20 and 0 < min(hw.forget_mean) < max(hw.forget_mean) < 1
    full = lstm_highway(lstm, head, b.x.double(), b.target)  # recurrent paths add to it
    assert full.cell_norms != pytest.approx(full.highway_norms, rel=1e-3)


def test_replay_matches_the_fused_lstm():
    lstm = build_seeded(5, lambda: torch.nn.LSTM(5, 6, batch_first=True))
    x = _batch().x
    hs, _, _ = replay_lstm(lstm, x)
    torch.testing.assert_close(torch.stack(hs, 1), lstm(x)[0], rtol=1e-5, atol=1e-6)


def test_a_pinned_forget_gate_stays_pinned_through_training():
    model = build_seeded(6, lambda: RecurrentClassifier("lstm", 5, 8, 4))
    pin_forget_gate(model.core, 0.95)
    before = {n: p.detach().clone() for n, p in model.core.named_parameters()}
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    b = _batch()
    for _ in range(5):
        opt.zero_grad()
        tagging_loss(model(b.x), b.target).backward()
        opt.step()
    rows = slice(8, 16)
    for name, p in model.core.named_parameters():
        assert torch.equal(p[rows], before[name][rows]), name
        assert not torch.equal(p, before[name]), name  # the other gates did learn
    _, _, fs = replay_lstm(model.core, b.x)
    assert torch.allclose(torch.stack(fs), torch.tensor(0.95), atol=1e-6)
    with pytest.raises(ValueError, match="strictly between"):
        pin_forget_gate(model.core, 1.0)


# -- fixed gates -----------------------------------------------------------------------------

def test_gru_with_fixed_gates_is_the_tanh_rnn():
    """r = 1, z = 0: the GRU step is tanh(W_in x + b_in + W_hn h + b_hn), PyTorch's nn.RNN
    with the GRU's candidate weights — equal in float64 to rounding."""
    gru = build_seeded(7, lambda: FixedGateGRU(5, 12, 4, fixed_gates=True)).double()
    rnn = tanh_rnn_sharing_weights(gru)
    x = _batch(T=30, lag=20).x.double()
    torch.testing.assert_close(gru(x), rnn(x), rtol=1e-12, atol=1e-12)
    # with other gate values it is a different function
    other = gru.head(gru.states_with_fixed_gates(x, reset=1.0, update=0.5))
    assert (other - rnn(x)).abs().max() > 1e-3


def test_the_fixed_gate_gru_and_its_tanh_rnn_train_alike():
    gru = build_seeded(8, lambda: FixedGateGRU(5, 12, 4, fixed_gates=True))
    rnn = tanh_rnn_sharing_weights(gru)
    losses = {}
    for name, model in (("gru", gru), ("rnn", rnn)):
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        gen = torch.Generator().manual_seed(0)
        task = LongRangeTask("recall", 4, 12, 8)
        losses[name] = []
        for _ in range(20):
            b = task.sample(16, gen)
            loss = tagging_loss(model(b.x), b.target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses[name].append(loss.item())
    assert losses["gru"] == pytest.approx(losses["rnn"], abs=1e-4)
    # the gate blocks received no gradient: they are not part of the function
    assert gru.core.weight_hh_l0.grad[:24].abs().max() == 0


# -- path length -----------------------------------------------------------------------------

@pytest.mark.parametrize("a", [0.5, 0.8, 0.95])
def test_decay_fit_on_a_linear_recurrence_is_minus_log_a(a):
    """h_t = a h_(t-1) + W x_t: dL/dx_t = W^T a^(T-t) dL/dh_T, so the measured decay rate is
    -ln a exactly."""
    model = build_seeded(9, lambda: RecurrentClassifier("linear", 5, 6, 4, a=a))
    b = _batch(T=25, lag=20)
    norms = gradient_by_distance(model, b.x, b.target)
    assert fit_decay_rate(norms, skip_first=False) == pytest.approx(-math.log(a), rel=1e-4)


def test_decay_fit_recovers_an_exact_exponential():
    norms = [3.0 * math.exp(-0.2 * d) for d in range(30)]
    assert fit_decay_rate(norms) == pytest.approx(0.2, rel=1e-9)
    assert fit_decay_rate([1.0] * 10) == pytest.approx(0.0, abs=1e-12)
    assert fit_decay_rate([1.0, 0.0, 0.0]) is None  # underflowed: nothing to fit
    assert gradient_reach([1.0] * 9) == pytest.approx(1.0)
    assert gradient_reach([1.0] + [10.0 ** -d for d in range(8)]) == pytest.approx(
        (1e-6 + 1e-7) / (1 + 0.1))


def test_attention_is_causal():
    """Changing the input at position k leaves every output before k unchanged."""
    for kernel in ("fused", "explicit"):
        model = build_seeded(10, lambda: CausalAttentionTagger(5, 16, 4, 2, 4, 12,
                                                               kernel=kernel))
        x = _batch().x
        y = x.clone()
        k = 7
        y[:, k:] = torch.roll(y[:, k:], 1, dims=2)
        with torch.no_grad():
            a, b = model(x), model(y)
        torch.testing.assert_close(a[:, :k], b[:, :k], rtol=0, atol=1e-6)
        assert (a[:, k:] - b[:, k:]).abs().max() > 1e-4


def test_fused_and_explicit_attention_agree():
    for positions in ("learned", "sinusoidal"):
        fused = build_seeded(11, lambda: CausalAttentionTagger(5, 16, 4, 2, 4, 12,
                                                               positions=positions))
        x = _batch().x
        logits, maps = fused(x, return_maps=True)
        torch.testing.assert_close(fused(x), logits, rtol=1e-5, atol=1e-5)
        for m in maps:
            assert m.shape == (6, 4, 12, 12)
            torch.testing.assert_close(m.sum(-1), torch.ones(6, 4, 12))
            assert m.triu(1).abs().max() == 0  # nothing from the future


def test_attention_gradient_reaches_far_positions_where_a_tanh_rnn_loses_it():
    b = LongRangeTask("recall", 4, 40, 39).sample(32, torch.Generator().manual_seed(1))
    attn = build_seeded(12, lambda: CausalAttentionTagger(5, 32, 4, 1, 4, 40))
    rnn = build_seeded(12, lambda: RecurrentClassifier("rnn", 5, 32, 4))
    ga, gr = gradient_by_distance(attn, b.x, b.target), gradient_by_distance(rnn, b.x, b.target)
    assert gradient_reach(ga) > 0.2 and gradient_reach(gr) < 1e-3


def test_pointing_attention_reads_the_weight_on_each_answer():
    b = _batch(T=6, lag=4, n=2)
    maps = [torch.zeros(2, 2, 6, 6)]
    rows = torch.arange(2)
    maps[0][rows, 1, 5, b.source[:, -1]] = 0.75  # head 2 looks at the answer
    out = pointing_attention(maps, b)
    assert (out["layer"], out["head"], out["weight"]) == (0, 1, 0.75)
    assert out["by_head"] == [[0.0, 0.75]]


# -- tasks and accuracy ----------------------------------------------------------------------

def test_recall_and_copy_targets_sit_lag_steps_back():
    r = _batch("recall", T=20, lag=15, n=200)
    lags = r.lags[:, -1]
    assert 1 <= int(lags.min()) and int(lags.max()) == 15
    rows = torch.arange(200)
    assert torch.equal(r.target[:, -1], r.tokens[rows, 19 - lags])
    assert torch.equal(r.x[rows, 19 - lags, -1], torch.ones(200))
    assert (r.target[:, :-1] == IGNORE).all() and r.x[:, :, -1].sum() == 200
    c = _batch("copy", T=20, lag=6, n=3)
    assert torch.equal(c.target[:, 6:], c.tokens[:, :14]) and (c.target[:, :6] == IGNORE).all()
    with pytest.raises(ValueError, match="lag"):
        LongRangeTask("recall", 4, 10, 10)


def test_accuracy_by_lag_groups_lags_and_counts_targets():
    class Oracle(torch.nn.Module):
        """Right on lags up to 5, wrong beyond."""
        def __init__(self, batch):
            super().__init__()
            self.batch = batch

        def forward(self, x):
            b = self.batch
            right = torch.where(b.lags <= 5, b.target, (b.target + 1) % 4)
            return torch.nn.functional.one_hot(right.clamp_min(0), 4).float()
    b = _batch("recall", T=12, lag=10, n=200)  # one evaluation chunk
    out = accuracy_by_lag(Oracle(b), b, buckets=10)
    assert out["lag"] == [float(d) for d in range(1, 11)] and sum(out["count"]) == 200
    assert out["accuracy"] == [1.0] * 5 + [0.0] * 5


# -- cost: fits on synthetic timings, memory counted by autograd -------------------------------

LENGTHS = [32, 64, 128, 256, 512, 1024, 2048]


@pytest.mark.parametrize("b", [1.0, 2.0, 1.5])
def test_power_law_fit_on_synthetic_timings(b):
    fit = fit_power_law(LENGTHS, [0.003 * t ** b for t in LENGTHS])
    assert fit["exponent"] == pytest.approx(b, rel=1e-9)
    # fitted from the first length that costs ten times the shortest's: 32 * 10^(1/b)
    assert fit["prefactor"] == pytest.approx(0.003, rel=1e-9)
    assert fit["from_T"] == min(t for t in LENGTHS if t >= 32 * 10 ** (1 / b) - 1e-9)
    # a fixed overhead bends the short end: the fit out of the overhead regime sees through it
    bent = [0.5 + 1e-4 * t ** 2 for t in LENGTHS]  # overhead = the cost at T ~ 70
    tail, full = fit_power_law(LENGTHS, bent), fit_power_law(LENGTHS, bent, tail=False)
    assert abs(tail["exponent"] - 2) < 0.05 and abs(full["exponent"] - 2) > 0.3
    assert fit_power_law([32, 64], [1.0, None]) is None


def test_crossover_of_linear_and_quadratic_costs():
    c1, c2 = 3.0, 0.01  # c1 T = c2 T^2 at T = 300
    linear = [c1 * t for t in LENGTHS]
    quadratic = [c2 * t * t for t in LENGTHS]
    assert crossover(LENGTHS, quadratic, linear) == pytest.approx(c1 / c2, rel=1e-9)
    assert crossover(LENGTHS, linear, quadratic) is None  # never becomes the dearer
    assert crossover([32, 64], [1.0, None], [2.0, 1.0]) is None


def test_saved_activations_grow_linearly_for_a_recurrence_and_quadratically_for_kept_scores():
    def saved(model, T):
        x = LongRangeTask("recall", 4, T, T - 1).sample(2, torch.Generator().manual_seed(0))
        params = {p.untyped_storage().data_ptr() for p in model.parameters()}
        return saved_activation_bytes(lambda: tagging_loss(model(x.x), x.target).backward(),
                                      params)
    rnn = build_seeded(13, lambda: RecurrentClassifier("lstm", 5, 8, 4))
    explicit = build_seeded(13, lambda: CausalAttentionTagger(5, 8, 2, 1, 4, 512,
                                                              kernel="explicit"))
    r1, r2 = saved(rnn, 128), saved(rnn, 256)
    e1, e2 = saved(explicit, 256), saved(explicit, 512)
    assert 1.9 < r2 / r1 < 2.1
    assert 3.5 < e2 / e1 <= 4.0


def test_cost_lengths_are_validated_with_the_knob_named():
    assert parse_lengths(" 64, 32,64 ,2048") == [32, 64, 2048]
    for bad, fragment in [("32", "2 to 8"), ("4,32", "from 8"), ("32,4096", "to 2048"),
                          ("32,x", "'x'"), (",".join(str(8 + i) for i in range(9)), "2 to 8"),
                          ("1" * 200, "characters"), ("32,-64", "'-64'"), ("32,٣٢", "'٣٢'")]:
        with pytest.raises(ConfigError, match="cost_lengths") as err:
            parse_lengths(bad)
        assert fragment in str(err.value), (bad, str(err.value))
