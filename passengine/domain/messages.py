"""What a desk can tell a holder per outcome code: Dutch, then French, English and German.

Messages speak about the holder's own situation (end dates, limits) and never about why a status
was granted. Parameters arrive as plain values and are formatted here (dates dd/mm/yyyy, euro).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from passengine.domain.money import format_euro

ParamValue = str | int | date | None

# code → language → template. Placeholders name the outcome's params; ``{price}``-like params
# ending in ``_cents`` are formatted as euro, dates as dd/mm/yyyy.
TEMPLATES: dict[str, dict[str, str]] = {
    "social-tariff-available": {
        "nl": "Kansentarief: {price_cents}.",
        "fr": "Tarif social : {price_cents}.",
        "en": "Reduced rate: {price_cents}.",
        "de": "Sozialtarif: {price_cents}.",
    },
    "social-tariff-in-grace-period": {
        "nl": "Je kansentarief liep af op {end_date}. Je krijgt het nog tot {grace_until}: "
        "vraag tijdig een verlenging aan.",
        "fr": "Ton tarif social a expiré le {end_date}. Tu en bénéficies encore jusqu'au "
        "{grace_until} : demande une prolongation à temps.",
        "en": "Your reduced rate ended on {end_date}. You keep it until {grace_until}: "
        "ask for a renewal in time.",
    },
    "social-tariff-expired": {
        "nl": "Je kansentarief is verlopen op {end_date}. Contacteer je UiTPAS-balie.",
        "fr": "Ton tarif social a expiré le {end_date}. Contacte ton point UiTPAS.",
        "en": "Your reduced rate expired on {end_date}. Contact your UiTPAS desk.",
        "de": "Ihr Sozialtarif ist am {end_date} abgelaufen. "
        "Wenden Sie sich an Ihre UiTPAS-Stelle.",
    },
    "social-tariff-suspended": {
        "nl": "Je kansentarief is opgeschort tot {suspended_until}.",
        "fr": "Ton tarif social est suspendu jusqu'au {suspended_until}.",
        "en": "Your reduced rate is suspended until {suspended_until}.",
    },
    "social-tariff-not-yet-active": {
        "nl": "Je kansentarief gaat pas in op {start_date}.",
        "fr": "Ton tarif social ne commence que le {start_date}.",
        "en": "Your reduced rate starts on {start_date}.",
    },
    "not-in-target-group": {
        "nl": "Voor deze pas geldt geen kansentarief.",
        "fr": "Ce pass ne donne pas droit au tarif social.",
        "en": "This pass has no reduced rate.",
    },
    "other-region": {
        "nl": "Het kansentarief geldt alleen in je eigen UiTPAS-regio.",
        "fr": "Le tarif social n'est valable que dans ta propre région UiTPAS.",
        "en": "The reduced rate is valid only in your own UiTPAS region.",
    },
    "event-not-in-region": {
        "nl": "Deze activiteit valt niet onder deze UiTPAS-regio.",
        "fr": "Cette activité ne fait pas partie de cette région UiTPAS.",
        "en": "This activity is not part of this UiTPAS region.",
    },
    "maximum-reached": {
        "nl": "Je kocht al {used} ticket(s) aan kansentarief {scope_nl} {period_nl}; "
        "het maximum is {volume}.",
        "fr": "Tu as déjà acheté {used} billet(s) au tarif social {scope_fr} {period_fr} ; "
        "le maximum est {volume}.",
        "en": "You already bought {used} ticket(s) at the reduced rate {scope_en} {period_en}; "
        "the maximum is {volume}.",
    },
    "price-above-maximum": {
        "nl": "Geen kansentarief voor tickets duurder dan {maximum_cents}.",
        "fr": "Pas de tarif social pour les billets de plus de {maximum_cents}.",
        "en": "No reduced rate for tickets above {maximum_cents}.",
    },
    "no-discount": {
        "nl": "Het kansentarief is niet lager dan de gewone prijs.",
        "fr": "Le tarif social n'est pas inférieur au prix normal.",
        "en": "The reduced rate is not lower than the regular price.",
    },
    "domain-not-covered": {
        "nl": "Voor dit soort activiteit geldt geen kansentarief.",
        "fr": "Pas de tarif social pour ce type d'activité.",
        "en": "No reduced rate for this kind of activity.",
    },
    "organizer-not-covered": {
        "nl": "Deze organisator biedt geen kansentarief aan.",
        "fr": "Cet organisateur ne propose pas de tarif social.",
        "en": "This organizer offers no reduced rate.",
    },
    "event-not-covered": {
        "nl": "Voor deze activiteit geldt geen kansentarief.",
        "fr": "Pas de tarif social pour cette activité.",
        "en": "No reduced rate for this activity.",
    },
    "age-not-covered": {
        "nl": "Dit kansentarief geldt voor wie {min_age_text}{max_age_text} is.",
        "fr": "Ce tarif social vaut pour les personnes {min_age_text_fr}{max_age_text_fr}.",
        "en": "This reduced rate is for people aged {min_age_text_en}{max_age_text_en}.",
    },
    "residence-not-covered": {
        "nl": "Dit kansentarief geldt alleen voor inwoners van {residence_nl}.",
        "fr": "Ce tarif social est réservé aux habitants {residence_fr}.",
        "en": "This reduced rate is only for residents of {residence_en}.",
    },
    "holder-cap-reached": {
        "nl": "Je betaalde dit jaar al {used_cents} aan kansentarief; het maximum is {cap_cents}.",
        "fr": "Tu as déjà payé {used_cents} au tarif social cette année ; "
        "le maximum est {cap_cents}.",
        "en": "You already paid {used_cents} at the reduced rate this year; "
        "the cap is {cap_cents}.",
    },
    "reimbursement-cap-reached": {
        "nl": "De tegemoetkoming voor {kind} is dit jaar op: {cap_cents} per persoon.",
        "fr": "L'intervention pour {kind} est épuisée cette année : {cap_cents} par personne.",
        "en": "The yearly contribution for {kind} is used up: {cap_cents} per person.",
    },
    "reimbursement-cap-partial": {
        "nl": "Nog {left_cents} tegemoetkoming voor {kind} dit jaar; je betaalt {price_cents}.",
        "fr": "Il reste {left_cents} d'intervention pour {kind} cette année ; "
        "tu paies {price_cents}.",
        "en": "Only {left_cents} of the yearly contribution for {kind} is left; "
        "you pay {price_cents}.",
    },
    "budget-exhausted": {
        "nl": "Het budget voor het kansentarief van je gemeente is voor dit jaar op.",
        "fr": "Le budget du tarif social de ta commune est épuisé pour cette année.",
        "en": "Your municipality's reduced-rate budget for this year is used up.",
    },
    "budget-exhausted-warning": {
        "nl": "Let op: het budget van de gemeente voor het kansentarief is overschreden.",
        "fr": "Attention : le budget communal du tarif social est dépassé.",
        "en": "Note: the municipality's reduced-rate budget is exceeded.",
    },
    "card-blocked": {
        "nl": "Deze kaart is geblokkeerd. Vraag aan de UiTPAS-balie een nieuwe kaart.",
        "fr": "Cette carte est bloquée. Demande une nouvelle carte au point UiTPAS.",
        "en": "This card is blocked. Ask the UiTPAS desk for a new card.",
    },
    "passholder-blocked": {
        "nl": "Dit lidmaatschap is geblokkeerd. Contacteer je UiTPAS-balie.",
        "fr": "Cette affiliation est bloquée. Contacte ton point UiTPAS.",
        "en": "This membership is blocked. Contact your UiTPAS desk.",
    },
    "group-pass-not-covered": {
        "nl": "Dit kansentarief geldt niet voor groepspassen.",
        "fr": "Ce tarif social ne vaut pas pour les pass de groupe.",
        "en": "This reduced rate does not apply to group passes.",
    },
    "superseded": {
        "nl": "Een ander kansentarief gaat voor.",
        "fr": "Un autre tarif social a la priorité.",
        "en": "Another reduced rate takes precedence.",
    },
    "checkin-allowed": {
        "nl": "Inchecken kan: {points} punt(en).",
        "fr": "Enregistrement possible : {points} point(s).",
        "en": "Check-in possible: {points} point(s).",
    },
    "checkin-not-open-yet": {
        "nl": "Inchecken kan vanaf {opens_at}.",
        "fr": "L'enregistrement est possible à partir de {opens_at}.",
        "en": "Check-in opens at {opens_at}.",
    },
    "checkin-closed": {
        "nl": "Inchecken kon tot {closed_at}.",
        "fr": "L'enregistrement était possible jusqu'à {closed_at}.",
        "en": "Check-in closed at {closed_at}.",
    },
    "checkin-maximum-reached": {
        "nl": "Je checkte al in {period_nl}.",
        "fr": "Tu t'es déjà enregistré(e) {period_fr}.",
        "en": "You already checked in {period_en}.",
    },
    "group-pass-no-checkin": {
        "nl": "Met een groepspas kan je niet inchecken of punten sparen.",
        "fr": "Un pass de groupe ne permet pas de s'enregistrer ni d'épargner des points.",
        "en": "A group pass cannot check in or collect points.",
    },
}

PERIOD_WORDS = {
    "ABSOLUTE": ("voor deze activiteit", "pour cette activité", "for this activity"),
    "DAY": ("vandaag", "aujourd'hui", "today"),
    "WEEK": ("deze week", "cette semaine", "this week"),
    "MONTH": ("deze maand", "ce mois-ci", "this month"),
    "QUARTER": ("dit kwartaal", "ce trimestre", "this quarter"),
    "YEAR": ("dit jaar", "cette année", "this year"),
}
SCOPE_WORDS = {
    "event": ("", "", ""),
    "organizer": ("bij deze organisator", "chez cet organisateur", "with this organizer"),
    "group-pass": ("met deze groepspas", "avec ce pass de groupe", "with this group pass"),
}


def _format(value: ParamValue, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if name.endswith("_cents") and isinstance(value, int):
        return format_euro(value)
    return str(value)


def _derived(params: Mapping[str, ParamValue]) -> dict[str, str]:
    extra: dict[str, str] = {}
    period = params.get("period")
    if isinstance(period, str) and period in PERIOD_WORDS:
        extra["period_nl"], extra["period_fr"], extra["period_en"] = PERIOD_WORDS[period]
    scope = params.get("scope")
    if isinstance(scope, str) and scope in SCOPE_WORDS:
        extra["scope_nl"], extra["scope_fr"], extra["scope_en"] = SCOPE_WORDS[scope]
    low, high = params.get("min_age"), params.get("max_age")
    extra["min_age_text"] = f"minstens {low} jaar" if low is not None else ""
    extra["max_age_text"] = (" en " if low is not None else "") + (
        f"hoogstens {high} jaar" if high is not None else ""
    )
    extra["min_age_text_fr"] = f"d'au moins {low} ans" if low is not None else ""
    extra["max_age_text_fr"] = (" et " if low is not None else "") + (
        f"d'au plus {high} ans" if high is not None else ""
    )
    extra["min_age_text_en"] = f"{low} or over" if low is not None else ""
    extra["max_age_text_en"] = (" and " if low is not None else "") + (
        f"{high} or under" if high is not None else ""
    )
    if not high:
        extra["max_age_text"] = extra["max_age_text_fr"] = extra["max_age_text_en"] = ""
    residence = params.get("residence")
    if residence == "ORGANIZER_MUNICIPALITY":
        extra.update(
            residence_nl="de gemeente van de organisator",
            residence_fr="de la commune de l'organisateur",
            residence_en="the organizer's municipality",
        )
    elif residence == "OTHER_MUNICIPALITY":
        extra.update(
            residence_nl="andere gemeenten dan die van de organisator",
            residence_fr="d'autres communes que celle de l'organisateur",
            residence_en="other municipalities than the organizer's",
        )
    return extra


def render(code: str, params: Mapping[str, ParamValue]) -> dict[str, str]:
    """The message for ``code`` in every language written; always at least ``nl``."""
    templates = TEMPLATES.get(code)
    if templates is None:
        return {"nl": code}
    values = {name: _format(value, name) for name, value in params.items()}
    values.update(_derived(params))
    rendered = {}
    for language, template in templates.items():
        try:
            rendered[language] = " ".join(template.format(**values).split())
        except KeyError:
            continue  # a template that needs a parameter this outcome lacks is skipped
    return rendered or {"nl": code}
