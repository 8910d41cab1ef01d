"""Mastery: the chance that a person's next answer on a skill is right.

The model is a logistic regression on what the person has done so far, in the family of
"Best-LR" (Gervet et al., 2020), the strongest published model on the ASSISTments 2009 split:

    P(right) = sigmoid(bias + item + sum of the item's skills (skill + slopes) + w . features)

- `item` and `skill` are intercepts: how hard this item and these skills are for everyone.
- `slopes` are per skill: how much each wrong and each right answer on the skill, and its
  recent trend, move the figure (some skills are learned in two tries, others in twenty).
- `features` describe the person's history, the same for every organisation: wrong and right
  answers on the skill and overall (on a log scale, as in performance factors analysis), the
  current run of right answers on the skill, whether the last answer was right, how many
  answers ago the skill was last practised, recent averages of right answers, and how the
  person did *compared with how hard the items were*: each answer adds its residual (right 1
  or wrong 0, minus the item's smoothed rate of right answers), as a mean, as recent averages
  and as trends (recent against long-run). The residuals are what let the model tell a strong
  learner on hard items from a weak one on easy items.

The weights of the features people read as "doing better" are kept to their sign (`SIGNS`):
a right answer never leaves the figure lower than a wrong one would.

The state behind the features is small and updated one answer at a time (`observe`): a
`SkillTrace` per person and skill, a `LearnerTrace` per person and pack. The benchmark
(`benchmarks/learner_model/mastery.py`) fits the weights with `fit` on the training learners
and then scores the held-out learners with these same `observe` and `probability` calls, so
the figures it prints are this code's.

Predictions are bounded (the logit is clipped to +-12, so 6e-6 to 0.999994) whatever the
history: one answer, hundreds of thousands, all right or all wrong, items never seen (their
intercept is 0 and their rate is the overall rate). The model has no clock: answers count in
the order they arrive, and forgetting is the memory model's job (`memory`).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import numpy as np
from scipy import optimize, sparse

DECAYS = (0.7, 0.9)  # recent averages of the residual: each answer keeps 70% / 90% of the past
PRIOR_ANSWERS = 5.0  # an item's rate is smoothed as if it had 5 more answers at the mean rate
STREAK_STEPS = (1, 2, 3, 4)  # "a run of at least k right answers" for each k
ATTEMPT_EDGES = (0, 1, 2, 3, 4, 7, 15)  # then 16 or more
GAP_EDGES = (1, 3, 10, 50)  # answers since the skill was last practised; then more, or never
LOGIT_LIMIT = 12.0
# A fit needs enough answers and people for its intercepts and slopes to mean anything; below
# this the shipped weights (fitted on ASSISTments) serve, with every item and skill at 0.
MIN_ANSWERS = 1000
MIN_LEARNERS = 20


def _bins(prefix: str, edges: Sequence[int]) -> tuple[str, ...]:
    return (*(f"{prefix}_{e}" for e in edges), f"{prefix}_more")


FEATURES: tuple[str, ...] = (
    "skill_wrong_log", "skill_right_log", "skill_streak_log", "skill_last_right",
    "skill_residual", "skill_recent_residual_0.7",
    "skill_recent_residual_0.9", "skill_recent_right_0.7", "skill_recent_right_0.9",
    "skill_trend", "skill_trend_long",
    *(f"skill_streak_at_least_{k}" for k in STREAK_STEPS),
    *_bins("skill_attempts", ATTEMPT_EDGES),
    *_bins("skill_gap", GAP_EDGES),
    "wrong_log", "right_log", "residual", "recent_residual_0.7", "recent_residual_0.9",
    "recent_right_0.7", "recent_right_0.9", "trend",
    "run_attempts_log", "run_rate", "run_start",
)


# Signs the history weights must keep, so that the figure behaves as people read it: more right
# answers, a longer run of them, a right last answer and doing better than the questions' rates
# never lower mastery, and a wrong answer never raises it. Unconstrained, a fit learns the
# habits of its data: on ASSISTments' skill builders, which end a problem set after three right
# in a row, the next answer after a streak of three is on a harder set, and the free fit gives
# such a streak a negative weight (and a person who got one of three right a higher figure than
# one who got three of three). The run of right answers enters as steps ("at least k in a row")
# that can only add, so a longer run never lowers the figure; the attempt and gap bins
# (experience, spacing) keep free signs.
SIGNS: dict[str, int] = {
    "skill_wrong_log": -1, "skill_right_log": 1, "skill_streak_log": 1,
    "skill_last_right": 1, "skill_residual": 1,
    "skill_recent_residual_0.7": 1, "skill_recent_residual_0.9": 1,
    "skill_recent_right_0.7": 1, "skill_recent_right_0.9": 1, "skill_trend": 1,
    "skill_trend_long": 1, "trend": 1,
    **dict.fromkeys((f"skill_streak_at_least_{k}" for k in STREAK_STEPS), 1),
    "wrong_log": -1, "right_log": 1, "residual": 1, "recent_residual_0.7": 1,
    "recent_residual_0.9": 1, "recent_right_0.7": 1, "recent_right_0.9": 1, "run_rate": 1,
}


# The features that also get a slope per skill: wrong and right answers and the recent trend
# on it (some skills are learned in two tries, others in twenty).
SLOPED = tuple(FEATURES.index(name) for name in
               ("skill_wrong_log", "skill_right_log", "skill_recent_residual_0.9"))


class InsufficientData(ValueError):
    """The answers cannot support a fit; the message names the rule that failed."""


@dataclass(frozen=True, slots=True)
class SkillTrace:
    """One person's history on one skill, as the features need it."""

    attempts: int = 0
    right: float = 0.0
    streak: int = 0  # right answers in a row, ending with the last one
    last_right: bool | None = None
    residual: float = 0.0  # sum of (score - item rate)
    recent: tuple[float, ...] = (0.0,) * len(DECAYS)  # decayed sums of residuals
    weight: tuple[float, ...] = (0.0,) * len(DECAYS)  # decayed counts of answers
    last_index: int | None = None  # the person's answer count when this skill was last answered
    recent_right: tuple[float, ...] = (0.0,) * len(DECAYS)  # decayed sums of scores

    def to_json(self) -> list[Any]:
        return [self.attempts, self.right, self.streak, self.last_right, self.residual,
                list(self.recent), list(self.weight), self.last_index, list(self.recent_right)]

    @staticmethod
    def from_json(doc: Sequence[Any]) -> SkillTrace:
        attempts, right, streak, last_right, residual, recent, weight, last_index, scores = doc
        return SkillTrace(int(attempts), float(right), int(streak), last_right,
                          float(residual), tuple(recent), tuple(weight), last_index,
                          tuple(scores))


@dataclass(frozen=True, slots=True)
class LearnerTrace:
    """One person's history across the skills of a pack."""

    attempts: int = 0
    right: float = 0.0
    residual: float = 0.0
    recent: tuple[float, ...] = (0.0,) * len(DECAYS)
    weight: tuple[float, ...] = (0.0,) * len(DECAYS)
    run: str | None = None  # the skill (set) of the answers in a row just given
    run_attempts: int = 0
    run_right: float = 0.0
    recent_right: tuple[float, ...] = (0.0,) * len(DECAYS)

    def to_json(self) -> list[Any]:
        return [self.attempts, self.right, self.residual, list(self.recent), list(self.weight),
                self.run, self.run_attempts, self.run_right, list(self.recent_right)]

    @staticmethod
    def from_json(doc: Sequence[Any]) -> LearnerTrace:
        attempts, right, residual, recent, weight, run, run_attempts, run_right, scores = doc
        return LearnerTrace(int(attempts), float(right), float(residual), tuple(recent),
                            tuple(weight), run, int(run_attempts), float(run_right),
                            tuple(scores))


def _onehot(value: int, edges: Sequence[int]) -> list[float]:
    out = [0.0] * (len(edges) + 1)
    out[next((i for i, edge in enumerate(edges) if value <= edge), len(edges))] = 1.0
    return out


def _mean_ratio(sums: Sequence[float], weights: Sequence[float]) -> list[float]:
    return [s / (w + 1.0) for s, w in zip(sums, weights, strict=True)]


def features(skills: Sequence[SkillTrace], learner: LearnerTrace, run: str) -> list[float]:
    """The history features before an answer on an item with these skills' traces (one trace
    per skill of the item; an item with several skills averages them), in `FEATURES` order."""
    n = max(len(skills), 1)
    wrong = sum(math.log1p(s.attempts - s.right) for s in skills) / n
    right = sum(math.log1p(s.right) for s in skills) / n
    streak = min((s.streak for s in skills), default=0)
    attempts = min((s.attempts for s in skills), default=0)
    last = [s.last_right for s in skills if s.last_right is not None]
    residual = sum(s.residual / (s.attempts + 1) for s in skills) / n
    recent = [sum(s.recent[d] / (s.weight[d] + 1.0) for s in skills) / n
              for d in range(len(DECAYS))]
    scores = [sum(s.recent_right[d] / (s.weight[d] + 1.0) for s in skills) / n
              for d in range(len(DECAYS))]
    learner_recent = _mean_ratio(learner.recent, learner.weight)
    gaps = [learner.attempts - s.last_index for s in skills if s.last_index is not None]
    gap = max(0, min(gaps)) if gaps else GAP_EDGES[-1] + 1
    same_run = learner.run == run
    run_attempts = learner.run_attempts if same_run else 0
    run_right = learner.run_right if same_run else 0.0
    return [
        wrong, right, math.log1p(streak), 1.0 if last and all(last) else 0.0, residual, *recent,
        *scores, recent[0] - recent[-1], recent[-1] - residual,
        *(1.0 if streak >= k else 0.0 for k in STREAK_STEPS), *_onehot(attempts, ATTEMPT_EDGES),
        *_onehot(gap, GAP_EDGES),
        math.log1p(learner.attempts - learner.right), math.log1p(learner.right),
        learner.residual / (learner.attempts + 1),
        *learner_recent,
        *_mean_ratio(learner.recent_right, learner.weight),
        learner_recent[0] - learner_recent[-1],
        math.log1p(run_attempts), (run_right + 1.0) / (run_attempts + 2.0),
        0.0 if run_attempts else 1.0,
    ]


def _decayed(values: tuple[float, ...], add: float) -> tuple[float, ...]:
    return tuple(d * v + add for d, v in zip(DECAYS, values, strict=True))


def observe(skills: Sequence[SkillTrace], learner: LearnerTrace, run: str, score: float,
            success: bool, rate: float) -> tuple[tuple[SkillTrace, ...], LearnerTrace]:
    """The traces after one answer scored 0..1 (`success`: counted as right) on an item whose
    rate of right answers is `rate`."""
    score = min(1.0, max(0.0, score)) if math.isfinite(score) else 0.0
    residual = score - rate
    index = learner.attempts
    traces = tuple(replace(
        s, attempts=s.attempts + 1, right=s.right + score,
        streak=s.streak + 1 if success else 0, last_right=success,
        residual=s.residual + residual, recent=_decayed(s.recent, residual),
        weight=_decayed(s.weight, 1.0), last_index=index,
        recent_right=_decayed(s.recent_right, score)) for s in skills)
    same_run = learner.run == run
    after = LearnerTrace(
        learner.attempts + 1, learner.right + score, learner.residual + residual,
        _decayed(learner.recent, residual), _decayed(learner.weight, 1.0), run,
        (learner.run_attempts if same_run else 0) + 1,
        (learner.run_right if same_run else 0.0) + score, _decayed(learner.recent_right, score))
    return traces, after


@dataclass(frozen=True)
class AnswerModel:
    """Fitted weights. Items and skills it has not seen have intercept and slopes 0."""

    bias: float
    weights: tuple[float, ...]
    mean_rate: float
    items: Mapping[str, float] = field(default_factory=dict)
    skills: Mapping[str, float] = field(default_factory=dict)
    slopes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    rates: Mapping[str, tuple[int, float]] = field(default_factory=dict)  # answers, right

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"weights: expected {len(FEATURES)} values, got "
                             f"{len(self.weights)}")
        if not all(math.isfinite(w) for w in (self.bias, self.mean_rate, *self.weights)):
            raise ValueError("weights: every weight must be a finite number")

    def rate(self, item: str) -> float:
        """The item's smoothed rate of right answers (the overall rate for a new item)."""
        answers, right = self.rates.get(item, (0, 0.0))
        return (right + PRIOR_ANSWERS * self.mean_rate) / (answers + PRIOR_ANSWERS)

    def logit(self, item: str, skills: Sequence[str], traces: Sequence[SkillTrace],
              learner: LearnerTrace, run: str) -> float:
        x = features(traces, learner, run)
        z = self.bias + self.items.get(item, 0.0) + sum(
            w * v for w, v in zip(self.weights, x, strict=True))
        for sid in skills:
            z += self.skills.get(sid, 0.0)
            slopes = self.slopes.get(sid)
            if slopes is not None:
                z += sum(w * x[k] for w, k in zip(slopes, SLOPED, strict=True))
        return min(LOGIT_LIMIT, max(-LOGIT_LIMIT, z))

    def probability(self, item: str, skills: Sequence[str], traces: Sequence[SkillTrace],
                    learner: LearnerTrace, run: str) -> float:
        """P(the next answer on `item` is right) for a person with these traces."""
        return 1.0 / (1.0 + math.exp(-self.logit(item, skills, traces, learner, run)))

    def to_json(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "bias": self.bias, "weights": list(self.weights),
                "mean_rate": self.mean_rate, "items": dict(self.items),
                "skills": dict(self.skills),
                "slopes": {k: list(v) for k, v in self.slopes.items()},
                "rates": {k: list(v) for k, v in self.rates.items()}}

    @staticmethod
    def from_json(doc: Mapping[str, Any]) -> AnswerModel:
        if list(doc.get("features", [])) != list(FEATURES):
            raise ValueError("features: the model was fitted on other features")
        return AnswerModel(
            float(doc["bias"]), tuple(float(w) for w in doc["weights"]),
            float(doc["mean_rate"]), {k: float(v) for k, v in doc.get("items", {}).items()},
            {k: float(v) for k, v in doc.get("skills", {}).items()},
            {k: tuple(float(x) for x in v) for k, v in doc.get("slopes", {}).items()},
            {k: (int(v[0]), float(v[1])) for k, v in doc.get("rates", {}).items()})


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer in a person's sequence: the item, its skills, the run key (the item's skill
    set), the score 0..1 and whether it counts as right."""

    item: str
    skills: tuple[str, ...]
    score: float
    success: bool
    run: str = ""

    @property
    def run_key(self) -> str:
        return self.run or "|".join(self.skills)


def replay(sequence: Iterable[Answer], model: AnswerModel) -> list[float]:
    """The model's prediction for each answer of one person, made before seeing it, with the
    traces updated online after each: exactly what the product does answer by answer."""
    skills: dict[str, SkillTrace] = {}
    learner = LearnerTrace()
    out = []
    for a in sequence:
        traces = [skills.get(s, SkillTrace()) for s in a.skills]
        out.append(model.probability(a.item, a.skills, traces, learner, a.run_key))
        after, learner = observe(traces, learner, a.run_key, a.score, a.success,
                                 model.rate(a.item))
        skills.update(zip(a.skills, after, strict=True))
    return out


def _counts(sequences: Sequence[Sequence[Answer]]) -> tuple[dict[str, tuple[int, float]], float]:
    counts: dict[str, tuple[int, float]] = {}
    total = right = 0.0
    for seq in sequences:
        for a in seq:
            n, r = counts.get(a.item, (0, 0.0))
            score = min(1.0, max(0.0, a.score))
            counts[a.item] = (n + 1, r + score)
            total += 1
            right += score
    return counts, right / total if total else 0.5


def fit(sequences: Sequence[Sequence[Answer]], *, l2: float = 1.0,
        prior: AnswerModel | None = None, content: bool = True,
        max_iterations: int = 3000) -> AnswerModel:
    """Fit by L2-penalised maximum likelihood (L-BFGS with the analytic gradient).

    Each person's features are built in order as `replay` builds them, except that an item's
    rate leaves out the answer being predicted (otherwise an item answered once would explain
    its own answer). History features are standardised for the search and the weights mapped
    back. With `prior`, the history weights are pulled towards the prior's instead of towards
    0: a small organisation's fit stays near the shipped model and moves only as far as its
    own answers show. With `content=False` there are no item or skill terms: the weights that
    carry over to other content (the model the product ships for a new organisation)."""
    _check(sequences)
    return _fit(sequences, l2, prior, content, max_iterations)


def _check(sequences: Sequence[Sequence[Answer]]) -> None:
    answers = sum(len(s) for s in sequences)
    learners = sum(1 for s in sequences if s)
    if answers < MIN_ANSWERS:
        raise InsufficientData(f"answers: {answers} answers, at least {MIN_ANSWERS} needed")
    if learners < MIN_LEARNERS:
        raise InsufficientData(f"learners: {learners} people answered, at least "
                               f"{MIN_LEARNERS} needed")


def _fit(sequences: Sequence[Sequence[Answer]], l2: float, prior: AnswerModel | None,
         content: bool, max_iterations: int) -> AnswerModel:
    counts, mean_rate = _counts(sequences)
    if mean_rate in (0.0, 1.0):
        raise InsufficientData("answers: every answer is " + ("right" if mean_rate else "wrong")
                               + "; nothing to tell apart")
    item_index = {item: i for i, item in enumerate(sorted(counts))}
    skill_index = {s: i for i, s in enumerate(sorted({s for seq in sequences for a in seq
                                                      for s in a.skills}))}
    n_rows = sum(len(seq) for seq in sequences)
    x = np.empty((n_rows, len(FEATURES)))  # filled row by row: no list of lists in memory
    labels: list[float] = []
    items: list[int] = []
    skill_rows: list[int] = []
    skill_cols: list[int] = []
    for seq in sequences:
        skills: dict[str, SkillTrace] = {}
        learner = LearnerTrace()
        for a in seq:
            score = min(1.0, max(0.0, a.score))
            n, r = counts[a.item]
            rate = (r - score + PRIOR_ANSWERS * mean_rate) / (n - 1 + PRIOR_ANSWERS)
            traces = [skills.get(s, SkillTrace()) for s in a.skills]
            for s in a.skills:
                skill_rows.append(len(labels))
                skill_cols.append(skill_index[s])
            x[len(labels)] = features(traces, learner, a.run_key)
            labels.append(score)
            items.append(item_index[a.item])
            after, learner = observe(traces, learner, a.run_key, a.score, a.success, rate)
            skills.update(zip(a.skills, after, strict=True))
    y = np.asarray(labels, dtype=np.float64)
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    z = (x - mu) / sd
    n_items, n_skills = len(item_index), len(skill_index)
    if not content:
        n_items = n_skills = 0
        items, skill_rows, skill_cols = [], [], []
    item_part = sparse.csr_matrix((np.ones(len(items)), (np.arange(len(items)), items)),
                                  shape=(n_rows, n_items))
    skill_part = sparse.csr_matrix((np.ones(len(skill_rows)), (skill_rows, skill_cols)),
                                   shape=(n_rows, n_skills))
    design = sparse.hstack([
        item_part, skill_part, *(skill_part.multiply(x[:, [k]]) for k in SLOPED),
        sparse.csr_matrix(z), sparse.csr_matrix(np.ones((n_rows, 1)))]).tocsr()
    n_sparse = n_items + (1 + len(SLOPED)) * n_skills
    target = np.zeros(design.shape[1])
    if prior is not None:
        target[n_sparse:n_sparse + len(FEATURES)] = np.asarray(prior.weights) * sd
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not pulled anywhere

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        logits = design @ w
        p = 1.0 / (1.0 + np.exp(-logits))
        off = w - target
        value = float(np.sum(np.logaddexp(0.0, logits) - y * logits)
                      + 0.5 * np.sum(penalty * off * off))
        return value, design.T @ (p - y) + penalty * off

    bounds: list[tuple[float | None, float | None]] = [(None, None)] * design.shape[1]
    for k, name in enumerate(FEATURES):
        sign = SIGNS.get(name)
        if sign is not None:
            bounds[n_sparse + k] = (0.0, None) if sign > 0 else (None, 0.0)
    start = np.clip(target, [b[0] if b[0] is not None else -np.inf for b in bounds],
                    [b[1] if b[1] is not None else np.inf for b in bounds])
    start[-1] = math.log(mean_rate / (1.0 - mean_rate))
    found = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds,
                              options={"maxiter": max_iterations})
    w = found.x
    hist = w[n_sparse:n_sparse + len(FEATURES)] / sd
    bias = float(w[-1] - np.sum(hist * mu))
    if not content:  # nothing tied to this data's items: what carries over to other content
        return AnswerModel(bias, tuple(float(v) for v in hist), mean_rate)
    names = sorted(item_index, key=item_index.__getitem__)
    skills_sorted = sorted(skill_index, key=skill_index.__getitem__)
    return AnswerModel(
        bias, tuple(float(v) for v in hist), mean_rate,
        {k: float(w[i]) for i, k in enumerate(names) if w[i] != 0.0},
        {k: float(w[n_items + i]) for i, k in enumerate(skills_sorted)},
        {k: tuple(float(w[n_items + (1 + j) * n_skills + i]) for j in range(len(SLOPED)))
         for i, k in enumerate(skills_sorted)},
        counts)


def log_loss(probabilities: Sequence[float], labels: Sequence[float]) -> float:
    eps = 1e-12
    total = 0.0
    for p, y in zip(probabilities, labels, strict=True):
        p = min(1 - eps, max(eps, p))
        total -= y * math.log(p) + (1 - y) * math.log(1 - p)
    return total / max(len(labels), 1)


HELD_OUT_EVERY = 5  # every fifth person (in id order) is held out to judge an organisation's fit


@dataclass(frozen=True, slots=True)
class Choice:
    """The verdict of fitting an organisation's answers: `model` is the one to score with, or
    None to keep the shipped model; the losses are on the held-out people."""

    model: AnswerModel | None
    reason: str
    answers: int
    people: int
    held_out_loss_fitted: float | None = None
    held_out_loss_shipped: float | None = None


def organisation_model(sequences: Mapping[int, Sequence[Answer]],
                       base: AnswerModel) -> Choice:
    """Fit the organisation's own model, items and skills included, pulled towards `base`; use
    it only if it predicts the held-out people (every fifth) better than `base` does. The model
    then used is fitted again on everyone."""
    people = sorted(pid for pid, seq in sequences.items() if seq)
    everyone = [sequences[pid] for pid in people]
    answers = sum(len(seq) for seq in everyone)
    try:
        _check(everyone)
        held = set(people[HELD_OUT_EVERY - 1::HELD_OUT_EVERY])
        fitted = _fit([sequences[p] for p in people if p not in held], 1.0, base, True, 3000)
    except InsufficientData as exc:
        return Choice(None, str(exc), answers, len(people))
    labels = [a.score for p in sorted(held) for a in sequences[p]]

    def loss(model: AnswerModel) -> float:
        return log_loss([q for p in sorted(held) for q in replay(sequences[p], model)], labels)

    own, general = loss(fitted), loss(base)
    if own >= general:
        return Choice(None, f"the fit predicted the held-out people worse (log loss {own:.4f}) "
                      f"than the shipped model ({general:.4f})", answers, len(people), own,
                      general)
    return Choice(_fit(everyone, 1.0, base, True, 3000),
                  f"the fit predicted the held-out people better (log loss {own:.4f} against "
                  f"{general:.4f} for the shipped model)", answers, len(people), own, general)


@functools.cache
def shipped() -> AnswerModel:
    """The general model fitted on ASSISTments 2009 (`benchmarks/learner_model/mastery.py
    --save`): what scores an organisation's answers until its own fit earns its place."""
    data = resources.files("learnloop.domain.learner").joinpath("data")
    text = data.joinpath("answer_model_gervet.json").read_text()
    return AnswerModel.from_json(json.loads(text))


