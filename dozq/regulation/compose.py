"""The regulation's text composed from the institution's configuration.

Reads only what exists: the quality system (components with their procedures,
the policy and its orientations, the features, the level scale, the
self-assessment model and its plan, the development programme) and the active
catalog (the annex). Where a piece is not defined yet the text says so with the
marker «(не визначено)», which pages count and list. Nothing here writes.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dozq.catalog import queries as catalog_queries
from dozq.catalog.models import ItemKind, Method
from dozq.catalog.tree import counts_text
from dozq.db import db
from dozq.documents.wording import in_genitive
from dozq.quality_system import services as quality
from dozq.quality_system.models import (
    DIRECTIONS,
    ModelKind,
    QualityComponent,
    StatutoryComponent,
    school_year_label,
)
from dozq.regulation.markup import UNDEFINED, normalise
from dozq.web.filters import KYIV

TITLE_PREFIX = "ПОЛОЖЕННЯ про внутрішню систему забезпечення якості освіти"

#: (key, title) of every section, in the document's order. «own_components» is
#: composed only when the institution has components of its own.
SECTIONS = (
    ("general", "Загальні положення"),
    ("goals", "Мета та цілі внутрішньої системи"),
    ("components", "Компоненти внутрішньої системи"),
    ("policy", "Стратегія (політика) та процедури забезпечення якості освіти"),
    ("integrity", "Система та механізми забезпечення академічної доброчесності"),
    (
        "teacher_assessment",
        "Критерії, правила і процедури оцінювання педагогічної діяльності педагогічних працівників",
    ),
    (
        "management_assessment",
        "Критерії, правила і процедури оцінювання управлінської діяльності керівних працівників",
    ),
    ("resources", "Забезпечення наявності необхідних ресурсів для організації освітнього процесу"),
    (
        "information_systems",
        "Забезпечення наявності інформаційних систем для ефективного управління закладом",
    ),
    (
        "inclusion",
        "Інклюзивне освітнє середовище, універсальний дизайн та розумне пристосування",
    ),
    ("own_components", "Власні компоненти внутрішньої системи"),
    ("self_assessment", "Самооцінювання: періодичність і механізм"),
    ("levels", "Рівні оцінювання, критерії, індикатори та методи збору інформації"),
    ("final", "Прикінцеві положення"),
)
SECTION_TITLES = dict(SECTIONS)
SECTION_ORDER = {key: index for index, (key, _title) in enumerate(SECTIONS)}

LEGAL_BASIS = (
    "Закону України «Про освіту» (стаття 41)",
    "Закону України «Про дошкільну освіту»",
    "Порядку проведення моніторингу якості освіти, затвердженого наказом Міністерства "
    "освіти і науки України від 16.01.2020 № 54",
    "Методичних рекомендацій з питань формування внутрішньої системи забезпечення якості "
    "освіти у закладах дошкільної освіти, затверджених наказом Державної служби якості "
    "освіти України від 30.11.2020 № 01-11/71",
    "статуту закладу",
)

#: What the recommendations say about each statutory component: the section's lead.
COMPONENT_LEADS = {
    StatutoryComponent.POLICY: (
        "Стратегія (політика) забезпечення якості освіти визначається інтересами учасників "
        "освітнього процесу щодо якості освітніх послуг і реалізації інших їхніх прав, а також "
        "засадами державної політики щодо якості освіти."
    ),
    StatutoryComponent.INTEGRITY: (
        "Академічна доброчесність у закладі забезпечується відповідно до статті 42 Закону "
        "України «Про освіту»."
    ),
    StatutoryComponent.TEACHER_ASSESSMENT: (
        "Критерії, правила і процедури оцінювання педагогічної діяльності працівників "
        "застосовуються з метою організації безперервного розвитку педагогічних працівників, "
        "створення умов для вдосконалення ними власних професійних компетентностей. Критерії "
        "оцінювання визначаються з урахуванням відповідних професійних стандартів."
    ),
    StatutoryComponent.MANAGEMENT_ASSESSMENT: (
        "Оцінювання управлінської діяльності керівних працівників ураховує, що така діяльність "
        "спрямована на забезпечення якості освіти в закладі і ґрунтується на неухильному "
        "дотриманні вимог законодавства."
    ),
    StatutoryComponent.RESOURCES: (
        "Забезпечення наявності необхідних ресурсів реалізується через процедури добору "
        "педагогічних кадрів, ініціювання перед засновником питань щодо розвитку "
        "матеріально-технічної, навчально-методичної бази, використання інформаційних "
        "ресурсів тощо."
    ),
    StatutoryComponent.INFORMATION_SYSTEMS: (
        "Наявність інформаційних систем сприяє обґрунтованому прийняттю рішень та оптимізує "
        "управлінські процеси."
    ),
    StatutoryComponent.INCLUSION: (
        "Інклюзивне освітнє середовище, універсальний дизайн та розумне пристосування "
        "забезпечують реалізацію прав усіх дітей раннього та дошкільного віку на освіту, "
        "фізичну, психологічну та соціальну безпеку, комфортні умови праці та розвитку, "
        "виховання і навчання дітей."
    ),
}

KIND_WORDS = {
    ItemKind.DIRECTION: "Напрям",
    ItemKind.REQUIREMENT: "Вимога",
    ItemKind.CRITERION: "Критерій",
    ItemKind.INDICATOR: "Індикатор",
}


@dataclass
class ComposedSection:
    key: str
    title: str
    body: str


@dataclass
class Composition:
    title: str
    sections: list[ComposedSection]
    annex: list[dict] = field(default_factory=list)
    annex_source: str = ""

    def section(self, key: str) -> ComposedSection | None:
        return next((section for section in self.sections if section.key == key), None)


def regulation_title(institution) -> str:
    return f"{TITLE_PREFIX} {in_genitive(institution.full_name)}"


# Small wording helpers.


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _lower_first(text: str) -> str:
    """«Партнерство у …» → «партнерство у …», leaving abbreviations («ЗДО») alone."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _items(texts, lower: bool = True) -> list[str]:
    """List items ending «;» and the last «.», as Ukrainian documents punctuate them."""
    cleaned = [_clean(text).rstrip(" .;,") for text in texts]
    cleaned = [_lower_first(text) if lower else text for text in cleaned if text]
    return [
        f"- {text}{'.' if index == len(cleaned) - 1 else ';'}" for index, text in enumerate(cleaned)
    ]


def _sentence(text: str) -> str:
    text = _clean(text)
    return text if not text or text[-1] in ".!?…" else text + "."


def _lines(text: str | None) -> list[str]:
    return [_clean(line.lstrip("-–—•* ")) for line in (text or "").splitlines() if _clean(line)]


def _join(*parts) -> str:
    """Blocks (strings or lists of item lines) into one markup text."""
    out: list[str] = []
    for part in parts:
        if not part:
            continue
        if isinstance(part, list):
            out.append("\n".join(part))
        else:
            out.append(part)
    # Lists follow their introducing paragraph; normalise settles the blank lines.
    return normalise("\n\n".join(out).replace(":\n\n- ", ":\n- "))


# Reading the configuration (a fixed number of statements).


@dataclass
class Configuration:
    institution: object
    components: list
    policy: object
    orientations: list
    features: object
    scale: object
    model: object
    plan: set
    programmes: list
    catalog: object
    tree: list


def read_configuration(institution) -> Configuration:
    components = db.session.scalars(
        select(QualityComponent)
        .options(selectinload(QualityComponent.measures))
        .order_by(QualityComponent.position, QualityComponent.id)
    ).all()
    catalog = catalog_queries.active_catalog()
    return Configuration(
        institution=institution,
        components=list(components),
        policy=quality.policy(),
        orientations=list(quality.orientations()),
        features=quality.features(),
        scale=quality.current_scale(),
        model=quality.assessment_model(),
        plan=quality.plan_cells(),
        programmes=list(quality.programmes()),
        catalog=catalog,
        tree=catalog_queries.catalog_tree(catalog.id) if catalog is not None else [],
    )


# The sections.


def _general(config: Configuration) -> str:
    institution = config.institution
    features = config.features
    location_parts = []
    if features is not None and features.settlement_type is not None:
        location_parts.append(features.settlement_type.label)
    if features is not None and features.location:
        location_parts.append(_clean(features.location))
    location = ", ".join(location_parts) or UNDEFINED
    staff = _clean(features.staff_features) if features is not None else ""
    counts = []
    if features is not None:
        for value, words in (
            (features.group_count, "груп"),
            (features.child_count, "дітей"),
            (features.teacher_count, "педагогічних працівників"),
            (features.other_staff_count, "інших працівників"),
        ):
            if value is not None:
                counts.append(f"{words} – {value}")
        if features.education_language:
            counts.append(f"мова освітнього процесу – {_clean(features.education_language)}")
        if features.operating_mode:
            counts.append(f"режим роботи – {_clean(features.operating_mode).rstrip('.')}")
    return _join(
        f"Положення про внутрішню систему забезпечення якості освіти "
        f"{in_genitive(institution.full_name)} (далі – Положення, заклад) визначає цілі та "
        "компоненти внутрішньої системи забезпечення якості освіти (далі – внутрішня система), "
        "стратегію (політику) і процедури забезпечення якості освіти, періодичність і механізм "
        "самооцінювання освітніх і управлінських процесів закладу.",
        "Положення розроблено відповідно до:",
        _items(LEGAL_BASIS, lower=False),
        "Внутрішня система – сукупність умов, процедур та заходів у закладі, що забезпечують "
        "ефективність освітніх і управлінських процесів, які безпосередньо впливають на якість "
        "освітнього процесу, формування ключових компетентностей дітей раннього та дошкільного "
        "віку, сприяють всебічному розвитку особистості.",
        f"Внутрішню систему сформовано з урахуванням типу закладу ({institution.kind.label}), "
        f"його місцезнаходження ({location}), особливостей педагогічного колективу "
        f"({_lower_first(staff.rstrip('.')) if staff else UNDEFINED}) та інших особливостей "
        "діяльності закладу.",
        f"Основні відомості про заклад: {'; '.join(counts)}." if counts else "",
        "До формування та функціонування внутрішньої системи залучаються керівник закладу, "
        "вихователь-методист, педагогічна рада, тимчасові структури (творчі групи, групи "
        "моніторингу), інші працівники закладу, батьки (законні представники) дітей.",
    )


def _current_programme(config: Configuration, today: date):
    return next((p for p in config.programmes if p.start_year <= today.year <= p.end_year), None)


def _goals(config: Configuration, today: date) -> str:
    goal = _sentence(config.policy.goal) if config.policy is not None else ""
    programme = _current_programme(config, today)
    programme_text = ""
    if programme is not None:
        programme_text = (
            f"Цілі внутрішньої системи узгоджено з програмою розвитку закладу "
            f"«{_clean(programme.title)}» на {programme.period_label} роки."
        )
        if programme.goals:
            programme_text += f" Мета програми: {_lower_first(_sentence(programme.goals))}"
    return _join(
        f"Основна мета внутрішньої системи – {_lower_first(goal) if goal else UNDEFINED}",
        "Цілями внутрішньої системи є:",
        _items(
            [
                "забезпечення ефективності освітніх і управлінських процесів, які безпосередньо "
                "впливають на якість освітнього процесу",
                "формування ключових компетентностей дітей раннього та дошкільного віку, "
                "сприяння всебічному розвитку особистості дитини",
                "постійне вдосконалення освітніх і управлінських процесів на основі результатів "
                "самооцінювання, визначення точок зростання закладу",
                "прийняття управлінських рішень на підставі фактичних даних",
                "забезпечення прозорості та інформаційної відкритості діяльності закладу, "
                "формування довіри суспільства до закладу",
            ]
        ),
        programme_text,
    )


def _components(config: Configuration) -> str:
    statutory = [c for c in config.components if c.is_statutory]
    own = [c for c in config.components if not c.is_statutory]
    return _join(
        "Відповідно до частини третьої статті 41 Закону України «Про освіту» внутрішня система "
        "закладу містить такі компоненти:",
        _items([c.title for c in statutory]) if statutory else UNDEFINED,
        "Крім визначених законом, заклад визначив власні компоненти внутрішньої системи:"
        if own
        else "",
        _items([c.title for c in own]) if own else [],
        "Компоненти внутрішньої системи формуються з урахуванням визначених закладом політик, "
        "за допомогою заходів або окремих дій, що здійснюються у визначеному порядку. Зміст "
        "кожного компонента та процедури його забезпечення визначено в наступних розділах "
        "Положення.",
    )


def _measure_line(measure) -> str:
    details = []
    if measure.responsible:
        details.append(f"відповідальні: {measure.responsible}")
    if measure.timing:
        details.append(f"термін: {_clean(measure.timing)}")
    if measure.document:
        details.append(f"документ: {_clean(measure.document)}")
    text = _clean(measure.action).rstrip(" .;,")
    return f"{text} ({'; '.join(details)})" if details else text


def _component_body(component, lead: str = "") -> list:
    """The parts of a component's text: lead, description, policies, procedure."""
    if component is None:
        return [lead, f"Зміст компонента в закладі {UNDEFINED}."]
    policies = _lines(component.policies)
    measures = list(component.measures)
    description = _clean(component.description)
    return [
        lead,
        _sentence(description) if description else f"Опис компонента в закладі {UNDEFINED}.",
        "Компонент формується з урахуванням таких політик закладу:" if policies else "",
        _items(policies) if policies else f"Політики компонента {UNDEFINED}.",
        "Процедура забезпечення компонента передбачає такі заходи:" if measures else "",
        _items([_measure_line(m) for m in measures])
        if measures
        else f"Заходи процедури {UNDEFINED}.",
    ]


def _statutory(config: Configuration, key: StatutoryComponent):
    return next((c for c in config.components if c.statutory_key == key), None)


def _policy(config: Configuration) -> str:
    goal = _sentence(config.policy.goal) if config.policy is not None else ""
    orientations = [o.text for o in config.orientations]
    component = _statutory(config, StatutoryComponent.POLICY)
    return _join(
        COMPONENT_LEADS[StatutoryComponent.POLICY],
        f"Основна мета стратегії (політики) – {_lower_first(goal) if goal else UNDEFINED}",
        "Стратегія (політика) забезпечення якості освіти закладу орієнтована на:"
        if orientations
        else f"Орієнтири стратегії (політики) {UNDEFINED}.",
        _items(orientations) if orientations else [],
        "Заклад ознайомлює всіх учасників освітнього процесу зі стратегією (політикою) "
        "забезпечення якості освіти та процедурами її втілення.",
        *_component_body(component)[1:],
    )


def _component_section(config: Configuration, key: StatutoryComponent) -> str:
    return _join(*_component_body(_statutory(config, key), COMPONENT_LEADS[key]))


def _own_components(config: Configuration) -> str | None:
    own = [c for c in config.components if not c.is_statutory]
    if not own:
        return None
    parts: list = []
    for component in own:
        parts.append(f"Компонент «{_clean(component.title)}».")
        parts += _component_body(component)
    return _join(*parts)


def _years(count: int) -> str:
    if count % 10 == 1 and count % 100 != 11:
        return "рік"
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return "роки"
    return "років"


def _self_assessment(config: Configuration) -> str:
    model = config.model
    institution = config.institution
    if model is None:
        model_parts = [f"Модель самооцінювання {UNDEFINED}."]
    else:
        model_parts = [f"Самооцінювання здійснюється за моделлю: {_lower_first(model.kind.label)}."]
        if model.description:
            model_parts.append(_sentence(model.description))
        elif model.kind == ModelKind.OWN:
            model_parts.append(f"Опис власної моделі самооцінювання {UNDEFINED}.")
        if model.block_system:
            model_parts.append(
                "Щорічне самооцінювання здійснюється за блоковою системою аналізування з "
                "використанням розділів плану роботи закладу на навчальний рік та літній період."
            )
        if model.kind != ModelKind.OWN:
            every = model.comprehensive_every
            model_parts.append(
                f"Комплексне самооцінювання освітніх і управлінських процесів проводиться один "
                f"раз на {every} {_years(every)}, зокрема перед розробленням програми розвитку "
                "закладу."
            )
    plan_items = []
    if model is not None:
        for year in model.plan_school_years:
            directions = sorted(d for (y, d) in config.plan if y == year)
            if directions:
                words = "напрям" if len(directions) == 1 else "напрями"
                names = ", ".join(str(d) for d in directions)
                plan_items.append(f"{school_year_label(year)} навчальний рік – {words} {names}")
            else:
                plan_items.append(f"{school_year_label(year)} навчальний рік – без самооцінювання")
    plan_parts = (
        [
            "Періодичність самооцінювання за напрямами визначено планом самооцінювання:",
            _items(plan_items, lower=False),
            "Напрями: " + "; ".join(f"{n} – {title}" for n, title in DIRECTIONS.items()) + ".",
        ]
        if plan_items and config.plan
        else [f"План самооцінювання за напрямами {UNDEFINED}."]
    )
    director = _clean(institution.director_name)
    website = _clean(institution.website)
    return _join(
        "Самооцінювання освітніх і управлінських процесів здійснюється з метою аналізу стану "
        "сформованості й функціонування внутрішньої системи, визначення точок зростання та "
        "вдосконалення освітніх і управлінських процесів закладу.",
        *model_parts,
        *plan_parts,
        "Відповідальним за проведення самооцінювання є керівник закладу"
        + (f" ({director})" if director else "")
        + ". Для вивчення та оцінювання за напрямами наказом керівника створюється робоча група "
        "(група моніторингу).",
        "Механізм самооцінювання передбачає:",
        _items(
            [
                "збір та аналіз інформації, отриманої під час спостереження, опитування та "
                "вивчення документації",
                "узагальнення результатів самооцінювання за індикаторами, критеріями, вимогами "
                "та напрямами",
                "визначення рівнів за вимогами (правилами) та напрямами",
                "обговорення результатів на засіданні педагогічної ради та з представниками "
                "батьківської громади",
                "оприлюднення результатів на вебсайті закладу"
                + (f" ({website})" if website else "")
                + " та включення їх до щорічного звіту керівника закладу",
                "прийняття управлінських рішень для вдосконалення освітніх і управлінських "
                "процесів та внутрішньої системи",
            ]
        ),
        "Інформацією, яка підлягає аналізу, є також результати внутрішніх моніторингів, що "
        "проводяться відповідно до Порядку проведення моніторингу якості освіти, затвердженого "
        "наказом Міністерства освіти і науки України від 16.01.2020 № 54. Для кожного "
        "моніторингу розробляється програма, а його результати оприлюднюються на вебсайті "
        "закладу.",
    )


def _score(value) -> str:
    return quality.format_score(value)


def _levels(config: Configuration) -> str:
    scale = config.scale
    if scale is None or not scale.levels:
        scale_parts = [f"Рівні оцінювання {UNDEFINED}."]
    else:
        scale_parts = [
            f"Заклад застосовує такі рівні оцінювання (шкала «{_clean(scale.title)}», від "
            f"{_score(scale.min_score)} до {_score(scale.max_score)} балів):",
            _items(
                [
                    f"{level.name} – від {_score(level.min_score)} балів"
                    + (
                        f": {_lower_first(_clean(level.description)).rstrip('.')}"
                        if level.description
                        else ""
                    )
                    for level in scale.levels
                ],
                lower=False,
            ),
            "Бали індикаторів усереднюються до критеріїв, вимог і напрямів (середнє "
            "арифметичне); рівень визначається за нижньою межею балів рівня.",
        ]
    if config.catalog is not None and config.tree:
        counts = dict.fromkeys(ItemKind, 0)
        for row in catalog_queries.flatten(config.tree):
            if row.active:
                counts[row.kind] += 1
        catalog_text = (
            "Критерії та індикатори, за якими здійснюється самооцінювання, і методи збору "
            "інформації для кожного індикатора наведено в додатку до Положення (каталог "
            f"«{_clean(config.catalog.name)}»: {counts_text(counts)})."
        )
    else:
        catalog_text = f"Критерії та індикатори самооцінювання {UNDEFINED}."
    return _join(
        "Рівень якості освітньої та управлінської діяльності визначається за вимогами "
        "(правилами) та напрямами. Для оцінювання виконання вимог слугують критерії (підстави "
        "для оцінювання), індикатори (показники, що відображають стан об'єктів спостереження, "
        "їх якісні або кількісні характеристики) та методи збору інформації.",
        *scale_parts,
        catalog_text,
        "Для збору інформації використовуються такі методи:",
        _items(
            [
                "опитування учасників освітнього процесу (анкетування, індивідуальне інтерв'ю, "
                "фокус-групове дослідження)",
                "спостереження (за станом освітнього середовища, проведенням спеціально "
                "організованих форм освітнього процесу, самостійною діяльністю дітей)",
                "вивчення документації закладу",
            ]
        ),
        "Вибір методу має забезпечити отримання релевантної інформації для всебічного вивчення "
        "та об'єктивного самооцінювання освітніх і управлінських процесів закладу.",
    )


def _final(config: Configuration) -> str:
    website = _clean(config.institution.website)
    return _join(
        "Положення схвалюється педагогічною радою закладу та затверджується наказом керівника "
        "закладу.",
        "Зміни та доповнення до Положення вносяться в тому самому порядку за результатами "
        "самооцінювання, у разі змін законодавства або за пропозиціями учасників освітнього "
        "процесу.",
        "Затверджене Положення оприлюднюється на вебсайті закладу"
        + (f" ({website})" if website else "")
        + " (у разі його відсутності – на вебсайті засновника).",
        "З Положенням ознайомлюються під підпис усі педагогічні працівники закладу; батьки "
        "(законні представники) дітей ознайомлюються з ним через вебсайт закладу та "
        "оголошення.",
        "Положення набирає чинності з дня його затвердження і діє до затвердження нової редакції.",
    )


def _annex(config: Configuration) -> tuple[list[dict], str]:
    if config.catalog is None:
        return [], ""
    labels = {method.value: method.label for method in Method}
    rows = []
    for row in catalog_queries.flatten(config.tree):
        if not row.active:
            continue
        rows.append(
            {
                "kind": row.kind.value,
                "code": row.code,
                "text": _clean(row.text),
                "methods": "; ".join(labels.get(code, code) for code in row.methods or []),
            }
        )
    return rows, f"каталог «{_clean(config.catalog.name)}»"


def compose(institution, today: date | None = None) -> Composition:
    """The whole regulation as the configuration defines it now."""
    today = today or kyiv_today()
    config = read_configuration(institution)
    bodies = {
        "general": _general(config),
        "goals": _goals(config, today),
        "components": _components(config),
        "policy": _policy(config),
        "integrity": _component_section(config, StatutoryComponent.INTEGRITY),
        "teacher_assessment": _component_section(config, StatutoryComponent.TEACHER_ASSESSMENT),
        "management_assessment": _component_section(
            config, StatutoryComponent.MANAGEMENT_ASSESSMENT
        ),
        "resources": _component_section(config, StatutoryComponent.RESOURCES),
        "information_systems": _component_section(config, StatutoryComponent.INFORMATION_SYSTEMS),
        "inclusion": _component_section(config, StatutoryComponent.INCLUSION),
        "own_components": _own_components(config),
        "self_assessment": _self_assessment(config),
        "levels": _levels(config),
        "final": _final(config),
    }
    sections = [
        ComposedSection(key, title, bodies[key])
        for key, title in SECTIONS
        if bodies.get(key) is not None
    ]
    annex, source = _annex(config)
    return Composition(regulation_title(institution), sections, annex, source)


def kyiv_today() -> date:
    return datetime.now(KYIV).date()


def annex_lines(annex: list[dict]) -> list[str]:
    """The annex as lines, for comparing versions."""
    return [
        f"{KIND_WORDS[ItemKind(row['kind'])]} {row['code']}. {row['text']}"
        + (f" (методи: {row['methods']})" if row.get("methods") else "")
        for row in annex
    ]


def annex_label(row: dict) -> str:
    return f"{KIND_WORDS[ItemKind(row['kind'])]} {row['code']}"
