"""The menu: each context lists its pages; a person sees those their role may open."""

from dataclasses import dataclass

from flask import Flask, g, request

from dozq.tenancy.access import can, current_role


@dataclass(frozen=True)
class MenuItem:
    label: str
    endpoint: str


INSTITUTION_MENU = [
    MenuItem("Головна", "institution.home"),
    MenuItem("Профіль закладу", "institution.profile"),
    MenuItem("Внутрішня система", "institution.quality_system.overview"),
    MenuItem("Положення", "institution.regulation.index"),
    MenuItem("Критерії та індикатори", "institution.catalog.index"),
    MenuItem("Самооцінювання", "institution.assessment.index"),
    MenuItem("Педагогічна рада", "institution.assessment.council"),
    MenuItem("Анкетування", "institution.surveys.index"),
    MenuItem("Моніторинг", "institution.publication.index"),
    MenuItem("Документи", "institution.documents.index"),
    MenuItem("Працівники", "institution.staff"),
    MenuItem("Журнал дій", "institution.audit.index"),
    MenuItem("Персональні дані", "institution.privacy.index"),
    MenuItem("Сповіщення", "institution.notifications.notifications_index"),
]

FOUNDER_MENU = [
    MenuItem("Заклади", "founder.home"),
    MenuItem("Огляд закладів", "founder.dashboard.index"),
    MenuItem("Адміністратори", "founder.admins"),
    MenuItem("Каталоги критеріїв", "founder.catalog.index"),
    MenuItem("Самооцінювання", "founder.assessment.index"),
    MenuItem("Звернення закладів", "founder.assessment_requests.index"),
    MenuItem("Анкетування", "founder.surveys.index"),
    MenuItem("Журнал дій", "founder.audit.index"),
]

ADMIN_MENU = [
    MenuItem("Засновники", "admin.founders"),
    MenuItem("Облікові записи", "admin.users"),
    MenuItem("Каталоги критеріїв", "admin.catalog.index"),
]


def current_menu() -> list[MenuItem]:
    if "institution" in g:
        items = INSTITUTION_MENU
    elif "founder" in g:
        items = FOUNDER_MENU
    elif (request.blueprint or "").split(".")[0] == "admin":
        items = ADMIN_MENU
    else:
        return []
    return [item for item in items if can(item.endpoint)]


def init_navigation(app: Flask) -> None:
    @app.context_processor
    def navigation():
        return {"menu": current_menu, "can": can, "current_role": current_role}
