"""The Markdown export of an assessment report.

Sections: Proficiency Scores, Knowledge Map, Knowledge Gaps, Learning Plan. A
section without data (an assessment still in progress has no gap analysis or
plan yet) says so instead of disappearing. The status line shows the
session's effective status from the resolver (an idle session reads "timed out").
"""

from __future__ import annotations

from resolvers.assessment_report import ExportView, Report


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _scores(report: Report) -> list[str]:
    if not report.scores:
        return ["_No answers have been scored yet._"]
    lines = ["| Concept | Score | Confidence | Reasoning |", "|---|---:|---:|---|"]
    lines += [f"| {_cell(s['skillName'])} | {s['score']} | {s['confidence']:.2f} | "
              f"{_cell(s['reasoning'])} |" for s in report.scores]
    return lines


def _knowledge_map(report: Report) -> list[str]:
    nodes = report.knowledge_graph.get("nodes", [])
    if not nodes:
        return ["_The knowledge map is empty._"]
    lines = []
    for node in nodes:
        bloom = node["bloomLevel"] or "not yet shown"
        after = f" (builds on {', '.join(node['prerequisites'])})" if node["prerequisites"] else ""
        lines.append(f"- **{node['concept']}**: confidence {node['confidence']:.2f}, "
                     f"Bloom level {bloom}{after}")
    return lines


def _gaps(report: Report) -> list[str]:
    analysis = report.gap_analysis
    if analysis is None:
        return ["_The gap analysis is available once the assessment is complete "
                "and its report has been generated._"]
    lines = [f"Overall readiness: **{analysis.overall_readiness}%**", "", analysis.summary, "",
             "| Skill | Current | Target | Gap | Priority | Recommendation |",
             "|---|---:|---:|---:|---|---|"]
    lines += [f"| {_cell(g.skill_name)} | {g.current_level} | {g.target_level} | {g.gap} | "
              f"{g.priority} | {_cell(g.recommendation)} |" for g in analysis.gaps]
    return lines


def _plan(report: Report) -> list[str]:
    plan = report.learning_plan
    if plan is None:
        return ["_The learning plan is available once the assessment is complete "
                "and its report has been generated._"]
    lines = [plan.summary, "", f"Total: {plan.total_hours:g} hours"]
    for phase in plan.phases:
        lines += ["", f"### Phase {phase.phase_number}: {phase.title} "
                      f"({phase.estimated_hours:g} h)", "", phase.rationale, "",
                  "Concepts: " + ", ".join(phase.concepts)]
        for resource in phase.resources:
            title = f"[{resource.title}]({resource.url})" if resource.url else resource.title
            lines.append(f"- {resource.type}: {title}")
    return lines


STATUS_WORDS = {"active": "in progress", "completed": "complete", "timed_out": "timed out"}


def markdown_report(view: ExportView) -> str:
    session, report = view.session, view.report
    status = STATUS_WORDS[view.status]
    lines = [f"# Assessment {str(session.id)[:8]}", "",
             f"- Skills: {', '.join(session.skill_ids)}",
             f"- Target level: {session.target_level}",
             f"- Domain: {session.domain}",
             f"- Status: {status}", "",
             "## Proficiency Scores", "", *_scores(report), "",
             "## Knowledge Map", "", *_knowledge_map(report), "",
             "## Knowledge Gaps", "", *_gaps(report), "",
             "## Learning Plan", "", *_plan(report), ""]
    return "\n".join(lines)
