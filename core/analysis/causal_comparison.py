"""Judging a unidirectional-against-bidirectional comparison on a task with a causal bound b
(the best accuracy any reader of the past alone can reach).

A causal model's test accuracy cannot exceed b beyond sampling error, whatever it learned:
"uni <= b + tolerance" holds for every causal model, a working one or a broken one. It is a
check (it fails only if the model saw the future, a bug), not evidence for the lesson. What
could fail for a wrong reason is the other side: a causal model that stays below
b - tolerance has not learned what the past does tell it, so a gap between it and the
bidirectional model would say nothing about direction. The comparison succeeds when the
bidirectional model solves the task, the causal one reaches its bound from below, and the
check holds. Where b is chance (lookahead), reaching it takes no learning: the evidence is
then the bidirectional model's accuracy alone, and the page says so.
"""
from __future__ import annotations


def judge_causal_comparison(bi_accuracy: float, uni_accuracy: float, bound: float,
                            tolerance: float, success_accuracy: float,
                            chance: float) -> dict:
    """{"causal_check": uni <= bound + tolerance (holds for any causal model);
    "reached_bound": uni >= bound - tolerance; "bound_is_chance": the bound equals chance,
    so reaching it needs no learning; "success": bi >= success_accuracy and both of the
    above}."""
    check = uni_accuracy <= bound + tolerance
    reached = uni_accuracy >= bound - tolerance
    return {"causal_check": check, "reached_bound": reached,
            "bound_is_chance": abs(bound - chance) < 1e-12,
            "success": bi_accuracy >= success_accuracy and check and reached}
