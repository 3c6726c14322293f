"""Applications: a CNN -> BiLSTM hybrid on DNA, multi-task heads, rare events, anomalies."""
import streamlit as st

from core.labs import get_lab
from core.labs.applications.dna_probe import score_typed_dna
from core.labs.applications.theory import THEORY
from core.text_limits import APPLICATIONS_DNA_MAX_CHARS
from core.viz import anomaly, dna, multitask, rare_events
from core.viz import applications as viz
from ui.escape import escape_markdown
from ui.figures import show_figure
from ui.lab_page import how_to_read, lab_frame, sections
from ui.run_panel import run_panel
from ui.numbers import shown

LAB = get_lab("applications")

IDLE = {
    "dna": "Press **Train** to train a CNN → BiLSTM hybrid, a CNN and a BiLSTM on DNA where "
           "motif A must precede motif B, {gap_min}–{gap_max} bases later.",
    "multitask": "Press **Train** to train one encoder on two {relatedness} tasks beside two "
                 "single-task models of the same total size.",
    "events": "Press **Train** to train event detectors on streams where a step starts an "
              "event with probability {event_pct}%.",
    "anomaly": "Press **Train** to train a sequence autoencoder on normal waves and score a "
               "series with injected anomalies.",
}


def page() -> None:
    frame = lab_frame(LAB)
    config = frame.config
    result = run_panel(LAB, frame, headline=viz.headline, colors=viz.COLORS,
                       idle=IDLE[config.section].format(**vars(config)))
    section = result.config["section"] if result is not None else config.section
    if result is not None:
        NUMBERS[section](result)
    sections(frame, result, section_tabs(section, result), THEORY)


def section_tabs(section: str, result) -> dict:
    if section == "dna":
        return {"Logos": dna_logos, "Saliency": dna_saliency, "Models compared": dna_models}
    if section == "multitask":
        return {"Gradient cosine": multitask_cosine, "Loss weights": multitask_weights,
                "Models compared": multitask_models}
    if section == "events":
        losses = result is not None and result.config["event_compare"] == "losses"
        return {"Precision-recall": events_pr if losses else None,
                "Gradient through time": events_gradients}
    return {"ROC": anomaly_roc, "By anomaly kind": anomaly_kinds}


def dna_numbers(result) -> None:
    m = result.metrics
    how_to_read("left, each model's training loss; right, its accuracy on held-out sequences "
                "as it trains. The dotted line is the best any rule that only knows which "
                "motifs occur can reach on these sequences; a model above it has learned "
                "their order and spacing.")
    acc, steps = m["accuracy_by_model"], m["steps_to_target_by_model"]
    cols = st.columns(len(acc) + 1)
    for col, name in zip(cols, acc):
        col.metric(f"{name} test accuracy", f"{acc[name]:.2f}",
                   help=f"Steps to {m['target_acc']:.2f}: {shown(steps[name], 'd')}")
    cols[-1].metric("Motif presence alone", f"{m['presence_ceiling']:.2f}",
                    help=f"On the same {m['test_size']} test sequences.")


def multitask_numbers(result) -> None:
    m = result.metrics
    how_to_read("solid lines are the tagging task, dashed the sequence task, one colour per "
                "model; the dotted black line (right axis) is the cosine between the two "
                "tasks' gradients on the shared encoder, measured on a fixed probe batch.")
    single = m["accuracy_by_model"].get("sequence only", {}).get("seq")
    cols = st.columns(4)
    cols[0].metric("Shared: tagging", f"{m['accuracy_tag']:.2f}",
                   help=f"Always 'no repeat' scores {m['majority_tag']:.2f}.")
    cols[1].metric("Shared: sequence", f"{m['accuracy_seq']:.2f}",
                   help=f"The majority class scores {m['majority_seq']:.2f}.")
    cols[2].metric("Sequence task alone", shown(single))
    cols[3].metric("Mean gradient cosine", shown(m["cosine_mean"]),
                   help=f"Negative in {shown(m['cosine_negative_fraction'], '.0%')} of the "
                        "measurements.")


def events_numbers(result) -> None:
    m = result.metrics
    cols = st.columns(4)
    if result.config["event_compare"] == "losses":
        how_to_read("solid lines are each loss's PR-AUC on validation streams, dotted its "
                    "recall when it calls an event at probability ½ or more; the grey line is "
                    "the all-negative classifier's PR-AUC, which equals the event rate.")
        for col, name in zip(cols, m["score_by_model"]):
            col.metric(f"{name}: PR-AUC", f"{m['score_by_model'][name]:.2f}",
                       help=f"Recall at ½: {shown(m['recall_by_model'][name])}, precision "
                            f"{shown(m['precision_by_model'][name])}, accuracy "
                            f"{m['accuracy_by_model'][name]:.4f}.")
        cols[3].metric("All-negative accuracy", f"{m['all_negative_accuracy']:.4f}",
                       help=f"Its PR-AUC is the event rate, {m['all_negative_pr_auc']:.4f} "
                            f"({m['test_events']} events in {m['test_streams']} test streams).")
    else:
        how_to_read("each line is one supervision density: how well its detector tells "
                    "streams with an event from streams without (ROC AUC, 0.5 is chance), "
                    "scored by its largest output over the steps it was supervised at.")
        ratio = m["early_late_gradient_by_model"]
        for col, name in zip(cols, m["score_by_model"]):
            col.metric(f"{name}: AUC", f"{m['score_by_model'][name]:.2f}",
                       help=f"Gradient reaching the first tenth of the steps / the last "
                            f"tenth: {shown(ratio[name], '.1e')}.")
        cols[3].metric("Streams with an event", f"{m['streams_with_event']:.0%}")


def anomaly_numbers(result) -> None:
    m = result.metrics
    how_to_read("grey is one probe series with anomalies injected in the shaded stretches; "
                "coloured lines are each decoder's anomaly score along it (right axis, log); "
                "the dashed line is the headline decoder's threshold.")
    cols = st.columns(4)
    cols[0].metric("ROC AUC", f"{m['roc_auc']:.2f}",
                   help=f"Over every step of {m['test_probes']} test probes.")
    cols[1].metric("Recall at threshold", f"{m['recall']:.2f}")
    cols[2].metric("Precision at threshold", shown(m["precision"]))
    cols[3].metric("False alarms on clean series", f"{m['false_alarm_rate']:.1%}")


NUMBERS = {"dna": dna_numbers, "multitask": multitask_numbers, "events": events_numbers,
           "anomaly": anomaly_numbers}


def dna_logos(result) -> None:
    logos = result.arrays.get("logos")
    if not logos:
        st.info("The run stopped before its filters were read; train it to the end.")
        return
    for model, found in logos.items():
        show_figure(dna.logo_figure(found, model))
    how_to_read("left, the planted motifs: core positions carry 2 bits, tolerant ones less "
                "(mismatch rate). Right, the first-layer filter that matches each best, "
                "read off the test windows where it fires at least half its maximum; "
                "similarity is one minus the mean total-variation distance per column.")


def dna_saliency(result) -> None:
    probe = result.arrays.get("saliency")
    if not probe:
        st.info("The run stopped before the saliency was measured; train it to the end.")
        return
    show_figure(dna.saliency_figure(probe))
    how_to_read("one bar per base, coloured by base: how much the hybrid's logit changes to "
                "first order if that base is removed. Occurrences of motif A (gold) and B "
                "(purple) are shaded; a model that reads the grammar looks there.")
    text = st.text_area("Type or paste a DNA sequence to read with the hybrid",
                        value=probe["bases"], max_chars=APPLICATIONS_DNA_MAX_CHARS,
                        key="applications-typed-dna", height=90,
                        help="A, C, G and T in any case; spaces and line breaks are ignored. "
                             "Try moving motif B before motif A.")
    if text.strip() == probe["bases"]:
        return
    try:
        typed = score_typed_dna(result, text)
    except ValueError as err:
        st.error(f"Cannot read that sequence: {escape_markdown(err)}",
                 icon=":material/error:")
        return
    show_figure(dna.saliency_figure(typed, "your sequence"), key="typed-dna-saliency")


def dna_models(result) -> None:
    show_figure(dna.accuracy_bars(result))
    how_to_read("every model trained the same steps on the same data and seed; test "
                "accuracy on fresh sequences.")
    m = result.metrics
    st.table({"model": list(m["accuracy_by_model"]),
              "test accuracy": [f"{v:.3f}" for v in m["accuracy_by_model"].values()],
              f"steps to {m['target_acc']:.2f}": [
                  shown(v, "d") for v in m["steps_to_target_by_model"].values()],
              "seconds to it on this server": [
                  shown(v, ".1f") for v in m["seconds_to_target_by_model"].values()]})
    st.table({"kind of sequence": list(result.metrics["decoy_fractions"]),
              "share of the test set": [f"{v:.1%}" for v in
                                        result.metrics["decoy_fractions"].values()]})


def multitask_cosine(result) -> None:
    show_figure(multitask.cosine_figure(result))
    how_to_read("above zero, a step on one task's loss also lowers the other's; below, the "
                "tasks pull the shared encoder apart.")


def multitask_weights(result) -> None:
    show_figure(multitask.weights_figure(result))
    how_to_read("the weight each task's loss gets. Fixed: w and 1 - w. Uncertainty: "
                "exp(-s_i), learned; the dashed lines are 1/(2 L_i) at the final test losses, "
                "where the learned weights come to rest if the losses hold still.")


def multitask_models(result) -> None:
    show_figure(multitask.models_figure(result))
    how_to_read("test accuracy of each task; the two single-task models together hold about "
                "as many parameters as the shared one (counts in the labels).")


def events_pr(result) -> None:
    show_figure(rare_events.pr_curves(result))
    m = result.metrics
    best = ", ".join(f"{n} {v:.2f}" for n, v in m["best_f1_by_model"].items())
    how_to_read(f"each curve sweeps the threshold from high to low. The best F1 along each "
                f"curve: {best} — a model that says 'never' at ½ may still rank events well.")


def events_gradients(result) -> None:
    show_figure(rare_events.gradient_profiles(result))
    how_to_read("how strongly each model's loss reacts to the input at each step, on a probe "
                "batch; a curve that falls toward the left means early steps barely get a "
                "learning signal.")


def anomaly_roc(result) -> None:
    show_figure(anomaly.roc_figure(result))
    how_to_read("true-positive rate (anomalous steps flagged) against false-positive rate "
                "(normal steps flagged) as the threshold falls; × marks each decoder's 99% "
                "threshold from clean series.")


def anomaly_kinds(result) -> None:
    show_figure(anomaly.kinds_figure(result))
    how_to_read("the share of injected anomalies of each kind with at least one step above "
                "the threshold, over the test probes.")


page()
