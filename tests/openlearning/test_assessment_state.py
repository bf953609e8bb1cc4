"""The adaptive assessment's rules on a small concept graph."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from resolvers.assessment_state import (
    AssessmentState,
    choose_topics,
    knowledge_graph,
    max_questions,
    new_state,
    next_topic,
    progress,
    question_bloom,
    record_answer,
    scores,
)


@dataclass(frozen=True)
class C:
    id: str
    name: str
    level: str
    prerequisites: tuple[str, ...] = ()


# http -> rest -> pagination; http -> caching; rest -> api_versioning
GRAPH = [C("http", "HTTP", "junior"), C("rest", "REST", "mid", ("http",)),
         C("caching", "Caching", "mid", ("http",)), C("pagination", "Pagination", "mid", ("rest",)),
         C("api_versioning", "API Versioning", "senior", ("rest",))]
CONCEPTS = {c.id: c for c in GRAPH}


def answer(state, concept, score, bloom="apply", reasoning="ok"):
    record_answer(state, CONCEPTS, concept=concept, question=f"Q {concept}", answer="A",
                  score=score, bloom=bloom, reasoning=reasoning)


def test_topics_spread_over_the_ordered_concepts():
    assert choose_topics(GRAPH, 10) == [c.id for c in GRAPH]
    assert choose_topics(GRAPH, 3) == ["http", "caching", "api_versioning"]
    assert choose_topics(GRAPH, 1) == ["api_versioning"]


@pytest.mark.parametrize(("thoroughness", "questions"), [("quick", 5), ("standard", 10),
                                                         ("thorough", 15)])
def test_thoroughness_sets_the_question_budget(thoroughness, questions):
    state = new_state(GRAPH, thoroughness)
    assert state.topics == [c.id for c in GRAPH]
    assert max_questions(state) == questions


def test_first_question_goes_to_the_first_prerequisite():
    state = new_state(GRAPH, "standard")
    assert next_topic(state, CONCEPTS, 0) == "http"


def test_answers_move_confidence_as_a_running_mean_with_the_prior():
    state = new_state(GRAPH, "standard")
    answer(state, "http", 1.0)
    assert state.estimates["http"].confidence == 0.75  # (0.5 + 1.0) / 2
    answer(state, "http", 1.0)
    assert state.estimates["http"].confidence == pytest.approx(0.8333, abs=1e-4)
    assert state.estimates["http"].asked == 2 and state.estimates["http"].source == "assessed"


def test_a_strong_answer_makes_prerequisites_likely_known():
    state = new_state(GRAPH, "standard")
    answer(state, "pagination", 0.9, bloom="analyze")
    assert state.estimates["rest"].confidence == 0.75
    assert state.estimates["http"].confidence == 0.75
    assert state.estimates["rest"].source == "inferred"
    assert state.estimates["caching"].source == "prior"  # not a prerequisite of pagination


def test_a_weak_answer_makes_dependants_likely_unknown_and_blocks_them():
    state = new_state(GRAPH, "standard")
    answer(state, "http", 0.1)
    answer(state, "http", 0.0)
    for dependant in ("rest", "caching", "pagination", "api_versioning"):
        assert state.estimates[dependant].confidence <= 0.3
        assert state.estimates[dependant].source == "inferred"
    # http had its two questions, and everything else builds on it: nothing is left to ask
    # although only 2 of the 10 questions were used.
    assert next_topic(state, CONCEPTS, 2) is None


def test_inference_never_overrides_an_assessed_estimate():
    state = new_state(GRAPH, "standard")
    answer(state, "rest", 0.6)
    answer(state, "http", 0.0)
    assert state.estimates["rest"].confidence == 0.55
    assert state.estimates["rest"].source == "assessed"


def test_the_most_uncertain_topic_is_asked_next():
    state = new_state(GRAPH, "standard")
    answer(state, "http", 1.0)      # 0.75
    answer(state, "caching", 0.5)   # 0.5: the least certain
    # rest and caching are both at 0.5; rest comes first in teaching order.
    assert next_topic(state, CONCEPTS, 2) == "rest"
    answer(state, "rest", 0.9)
    answer(state, "pagination", 0.95)
    answer(state, "api_versioning", 0.9)
    assert next_topic(state, CONCEPTS, 5) == "caching"


def test_the_question_budget_ends_the_session():
    state = new_state(GRAPH, "thorough")
    assert next_topic(state, CONCEPTS, max_questions(state) - 1) == "http"
    assert next_topic(state, CONCEPTS, max_questions(state)) is None


def test_a_topic_that_had_its_share_of_questions_is_not_asked_again():
    state = new_state(GRAPH, "standard")
    answer(state, "http", 0.5)
    answer(state, "http", 0.5)
    # http is still the least certain and first in teaching order, 2 of 10 questions used.
    assert state.estimates["http"].confidence == 0.5
    assert next_topic(state, CONCEPTS, 2) == "rest"


def test_a_settled_topic_is_not_asked_again():
    state = new_state([CONCEPTS["http"], CONCEPTS["rest"]], "thorough")
    assert (state.topics, state.per_topic, max_questions(state)) == (["http", "rest"], 3, 6)
    for _ in range(3):
        answer(state, "rest", 1.0)  # rest had its three; http is inferred known (0.75)
    answer(state, "http", 1.0)
    answer(state, "http", 1.0)
    # Two answers took http to ≥ 0.85: settled with one question of its share and one of
    # the budget left, so the session is complete.
    assert state.estimates["http"].confidence == pytest.approx(0.9167, abs=1e-4)
    assert state.estimates["http"].asked == 2
    assert next_topic(state, CONCEPTS, 5) is None


def test_bloom_target_rises_after_a_strong_answer():
    state = new_state(GRAPH, "standard")
    assert question_bloom(CONCEPTS["rest"], state.estimates["rest"]) == "apply"
    answer(state, "rest", 1.0)
    answer(state, "rest", 1.0)
    assert question_bloom(CONCEPTS["rest"], state.estimates["rest"]) == "analyze"
    assert question_bloom(CONCEPTS["http"], state.estimates["http"]) == "understand"


def test_scores_graph_progress_and_round_trip():
    state = new_state(GRAPH, "standard")
    answer(state, "pagination", 0.9, bloom="analyze", reasoning="Explained cursors well")
    restored = AssessmentState.from_json(state.to_json())
    assert restored == state
    assert scores(restored, CONCEPTS) == [
        {"skillId": "http", "skillName": "HTTP", "score": 75, "confidence": 0.4,
         "reasoning": "Inferred from answers on related concepts."},
        {"skillId": "rest", "skillName": "REST", "score": 75, "confidence": 0.4,
         "reasoning": "Inferred from answers on related concepts."},
        {"skillId": "pagination", "skillName": "Pagination", "score": 70, "confidence": 0.7,
         "reasoning": "Explained cursors well"},
    ]
    graph = knowledge_graph(restored, CONCEPTS)
    assert graph["nodes"][3] == {"concept": "pagination", "confidence": 0.7,
                                 "bloomLevel": "analyze", "prerequisites": ["rest"]}
    assert progress(restored, 1) == {"type": "assessment", "topics_evaluated": 1,
                                     "total_questions": 1, "max_questions": 10}
