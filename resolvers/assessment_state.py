"""The adaptive assessment's state and rules, as plain data and pure functions.

A session assesses a few *topics* (concepts of the knowledge base chosen to
cover every level up to the target) and keeps an estimate for every concept
it touches:

- ``confidence``: the estimated probability that the learner has mastered the
  concept, starting at 0.5 (knowing nothing) and moved by each evaluated
  answer as a running mean in which the prior counts as one answer.
- ``bloom``: the highest Bloom level the learner showed for it.
- ``source``: ``prior`` (untouched), ``assessed`` (asked about) or
  ``inferred`` (set from related answers: a strong answer (≥ 0.8) makes its
  prerequisites likely known (≥ 0.75); a weak one (≤ 0.3) makes the concepts
  built on it likely unknown (≤ 0.3)).

The next question goes to the topic we are least sure about (confidence
nearest 0.5), prerequisites first; a topic is done when it had its share of
questions or its estimate is settled (two answers and ≤ 0.15 or ≥ 0.85), and
a topic whose prerequisite is clearly unknown (answered at ≤ 0.2 on average,
or inferred unknown) is skipped, not asked. The
session is complete when no topic is left or the question budget is spent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Protocol

BLOOM_LEVELS = ("remember", "understand", "apply", "analyze", "evaluate", "create")
# Topics per session and questions per topic, by thoroughness.
PLANS = {"quick": (6, 1), "standard": (10, 2), "thorough": (15, 3)}
# The Bloom level a question aims at for a concept of each career level.
TARGET_BLOOM = {"junior": "understand", "mid": "apply", "senior": "analyze",
                "staff": "evaluate"}

PRIOR = 0.5
STRONG, WEAK = 0.8, 0.3
INFERRED_KNOWN, INFERRED_UNKNOWN = 0.75, 0.3
SETTLED_LOW, SETTLED_HIGH = 0.15, 0.85
BLOCKING = 0.2


class ConceptLike(Protocol):
    id: str
    name: str
    level: str
    prerequisites: tuple[str, ...]


@dataclass
class ConceptEstimate:
    confidence: float = PRIOR
    evidence: int = 0
    asked: int = 0
    bloom: str | None = None
    source: str = "prior"
    reasoning: str = ""


@dataclass
class Turn:
    concept: str
    question: str
    answer: str
    score: float
    bloom: str
    reasoning: str


@dataclass
class AssessmentState:
    topics: list[str]
    per_topic: int
    estimates: dict[str, ConceptEstimate] = field(default_factory=dict)
    history: list[Turn] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"topics": self.topics, "per_topic": self.per_topic,
                "estimates": {k: asdict(v) for k, v in self.estimates.items()},
                "history": [asdict(t) for t in self.history]}

    @classmethod
    def from_json(cls, data: Mapping) -> AssessmentState:
        return cls(topics=list(data["topics"]), per_topic=int(data["per_topic"]),
                   estimates={k: ConceptEstimate(**v) for k, v in data["estimates"].items()},
                   history=[Turn(**t) for t in data.get("history", [])])

    def estimate(self, concept_id: str) -> ConceptEstimate:
        return self.estimates.setdefault(concept_id, ConceptEstimate())


def choose_topics(ordered: list[ConceptLike], count: int) -> list[str]:
    """``count`` concepts spread evenly over ``ordered`` (prerequisites first), so every
    level up to the target is covered; all of them when there are fewer."""
    if len(ordered) <= count:
        return [c.id for c in ordered]
    if count == 1:
        return [ordered[-1].id]
    picks = sorted({round(i * (len(ordered) - 1) / (count - 1)) for i in range(count)})
    return [ordered[i].id for i in picks]


def new_state(ordered: list[ConceptLike], thoroughness: str) -> AssessmentState:
    topic_count, per_topic = PLANS[thoroughness]
    topics = choose_topics(ordered, topic_count)
    return AssessmentState(topics=topics, per_topic=per_topic,
                           estimates={t: ConceptEstimate() for t in topics})


def max_questions(state: AssessmentState) -> int:
    return len(state.topics) * state.per_topic


def _settled(estimate: ConceptEstimate) -> bool:
    return estimate.evidence >= 2 and not SETTLED_LOW < estimate.confidence < SETTLED_HIGH


def _unknown(estimate: ConceptEstimate) -> bool:
    if estimate.source == "assessed":
        return estimate.confidence <= BLOCKING
    return estimate.source == "inferred" and estimate.confidence <= INFERRED_UNKNOWN


def _blocked(state: AssessmentState, concept: ConceptLike) -> bool:
    return any(_unknown(state.estimates.get(p, ConceptEstimate())) for p in concept.prerequisites)


def next_topic(state: AssessmentState, concepts: Mapping[str, ConceptLike],
               questions_asked: int) -> str | None:
    """The concept to ask about next, or None when the assessment is complete."""
    if questions_asked >= max_questions(state):
        return None
    candidates = []
    for position, topic in enumerate(state.topics):
        estimate = state.estimate(topic)
        if estimate.asked >= state.per_topic or _settled(estimate):
            continue
        if _blocked(state, concepts[topic]):
            continue
        uncertainty = 1 - abs(estimate.confidence - 0.5) * 2
        candidates.append((-uncertainty, position, topic))
    return min(candidates)[2] if candidates else None


def _closure(start: str, edges: Mapping[str, Iterable[str]]) -> list[str]:
    seen: list[str] = []
    stack = list(edges.get(start, ()))
    while stack:
        item = stack.pop()
        if item not in seen:
            seen.append(item)
            stack.extend(edges.get(item, ()))
    return seen


def record_answer(state: AssessmentState, concepts: Mapping[str, ConceptLike], *, concept: str,
                  question: str, answer: str, score: float, bloom: str, reasoning: str) -> None:
    """Fold one evaluated answer into the estimates (and infer related concepts)."""
    estimate = state.estimate(concept)
    weight = estimate.evidence + 1  # the prior counts as one answer
    estimate.confidence = round((estimate.confidence * weight + score) / (weight + 1), 4)
    estimate.evidence += 1
    estimate.asked += 1
    estimate.source = "assessed"
    estimate.reasoning = reasoning
    if estimate.bloom is None or BLOOM_LEVELS.index(bloom) > BLOOM_LEVELS.index(estimate.bloom):
        estimate.bloom = bloom
    state.history.append(Turn(concept=concept, question=question, answer=answer, score=score,
                              bloom=bloom, reasoning=reasoning))

    prerequisites = {c.id: c.prerequisites for c in concepts.values()}
    dependants: dict[str, list[str]] = {}
    for concept_id, prereqs in prerequisites.items():
        for p in prereqs:
            dependants.setdefault(p, []).append(concept_id)
    if score >= STRONG:
        for related in _closure(concept, prerequisites):
            _infer(state, related, lambda c: max(c, INFERRED_KNOWN))
    elif score <= WEAK:
        for related in _closure(concept, dependants):
            _infer(state, related, lambda c: min(c, INFERRED_UNKNOWN))


def _infer(state: AssessmentState, concept_id: str, adjust) -> None:
    estimate = state.estimate(concept_id)
    if estimate.source == "assessed":
        return
    estimate.confidence = adjust(estimate.confidence)
    estimate.source = "inferred"


def progress(state: AssessmentState, questions_asked: int) -> dict:
    """The ``[META]`` progress payload."""
    evaluated = sum(1 for t in state.topics if state.estimate(t).asked > 0)
    return {"type": "assessment", "topics_evaluated": evaluated,
            "total_questions": questions_asked, "max_questions": max_questions(state)}


def question_bloom(concept: ConceptLike, estimate: ConceptEstimate) -> str:
    """Aim at the concept's level, one step higher after a strong answer."""
    target = BLOOM_LEVELS.index(TARGET_BLOOM[concept.level])
    if estimate.evidence and estimate.confidence >= STRONG:
        target = min(target + 1, len(BLOOM_LEVELS) - 1)
    return BLOOM_LEVELS[target]


def scores(state: AssessmentState, concepts: Mapping[str, ConceptLike]) -> list[dict]:
    """Proficiency per concept the session learned something about, in topic order."""
    ordered = [*state.topics, *(c for c in state.estimates if c not in state.topics)]
    result = []
    for concept_id in ordered:
        estimate = state.estimates.get(concept_id)
        if estimate is None or estimate.source == "prior":
            continue
        certainty = (min(1.0, 0.5 + 0.2 * estimate.evidence) if estimate.source == "assessed"
                     else 0.4)
        reasoning = estimate.reasoning or ("Inferred from answers on related concepts.")
        result.append({"skillId": concept_id, "skillName": concepts[concept_id].name,
                       "score": round(estimate.confidence * 100),
                       "confidence": round(certainty, 2), "reasoning": reasoning})
    return result


def knowledge_graph(state: AssessmentState, concepts: Mapping[str, ConceptLike]) -> dict:
    """Every concept the session touched, with its estimate and prerequisites among them."""
    ids = [*state.topics, *(c for c in state.estimates if c not in state.topics)]
    present = set(ids)
    return {"nodes": [{"concept": cid, "confidence": round(state.estimate(cid).confidence, 2),
                       "bloomLevel": state.estimate(cid).bloom,
                       "prerequisites": [p for p in concepts[cid].prerequisites if p in present]}
                      for cid in ids]}
