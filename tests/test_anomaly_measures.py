"""The Anomaly Detection lab's measurements and task against brute force: per-step scores
as window averages, the quantile threshold's false-alarm rate, the LSTM autoencoder's forms
and free-running scoring; injected anomalies sit where their labels say."""
import pytest
import torch

from core.analysis.reconstruction_scores import (false_alarm_rate, fold_mean, quantile_threshold,
                                                 step_scores)
from core.device import build_seeded, stream
from core.models.seq_autoencoder import SequenceAutoencoder
from core.tasks.anomalies import KINDS, SEGMENT, normal_series, probe_series


def test_fold_mean_matches_brute_force():
    err = torch.rand(2, 5, 4, generator=stream(0, "test"))  # 5 windows of 4 over 8 steps
    folded = fold_mean(err, 8)
    for s in range(2):
        for t in range(8):
            values = [float(err[s, i, t - i]) for i in range(5) if 0 <= t - i < 4]
            assert float(folded[s, t]) == pytest.approx(sum(values) / len(values))



def test_step_scores_are_the_window_average_of_squared_error():
    model = build_seeded(0, lambda: SequenceAutoencoder("repeat", 4))
    series = torch.randn(2, 20, generator=stream(0, "test"))
    scores = step_scores(model, series, 6)
    with torch.no_grad():
        windows = series.unfold(1, 6, 1).reshape(-1, 6, 1)
        err = (model(windows) - windows).pow(2).reshape(2, 15, 6)
    assert torch.allclose(scores, fold_mean(err, 20), atol=1e-6)



def test_quantile_threshold_false_alarm_rate():
    clean = torch.randn(4, 500, generator=stream(3, "test"))
    threshold = quantile_threshold(clean, 0.99)
    assert float((clean > threshold).float().mean()) == pytest.approx(0.01, abs=0.001)



@pytest.mark.parametrize("form", ["repeat", "sequence", "autoregressive"])
def test_sequence_autoencoder_forms_run_on_an_lstm_cell(form):
    """The LSTM option (the Anomaly Detection lab's) keeps each form's shapes, free running
    included; the GRU default is unchanged (its own tests are the VRAE lab's)."""
    model = build_seeded(0, lambda: SequenceAutoencoder(form, 6, cell="lstm"))
    assert isinstance(model.encoder, torch.nn.LSTM)
    x = torch.randn(3, 9, 1, generator=stream(0, "test"))
    assert model(x).shape == (3, 9, 1)
    assert model(x, teacher_forcing=False).shape == (3, 9, 1)
    with pytest.raises(ValueError, match="unknown cell"):
        SequenceAutoencoder(form, 6, cell="tcn")



def test_the_autoregressive_autoencoder_is_scored_from_its_own_outputs():
    """step_scores runs the autoregressive decoder free, as documented for test time: the
    scores are the window average of the free-running error, and differ from the scores
    teacher forcing would give. The other forms ignore the flag."""
    series = torch.randn(2, 20, generator=stream(1, "test"))
    windows = series.unfold(1, 6, 1).reshape(-1, 6, 1)
    model = build_seeded(0, lambda: SequenceAutoencoder("autoregressive", 4, cell="lstm"))
    with torch.no_grad():
        free = (model(windows, teacher_forcing=False) - windows).pow(2).reshape(2, 15, 6)
        forced = (model(windows) - windows).pow(2).reshape(2, 15, 6)
    scores = step_scores(model, series, 6)
    assert torch.allclose(scores, fold_mean(free, 20), atol=1e-6)
    assert not torch.allclose(scores, fold_mean(forced, 20), atol=1e-3)



def test_false_alarm_rate_on_held_out_series_is_not_the_fitted_target():
    """A threshold at the 99th percentile of one set of clean scores flags 1% of that set
    by construction; on held-out normal steps whose scores run higher (as a probe's normal
    steps near an anomaly do) the measured rate is far from 1%; anomalous steps are left
    out of the count."""
    fitted = torch.randn(4, 500, generator=stream(5, "test"))
    threshold = quantile_threshold(fitted, 0.99)
    assert false_alarm_rate(fitted, threshold) == pytest.approx(0.01, abs=0.001)
    held_out = 1.3 * torch.randn(4, 500, generator=stream(6, "test"))
    labels = torch.zeros(4, 500)
    labels[:, :50] = 1.0
    held_out[:, :50] += 10.0  # anomalies: above the threshold, not false alarms
    rate = false_alarm_rate(held_out, threshold, labels)
    normal = held_out[:, 50:]
    assert rate == pytest.approx(float((normal >= threshold).float().mean()))
    assert rate > 0.03



def test_anomalies_sit_where_the_labels_say_and_nowhere_else():
    probes = probe_series(6, 320, 5, 1.0, stream(0, "test"))
    changed = probes.x != probes.clean
    assert torch.equal(changed.float(), probes.labels)
    for s, segments in enumerate(probes.segments):
        assert len(segments) == 5
        covered = torch.zeros(320, dtype=torch.bool)
        for i, (start, end, kind) in enumerate(segments):
            assert kind == KINDS[(i + s) % len(KINDS)]
            assert end - start == (1 if kind == "spike" else SEGMENT)
            assert 64 * i < start and end < 64 * (i + 1)  # one per slot, never touching
            covered[start:end] = True
            if kind == "shift":
                assert torch.allclose(probes.x[s, start:end] - probes.clean[s, start:end],
                                      torch.ones(end - start))
            if kind == "stuck":
                assert bool((probes.x[s, start:end] == probes.x[s, start]).all())
        assert not bool(changed[s][~covered].any())



def test_normal_series_are_the_two_harmonic_wave_plus_small_noise():
    x = normal_series(200, 64, stream(0, "train"))
    assert float(x.abs().max()) < 1.4 + 5 * 0.1
    assert float(x.mean().abs()) < 0.05
