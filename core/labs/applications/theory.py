"""The Applications lab's theory, as the page shows it: each section's formulas with their
assumptions, ending with where each is checked against an exact case."""

THEORY = r"""
**CNN → RNN hybrids on DNA.** A convolution filter as wide as a motif responds where the
bases match it; after max-pooling, a CNN knows *which* motifs occur but, beyond its receptive
field of $w - 1 + p\,k_2$ bases (filter width $w$, pool $p$, second kernel $k_2$), not in
what order or how far apart. A recurrent layer reading the pooled motif detectors carries
that order along the sequence (the DanQ pattern, Quang & Xie 2016). On raw bases the same
BiLSTM must discover the motifs one base at a time, which is slow. Any rule that knows only
whether A and whether B occur can do no better than predicting the majority label in each
of the four presence patterns: its accuracy is
$\frac{1}{n}\sum_{\text{pattern}}\max(n^+_{\text{pattern}}, n^-_{\text{pattern}})$, the dotted line.

**Sequence logos.** A column with base probabilities $p_b$ carries
$IC = \log_2 4 - H = 2 + \sum_b p_b \log_2 p_b$ bits; each letter is drawn $p_b\cdot IC$ tall.
A planted motif's tolerant position with mismatch rate $r$ has $p = (1-r, r/3, r/3, r/3)$, so
$IC = 2 + (1-r)\log_2(1-r) + r\log_2(r/3)$: 2 bits at $r = 0$, 0 at $r = 3/4$. A filter's
logo stacks the windows where it fires at least half its maximum (DeepBind, Basset).
Saliency is gradient × input, $s_i = \sum_b x_{ib}\,\partial z/\partial x_{ib}$: to first
order, what removing base $i$ would do to the logit $z$.

**Multi-task learning.** One encoder, two heads, loss $w\,L_{tag} + (1-w)\,L_{seq}$. The
cosine $\cos = g_{tag}\cdot g_{seq}/(|g_{tag}||g_{seq}|)$ between the two losses' gradients on
the shared weights says whether a step for one task helps (positive) or hurts (negative) the
other. Uncertainty weighting (Kendall, Gal & Cipolla 2018) learns $s_i = \log\sigma_i^2$ in
$\sum_i e^{-s_i}L_i + s_i/2$; setting the derivative $-e^{-s_i}L_i + 1/2$ to zero gives the
stationary weight $e^{-s_i} = 1/(2L_i)$: a task whose loss is small is weighted up. Two
single-task LSTMs of hidden size $h$ are matched to one shared LSTM of size $H$ by
parameters: an LSTM with $K$ inputs has $4(hK + h^2 + 2h)$ weights, each head $2h + 2$.

**Rare events.** With positive rate $\rho$, the classifier that always says "no" has accuracy
$1-\rho$ and, ranking every step the same, average precision (PR-AUC) exactly $\rho$ — the
baselines any detector must beat. A model that predicts $p = \rho$ everywhere, knowing
nothing about the stream, already has plain cross-entropy
$H(\rho) = -\rho\ln\rho - (1-\rho)\ln(1-\rho)$, 0.031 nats at $\rho = 0.5\%$, close to what a
perfect detector would reach; and the positives supply only a fraction $\rho$ of the terms of
its gradient. So plain cross-entropy first learns the prior, and its probabilities stay
below ½ for a long time: at threshold ½ it predicts "never". Class weighting multiplies the
positive term by $w = (1-\rho)/\rho$ ($\rho$ measured on sampled streams), so positives and
negatives weigh the same in total ($w\rho = 1-\rho$). Focal loss (Lin et al. 2017) is
$-\alpha_t (1-p_t)^\gamma \log p_t$: the factor $(1-p_t)^\gamma$ silences the many easy
negatives; $\gamma = 0$, $\alpha = ½$ is half the plain loss. Average precision is
$\sum_n (R_n - R_{n-1}) P_n$ over the thresholds.

**Supervision density.** A label at every step puts a loss next to every event; a label at
the end reaches an early step only through every Jacobian in between, a product that
shrinks as it goes back (see the Gradient Flow lab). The measured gradient reaching the
first tenth of the steps, relative to the last tenth, shows it.

**Anomaly detection by reconstruction.** An autoencoder trained on normal windows only
reconstructs what it has seen; a step's score is its squared error averaged over the
windows that contain it (Malhotra et al. 2016). The repeat decoder must squeeze a window
into one code (`return_sequences=False`); the sequence decoder reads every encoder state
(`return_sequences=True`), has no bottleneck, and can copy an anomaly through. The threshold
is the 99th percentile of clean scores, so 1% of clean steps raise a false alarm on the
series it was fitted to.

#### Where the theory comes from
- *Presence-only ceiling* $\frac1n\sum\max(n^+, n^-)$ (assumes the rule sees only the two
  presence bits): `test_presence_ceiling_is_the_best_of_all_sixteen_presence_rules` checks
  it against every rule by brute force.
- *CNN receptive field* $w - 1 + p\,k_2$ (stride-1 convolutions, pooling windows that do not
  overlap):
  `test_cnn_receptive_field_is_what_the_gradient_reaches`.
- *Information content and letter heights* (probabilities from counts, no small-sample
  correction): `test_information_content_on_known_count_matrices`; the tolerant-position
  formula against the planted frequencies and against sampled motifs:
  `test_planted_motif_frequencies_and_their_information`.
- *Saliency = weight of the present base* for a model linear in its one-hot input:
  `test_saliency_of_a_linear_model_is_its_weights`.
- *Gradient cosine*: `test_cosine_by_hand` and `test_task_gradients_of_a_linear_encoder_by_hand`.
- *Stationary uncertainty weight* $1/(2L)$ (task losses held fixed):
  `test_uncertainty_weights_settle_at_one_over_twice_the_loss`.
- *LSTM parameter count*: `test_parameter_count_matches_the_modules`.
- *Focal, weighted and plain losses*: `test_losses_match_hand_computation`; balance
  $w\rho = 1-\rho$: `test_balanced_weight_equalises_the_classes`.
- *All-negative baselines* accuracy $1-\rho$ and AP $=\rho$, AP as the step sum, ROC AUC as the
  Mann-Whitney statistic: `test_average_precision_and_roc_auc_against_brute_force` and
  `test_all_negative_classifier_baselines`; the prior's loss $H(\rho)$:
  `test_predicting_the_prior_costs_the_binary_entropy`.
- *Per-step score as a window average* and the *quantile threshold's false-alarm rate*:
  `test_fold_mean_matches_brute_force` and `test_quantile_threshold_false_alarm_rate`.
"""
