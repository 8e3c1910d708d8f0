"""A filled-in quality system for the first demo institution (the others keep the defaults)."""

from dozq.quality_system import services
from dozq.quality_system.models import StatutoryComponent

#: Description, policies and measures (action, role, person, timing, document) per component.
COMPONENTS = {
    StatutoryComponent.POLICY: (
        "Стратегія (політика) визначає, як заклад гарантує якість дошкільної освіти: "
        "цілі, орієнтири та процедури, що їх втілюють.",
        "Рішення ухвалюються колегіально на підставі даних самооцінювання; результати "
        "оприлюднюються на вебсайті закладу.",
        [
            (
                "Розроблення та обговорення проєкту Положення про внутрішню систему",
                "working_group",
                "",
                "раз на 3 роки, у травні",
                "проєкт Положення",
            ),
            (
                "Схвалення Положення педагогічною радою",
                "council",
                "",
                "серпень",
                "протокол педагогічної ради",
            ),
            (
                "Затвердження Положення наказом керівника",
                "director",
                "Олена Петрівна Коваленко",
                "серпень",
                "наказ",
            ),
        ],
    ),
    StatutoryComponent.INTEGRITY: (
        "Академічна доброчесність педагогічних працівників: власні методичні розробки, "
        "посилання на джерела, об'єктивне оцінювання.",
        "Кодекс академічної доброчесності закладу; нульова толерантність до плагіату.",
        [
            (
                "Ознайомлення нових працівників з кодексом академічної доброчесності",
                "methodologist",
                "",
                "під час прийняття на роботу",
                "аркуш ознайомлення",
            ),
        ],
    ),
    StatutoryComponent.TEACHER_ASSESSMENT: (
        "Оцінювання педагогічної діяльності спрямоване на безперервний професійний розвиток.",
        "Критерії оприлюднено; оцінювання ґрунтується на професійному стандарті.",
        [
            (
                "Спостереження за організацією освітнього процесу в групах",
                "methodologist",
                "",
                "щокварталу",
                "карта спостереження",
            ),
            (
                "Самоаналіз педагогічної діяльності",
                "teachers",
                "",
                "щороку у травні",
                "анкета самоаналізу",
            ),
        ],
    ),
    StatutoryComponent.INCLUSION: (
        "Інклюзивне освітнє середовище для дітей з особливими освітніми потребами.",
        "Індивідуальна програма розвитку для кожної дитини з особливими освітніми потребами.",
        [
            (
                "Засідання команди психолого-педагогічного супроводу",
                "support_team",
                "",
                "щокварталу",
                "протокол засідання",
            ),
        ],
    ),
}

FEATURES = {
    "settlement_type": "city",
    "location": "житловий масив на околиці міста, поруч загальноосвітня школа і парк",
    "staff_features": "Колектив досвідчений: половина педагогів має вищу кваліфікаційну "
    "категорію; двоє молодих вихователів працюють перший рік.",
    "group_count": 8,
    "child_count": 186,
    "teacher_count": 19,
    "other_staff_count": 24,
    "education_language": "українська",
    "operating_mode": "10,5 години, п'ятиденний робочий тиждень; чергова група до 19:00",
}

PLAN_SECTIONS = (
    "Аналіз роботи за минулий навчальний рік",
    "Методична робота з кадрами",
    "Організаційно-педагогічна робота",
    "Взаємодія з родинами вихованців",
    "Адміністративно-господарська діяльність",
    "Літній оздоровчий період",
)


def fill_demo_configuration(actor, institution) -> None:
    """Describe components, add procedures, features, an annual plan and a programme
    (in the institution's scope)."""
    by_key = {component.statutory_key: component for component in services.components()}
    for key, (description, policies, measures) in COMPONENTS.items():
        component = by_key[key]
        services.update_component(
            actor,
            component,
            {"description": description, "policies": policies},
            component.version,
        )
        for action, role, person, timing, document in measures:
            services.add_measure(
                actor,
                component,
                {
                    "action": action,
                    "responsible_role": role,
                    "responsible_person": person,
                    "timing": timing,
                    "document": document,
                },
            )
    features = services.features()
    services.update_features(actor, features, FEATURES, features.version)
    model = services.assessment_model()
    services.update_model(
        actor,
        model,
        {
            "kind": "annual_targeted",
            "description": "Щороку — один напрям за планом; раз на п'ять років — комплексне "
            "самооцінювання перед звітом керівника.",
            "block_system": True,
            "comprehensive_every": 5,
            "plan_start_year": model.plan_start_year,
            "plan_years": 5,
        },
        model.version,
    )
    year = services.current_school_year()
    plan = services.create_annual_plan(
        actor,
        {
            "school_year": year,
            "title": "",
            "approval": "Схвалено педагогічною радою (протокол № 1 від 29.08), "
            "затверджено наказом № 45-о/д",
        },
    )
    for title in PLAN_SECTIONS:
        services.add_section(actor, plan, {"title": title})
    start = services.current_year()
    services.create_programme(
        actor,
        {
            "title": "Програма розвитку закладу «Сонечко — простір можливостей»",
            "start_year": start,
            "end_year": start + 2,
            "goals": "Створити безпечне інклюзивне освітнє середовище; підтримати "
            "професійне зростання педагогів; посилити партнерство з родинами.",
        },
    )
