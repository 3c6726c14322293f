"""The bidirectional comparison's success: a check that any causal model passes is not
enough; the causal model must also reach its bound, which a model that learned nothing from
the past fails."""
from core.analysis.causal_comparison import judge_causal_comparison


def test_a_causal_model_below_its_bound_fails_the_comparison():
    """Disambiguation, bound 5/8: a causal model at chance (0.25 with K = 4) passes the old
    rule uni <= b + 3 sigma, but has not learned the past, so the comparison fails."""
    judged = judge_causal_comparison(0.97, 0.25, 0.625, 0.03, 0.9, chance=0.25)
    assert judged["causal_check"] and not judged["reached_bound"] and not judged["success"]


def test_the_check_and_the_bound_together():
    ok = judge_causal_comparison(0.97, 0.62, 0.625, 0.03, 0.9, chance=0.25)
    assert ok == {"causal_check": True, "reached_bound": True, "bound_is_chance": False,
                  "success": True}
    leak = judge_causal_comparison(0.97, 0.80, 0.625, 0.03, 0.9, chance=0.25)
    assert not leak["causal_check"] and not leak["success"]  # it read the future: a bug
    unsolved = judge_causal_comparison(0.7, 0.62, 0.625, 0.03, 0.9, chance=0.25)
    assert not unsolved["success"]
    lookahead = judge_causal_comparison(0.97, 0.124, 0.125, 0.03, 0.9, chance=0.125)
    assert lookahead["bound_is_chance"] and lookahead["success"]


def test_the_lab_judges_its_comparison_with_both_sides():
    """A tiny run (five steps: nothing learned) reports the check and the bound separately,
    and its success is the judged one, never the upper check alone."""
    from core.labs import get_lab
    lab = get_lab("bidirectional")
    r = lab.run(lab.make_config({"steps": 5, "hidden": 8, "seq_len": 6, "eval_every": 5,
                                 "batch": 8, "task": "disambiguation"}))
    m = r.metrics
    judged = m["causal_comparison"]
    assert judged == judge_causal_comparison(
        m["accuracy_bi"], m["accuracy_uni"], m["causal_bound"], m["causal_bound_tolerance"],
        m["success_accuracy"], m["chance_accuracy"])
    assert r.success == judged["success"]
