"""Every kind of document: its context builder, what it is about, the default subject.

``build_<kind>_context(institution, subject=None) -> dict`` fills the kind's
template; without a subject it uses the natural one (the edition being
prepared, the newest self-assessment cycle …) or, before there is any, what
the configuration says, so every kind renders for every institution.
"""

from collections.abc import Callable
from dataclasses import dataclass

from dozq.documents.kinds.assessment import (
    build_annual_report_section_context,
    build_self_assessment_order_context,
    build_self_assessment_report_context,
    default_cycle,
)
from dozq.documents.kinds.monitoring import build_monitoring_programme_context, default_programme
from dozq.documents.kinds.questionnaire import build_questionnaire_context, default_questionnaire
from dozq.documents.kinds.regulation import (
    build_acknowledgement_sheet_context,
    build_council_extract_context,
    build_regulation_context,
    build_regulation_order_context,
    default_edition,
)
from dozq.documents.models import DocumentKind


@dataclass(frozen=True)
class KindSpec:
    kind: DocumentKind
    #: The table of the subject («regulation_edition», …); how documents are grouped.
    subject_type: str
    build: Callable[..., dict]
    default_subject: Callable[[], object]


def _model(subject_type: str):
    """The model of a subject type (imported late: other areas define them)."""
    if subject_type == "regulation_edition":
        from dozq.regulation.models import RegulationEdition

        return RegulationEdition
    if subject_type == "assessment_cycle":
        from dozq.assessment.models import AssessmentCycle

        return AssessmentCycle
    if subject_type == "monitoring_programme":
        from dozq.publication.models import MonitoringProgramme

        return MonitoringProgramme
    from dozq.surveys.models import Questionnaire

    return Questionnaire


EDITION, CYCLE, QUESTIONNAIRE = "regulation_edition", "assessment_cycle", "questionnaire"
PROGRAMME = "monitoring_programme"

KINDS: dict[DocumentKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(DocumentKind.REGULATION, EDITION, build_regulation_context, default_edition),
        KindSpec(
            DocumentKind.REGULATION_ORDER, EDITION, build_regulation_order_context, default_edition
        ),
        KindSpec(
            DocumentKind.SELF_ASSESSMENT_ORDER,
            CYCLE,
            build_self_assessment_order_context,
            default_cycle,
        ),
        KindSpec(
            DocumentKind.MONITORING_PROGRAMME,
            PROGRAMME,
            build_monitoring_programme_context,
            default_programme,
        ),
        KindSpec(
            DocumentKind.SELF_ASSESSMENT_REPORT,
            CYCLE,
            build_self_assessment_report_context,
            default_cycle,
        ),
        KindSpec(
            DocumentKind.QUESTIONNAIRE,
            QUESTIONNAIRE,
            build_questionnaire_context,
            default_questionnaire,
        ),
        KindSpec(
            DocumentKind.COUNCIL_EXTRACT, EDITION, build_council_extract_context, default_edition
        ),
        KindSpec(
            DocumentKind.ACKNOWLEDGEMENT_SHEET,
            EDITION,
            build_acknowledgement_sheet_context,
            default_edition,
        ),
        KindSpec(
            DocumentKind.ANNUAL_REPORT_SECTION,
            CYCLE,
            build_annual_report_section_context,
            default_cycle,
        ),
    )
}


def subject_model(kind: DocumentKind):
    return _model(KINDS[kind].subject_type)


__all__ = ["KINDS", "KindSpec", "subject_model"]
