"""Theory lines of the Language lab, each against an exact case: the uniform model's
log2 V, n-gram probabilities counted by hand, an untrained model near log2 V, temperature
scaling and its entropy, bits = nats / ln 2."""
import math

import numpy as np
import pytest
import torch

from core.analysis.ngram import NGramModel
from core.labs.language import probes
from core.models.char_lm import CharLM


def test_uniform_model_costs_log2_V_bits():
    V = 11
    model = CharLM(V, 16, cell="lstm")
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    rows = torch.randint(0, V, (3, 40), generator=torch.Generator().manual_seed(1))
    logits, _ = model(rows)
    assert probes.bits_per_char(logits, rows) == pytest.approx(math.log2(V), abs=1e-6)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_untrained_model_starts_near_log2_V(cell):
    V = 40
    torch.manual_seed(0)
    model = CharLM(V, 64, cell=cell)
    rows = torch.randint(0, V, (4, 100), generator=torch.Generator().manual_seed(2))
    bits = probes.bits_per_char(model(rows)[0], rows)
    assert abs(bits - math.log2(V)) < 0.02


def test_ngram_probabilities_match_counts_enumerated_by_hand():
    # text "abab b c" as ids: a=0 b=1 c=2 -> 0 1 0 1 1 2, V = 3, alpha = 1
    ids = [0, 1, 0, 1, 1, 2]
    bigram = NGramModel(2, 3, alpha=1.0).fit(ids)
    # bigrams: ab, ba, ab, bb, bc -> #a = 2 (ab twice), #b = 3 (ba, bb, bc)
    # P(b|a) = (2+1)/(2+3) = 3/5; P(a|b) = P(b|b) = P(c|b) = (1+1)/(3+3) = 1/3
    expected = [3 / 5, 1 / 3, 3 / 5, 1 / 3, 1 / 3]
    assert np.allclose(2 ** bigram.log2_prob(ids), expected)
    assert np.allclose(bigram.next_distribution([0]), [1 / 5, 3 / 5, 1 / 5])
    unigram = NGramModel(1, 3, alpha=1.0).fit(ids)
    # counts a=2 b=3 c=1 over 6: P = (count+1)/(6+3); positions 1..5 are b a b b c
    p = {0: 3 / 9, 1: 4 / 9, 2: 2 / 9}
    assert np.allclose(2 ** unigram.log2_prob(ids), [p[i] for i in ids[1:]])
    trigram = NGramModel(3, 3, alpha=1.0).fit(ids)
    # position 1 has one character before it: scored by the bigram counts (3/5);
    # trigrams: aba, bab, abb, bbc -> P(a|ab) = (1+1)/(2+3), P(b|ba) = 2/4, P(b|ab) = 2/5,
    # P(c|bb) = 2/4
    assert np.allclose(2 ** trigram.log2_prob(ids), [3 / 5, 2 / 5, 2 / 4, 2 / 5, 2 / 4])
    assert trigram.bits_per_char(ids) == pytest.approx(
        -np.mean(np.log2([3 / 5, 2 / 5, 2 / 4, 2 / 5, 2 / 4])))


def test_ngram_unseen_context_is_uniform_and_distributions_sum_to_one():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 7, 500)
    for n in (1, 2, 3, 4, 5):
        model = NGramModel(n, 8, alpha=0.05).fit(ids)  # symbol 7 never occurs
        for context in ([], [1], [2, 3], [4, 5, 6], [0, 1, 2, 3]):
            assert model.next_distribution(context).sum() == pytest.approx(1.0)
        if n > 1:
            assert np.allclose(model.next_distribution([7] * (n - 1)), 1 / 8)


def test_ngram_log2_prob_agrees_with_next_distribution():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 5, 300)
    test = rng.integers(0, 5, 50)
    model = NGramModel(4, 5, alpha=0.5).fit(ids)
    by_position = [np.log2(model.next_distribution(test[max(0, p - 3):p])[test[p]])
                   for p in range(1, len(test))]
    assert np.allclose(model.log2_prob(test), by_position)


def test_temperature_one_is_the_model_and_zero_is_greedy():
    z = torch.tensor([[2.0, 0.5, -1.0, 0.0]])
    assert torch.allclose(probes.tempered_log_probs(z, 1.0), torch.log_softmax(z, -1))
    p = torch.softmax(z, -1)
    assert float(probes.entropy_bits(z, 1.0)) == pytest.approx(
        float(-(p * p.log2()).sum()), abs=1e-6)
    greedy = probes.tempered_log_probs(z, 0.0).exp()
    assert torch.equal(greedy, torch.tensor([[1.0, 0.0, 0.0, 0.0]]))
    assert float(probes.entropy_bits(z, 0.0)) == 0.0
    temps = [0.05, 0.2, 0.5, 1.0, 2.0, 5.0]
    entropies = [float(probes.entropy_bits(z, t)) for t in temps]
    assert entropies == sorted(entropies)  # entropy rises with T
    assert entropies[-1] < math.log2(4)
    flat = torch.zeros(1, 6)
    for t in (0.1, 1.0, 3.0):
        assert float(probes.entropy_bits(flat, t)) == pytest.approx(math.log2(6))


def test_greedy_sampling_follows_the_argmax():
    torch.manual_seed(0)
    model = CharLM(9, 16, cell="gru")
    gen = torch.Generator().manual_seed(0)
    out = probes.sample(model, [1, 2], 12, 0.0, gen)
    ids = [1, 2]
    for nxt in out:
        logits, _ = model(torch.tensor([ids]))
        assert nxt == int(logits[0, -1].argmax())
        ids.append(nxt)


def test_bits_are_nats_over_ln2():
    logits = torch.tensor([[[1.0, 2.0, 3.0], [0.0, 0.0, 5.0], [1.0, 1.0, 1.0]]])
    rows = torch.tensor([[2, 0, 1]])
    # positions 1, 2 are predicted from logits at 0, 1: -ln softmax(z0)[0], -ln softmax(z1)[1]
    nats = [-math.log(math.exp(1) / (math.e + math.e ** 2 + math.e ** 3)),
            -math.log(1 / (2 + math.e ** 5))]
    assert probes.bits_per_char(logits, rows) == pytest.approx(np.mean(nats) / math.log(2))
    assert probes.nats_to_bits(math.log(2)) == pytest.approx(1.0)


def test_known_word_fraction_counts_words_of_two_letters_or_more():
    vocab = probes.word_set("And God said, Let there be light")
    assert probes.known_word_fraction("and lightz god, a the", vocab) == pytest.approx(2 / 4)
    assert probes.known_word_fraction("  , . 1 2", vocab) is None
