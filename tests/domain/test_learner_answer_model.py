"""The answer model: features, online traces, bounded predictions, the fit and its refusals."""

from __future__ import annotations

import json
import math
import random
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnloop.domain.learner import answer_model as am
from learnloop.domain.learner.answer_model import Answer, AnswerModel, LearnerTrace, SkillTrace


def shipped() -> AnswerModel:
    text = resources.files("learnloop.domain.learner").joinpath(
        "data/answer_model_gervet.json").read_text()
    return AnswerModel.from_json(json.loads(text))


def population(people: int, answers: int, seed: int = 7) -> tuple[list[list[Answer]],
                                                                     dict[str, float]]:
    """Simulated learners: ability plus learning, ten items with known difficulties."""
    rng = random.Random(seed)
    difficulty = {f"i{k}": -2.0 + 0.4 * k for k in range(10)}
    out = []
    for _ in range(people):
        ability = rng.gauss(0.0, 1.0)
        seq = []
        for n in range(answers):
            item = rng.choice(sorted(difficulty))
            skill = "s1" if item < "i5" else "s2"
            p = 1 / (1 + math.exp(-(ability + 0.1 * n - difficulty[item])))
            right = rng.random() < p
            seq.append(Answer(item, (skill,), 1.0 if right else 0.0, right))
        out.append(seq)
    return out, difficulty


def test_features_follow_the_names() -> None:
    assert len(am.features([SkillTrace()], LearnerTrace(), "s")) == len(am.FEATURES)
    assert len(am.features([], LearnerTrace(), "s")) == len(am.FEATURES)


def test_observe_counts_runs_streaks_and_residuals() -> None:
    traces, learner = am.observe([SkillTrace()], LearnerTrace(), "s", 1.0, True, 0.75)
    traces, learner = am.observe(traces, learner, "s", 1.0, True, 0.75)
    (trace,) = traces
    assert (trace.attempts, trace.right, trace.streak, trace.last_right) == (2, 2.0, 2, True)
    assert trace.residual == pytest.approx(0.5)
    assert (learner.attempts, learner.run, learner.run_attempts) == (2, "s", 2)
    x = dict(zip(am.FEATURES, am.features(traces, learner, "s"), strict=True))
    assert x["skill_streak_at_least_2"] == 1.0
    assert x["skill_gap_1"] == 1.0
    assert x["run_start"] == 0.0
    (wrong,), learner = am.observe(traces, learner, "t", 0.0, False, 0.75)
    assert (wrong.streak, wrong.last_right) == (0, False)
    assert (learner.run, learner.run_attempts) == ("t", 1)
    x = dict(zip(am.FEATURES, am.features([SkillTrace()], learner, "s"), strict=True))
    assert x["run_start"] == 1.0
    assert x["skill_gap_more"] == 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["s", "t", "u"]),
                          st.floats(min_value=0.05, max_value=0.95)), max_size=60),
       st.sampled_from(["s", "t"]), st.floats(min_value=0.05, max_value=0.95))
def test_a_right_answer_never_lowers_mastery_below_a_wrong_one(
        history: list[tuple[bool, str, float]], skill: str, rate: float) -> None:
    """Whatever came before, answering right leaves the skill's figure at least as high as
    answering wrong would have: the signs `SIGNS` keeps make the shipped model read as people
    expect (a free fit on ASSISTments does not)."""
    model = shipped()
    traces: dict[str, SkillTrace] = {}
    learner = LearnerTrace()
    for right, sid, item_rate in history:
        (after,), learner = am.observe([traces.get(sid, SkillTrace())], learner, sid,
                                       float(right), right, item_rate)
        traces[sid] = after
    figures = []
    for right in (False, True):
        (after,), then = am.observe([traces.get(skill, SkillTrace())], learner, skill,
                                    float(right), right, rate)
        figures.append(model.probability("", (skill,), (after,), then, skill))
    assert figures[1] >= figures[0]


def test_the_shipped_weights_keep_their_signs() -> None:
    weights = dict(zip(am.FEATURES, shipped().weights, strict=True))
    for name, sign in am.SIGNS.items():
        assert weights[name] * sign >= 0.0, name


def test_a_bad_score_counts_as_wrong_and_is_clamped() -> None:
    (trace,), _ = am.observe([SkillTrace()], LearnerTrace(), "s", float("nan"), False, 0.5)
    assert trace.right == 0.0
    (trace,), _ = am.observe([SkillTrace()], LearnerTrace(), "s", 7.0, True, 0.5)
    assert trace.right == 1.0


@pytest.mark.parametrize("right", [True, False])
def test_huge_one_sided_histories_stay_bounded(right: bool) -> None:
    model = shipped()
    traces: tuple[SkillTrace, ...] = (SkillTrace(),)
    learner = LearnerTrace()
    for _ in range(20_000):
        traces, learner = am.observe(traces, learner, "s", 1.0 if right else 0.0, right,
                                     model.rate("x"))
    p = model.probability("x", ("s",), traces, learner, "s")
    assert 0.0 < p < 1.0
    assert math.isfinite(p)
    assert (p > 0.8) if right else (p < 0.4)


def test_a_new_item_and_skill_get_the_overall_rate_and_no_intercept() -> None:
    model = AnswerModel(0.0, (0.0,) * len(am.FEATURES), 0.6, rates={"a": (5, 5.0)})
    assert model.rate("new") == pytest.approx(0.6)
    assert model.rate("a") == pytest.approx((5 + 5 * 0.6) / 10)
    assert model.probability("new", ("new",), [SkillTrace()], LearnerTrace(), "x") == 0.5


def test_replay_predicts_before_it_sees_the_answer() -> None:
    model = shipped()
    right = am.replay([Answer("a", ("s",), 1.0, True)] * 3, model)
    wrong = am.replay([Answer("a", ("s",), 0.0, False)] * 3, model)
    assert right[0] == wrong[0]
    assert right[1] > right[0] > wrong[1]
    assert right[2] > right[1]


def test_the_shipped_model_is_the_general_one() -> None:
    model = shipped()
    assert not model.items
    assert not model.skills
    assert not model.slopes
    assert not model.rates
    assert 0.6 < model.mean_rate < 0.75


def test_json_round_trips() -> None:
    sequences, _ = population(30, 40)
    model = am.fit(sequences)
    again = AnswerModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again == model
    trace = SkillTrace(3, 2.0, 1, True, 0.4, (0.1, 0.2), (1.0, 2.0), 7, (1.5, 1.8))
    assert SkillTrace.from_json(json.loads(json.dumps(trace.to_json()))) == trace
    learner = LearnerTrace(3, 2.0, 0.4, (0.1, 0.2), (1.0, 2.0), "s", 2, 1.0, (1.5, 1.8))
    assert LearnerTrace.from_json(json.loads(json.dumps(learner.to_json()))) == learner


def test_a_model_for_other_features_or_bad_weights_is_refused() -> None:
    doc = shipped().to_json()
    with pytest.raises(ValueError, match="features"):
        AnswerModel.from_json({**doc, "features": doc["features"][:-1]})
    with pytest.raises(ValueError, match="weights: expected"):
        AnswerModel(0.0, (0.0,), 0.5)
    with pytest.raises(ValueError, match="finite"):
        AnswerModel(float("nan"), (0.0,) * len(am.FEATURES), 0.5)


def test_fit_recovers_item_difficulty_and_predicts_held_out_learners() -> None:
    sequences, difficulty = population(120, 40)
    model = am.fit(sequences[:100])
    def easiness(item: str) -> float:
        return model.items.get(item, 0.0) + model.skills["s1" if item < "i5" else "s2"]

    ranked = sorted(difficulty, key=lambda item: -easiness(item))
    assert set(ranked[:3]) <= {"i0", "i1", "i2", "i3"}
    assert set(ranked[-3:]) <= {"i6", "i7", "i8", "i9"}
    held = [(p, a.success) for seq in sequences[100:] for p, a in
            zip(am.replay(seq, model), seq, strict=True)]
    flat = AnswerModel(model.bias, (0.0,) * len(am.FEATURES), model.mean_rate)
    base = [(p, a.success) for seq in sequences[100:] for p, a in
            zip(am.replay(seq, flat), seq, strict=True)]
    fitted_loss = am.log_loss([p for p, _ in held], [float(y) for _, y in held])
    flat_loss = am.log_loss([p for p, _ in base], [float(y) for _, y in base])
    assert fitted_loss < flat_loss - 0.05


def test_a_prior_holds_a_small_fit_near_the_shipped_weights() -> None:
    sequences, _ = population(25, 45)
    prior = shipped()
    near = am.fit(sequences, prior=prior, l2=1e6, content=False)
    assert near.weights == pytest.approx(prior.weights, abs=0.05)
    free = am.fit(sequences, l2=1e6, content=False)
    assert max(abs(w) for w in free.weights) < 0.05


@pytest.mark.parametrize(("sequences", "field"), [
    ([[Answer("a", ("s",), 1.0, True)]] * 30, "answers"),
    ([[Answer("a", ("s",), 1.0, True), Answer("b", ("s",), 0.0, False)] * 300] * 5,
     "learners"),
    ([[Answer("a", ("s",), 1.0, True)] * 50] * 30, "every answer is right"),
])
def test_fit_refuses_data_it_cannot_support(sequences: list[list[Answer]], field: str) -> None:
    with pytest.raises(am.InsufficientData, match=field):
        am.fit(sequences)


def test_an_organisation_fit_is_used_only_when_it_beats_the_base_on_held_out_people() -> None:
    sequences, _ = population(60, 30)
    by_person = dict(enumerate(sequences))
    choice = am.organisation_model(by_person, shipped())
    assert choice.model is not None, choice.reason
    assert (choice.answers, choice.people) == (1800, 60)
    assert choice.held_out_loss_fitted < choice.held_out_loss_shipped  # type: ignore[operator]
    assert "better" in choice.reason


def test_a_fit_that_does_not_beat_the_base_is_refused() -> None:
    """Coin flips, and a base that says 50% for everything: the truth. A fit can only learn
    noise, so it predicts held-out people worse and the base stays."""
    rng = random.Random(3)
    flips = {pid: [Answer(f"i{rng.randrange(30)}", ("s",), float(r), r)
                   for r in (rng.random() < 0.5 for _ in range(60))] for pid in range(40)}
    truth = AnswerModel(0.0, (0.0,) * len(am.FEATURES), 0.5)
    choice = am.organisation_model(flips, truth)
    assert choice.model is None
    assert choice.held_out_loss_shipped == pytest.approx(math.log(2))
    assert choice.held_out_loss_fitted > choice.held_out_loss_shipped  # type: ignore[operator]
    assert choice.reason.startswith("the fit predicted the held-out people worse")


def test_an_organisation_with_too_few_people_keeps_the_base() -> None:
    sequences, _ = population(10, 150)
    choice = am.organisation_model(dict(enumerate(sequences)), shipped())
    assert choice.model is None
    assert choice.reason == "learners: 10 people answered, at least 20 needed"
    assert choice.held_out_loss_fitted is None
