"""Deterministic synthetic holders for demos, tests and benchmarks. Never real people.

Names reflect who lives in Flanders today (Flemish, Moroccan-, Turkish-, Italian-, Polish-,
Congolese-, Vietnamese-Belgian…), including the diacritics a card printer must render. The same
seed always gives the same holders, card numbers and INSZ numbers.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from passengine.domain.identifiers import generate_card_number, make_insz
from passengine.services.holder_import import HolderRow

FIRST_NAMES = (
    "Jan",
    "Marie",
    "Lotte",
    "Wout",
    "Lucas",
    "Emma",
    "Noah",
    "Louise",
    "Arthur",
    "Olivia",
    "Jules",
    "Mila",
    "Lars",
    "Fien",
    "Ruben",
    "Hanne",
    "Pieter",
    "An",
    "Koen",
    "Els",
    "Mohamed",
    "Fatima",
    "Yassine",
    "Salma",
    "Imane",
    "Hamza",
    "Aya",
    "Bilal",
    "Mehmet",
    "Elif",
    "Zeynep",
    "Emre",
    "Ayşe",
    "Gökhan",
    "Giuseppe",
    "Giulia",
    "Marco",
    "Francesca",
    "Salvatore",
    "Piotr",
    "Agnieszka",
    "Kasia",
    "Tomasz",
    "Małgorzata",
    "Jean-Pierre",
    "Noëlle",
    "Chloé",
    "Thérèse",
    "Benoît",
    "François",
    "Ngọc",
    "Minh",
    "Thảo",
    "Tuấn",
    "Kabongo",
    "Mbuyi",
    "Grâce",
    "Mukendi",
    "Øyvind",
    "Dragan",
    "Ivana",
    "Ana-Maria",
    "Siobhán",
)
LAST_NAMES = (
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Vermeulen",
    "Van den Broeck",
    "Hermans",
    "Lambrechts",
    "Van Damme",
    "Aerts",
    "Smets",
    "Vandenberghe",
    "Verstraete",
    "Dewitte",
    "Van de Velde",
    "El Amrani",
    "Benali",
    "Bouzid",
    "El Idrissi",
    "Ouahabi",
    "Yılmaz",
    "Çelik",
    "Özdemir",
    "Kaya",
    "Şahin",
    "Russo",
    "Esposito",
    "Romano",
    "Bianchi",
    "Kowalczyk",
    "Nowak",
    "Wiśniewski",
    "Lewandowski",
    "Nguyễn",
    "Trần",
    "Lê",
    "Kabasele",
    "Tshibangu",
    "Mbala",
    "Ilunga",
    "Šimić",
    "Horvat",
    "Popescu",
    "Van Der Straeten-Vandenbussche",
)
FALLBACK_STREETS = ("Kerkstraat", "Stationsstraat", "Dorpsstraat", "Molenstraat", "Schoolstraat")
# INSZ day serials: hand-written demo holders use 1–399, the demo regions' synthetic holders
# 400–599 and generated benchmark files 600–997, so a benchmark file always loads on top of the
# demo regions without clashing with a person already there.
FIXTURE_SERIALS = (400, 599)
BULK_SERIALS = (600, 997)


@dataclass(frozen=True, slots=True)
class Place:
    postal_code: str
    sub_municipality: str | None
    streets: Sequence[str]


def generate_holders(
    *,
    region_id: int,
    places: Sequence[Place],
    count: int,
    seed: int,
    today: date,
    target_group: str = "KANSENSTATUUT",
    with_status_share: float = 0.4,
    first_line: int = 1,
    taken_cards: set[str] | None = None,
    is_taken_insz: Callable[[str], bool] = lambda _insz: False,
    serials: tuple[int, int] = BULK_SERIALS,
) -> Iterator[HolderRow]:
    """Yield ``count`` holders. About ``with_status_share`` of them hold a status: most valid
    until 30 April next year, some in their grace period, some expired."""
    rng = random.Random(seed)
    cards = taken_cards if taken_cards is not None else set()
    insz_numbers: set[str] = set()
    renewal = date(today.year + 1, 4, 30)
    for index in range(count):
        place = places[rng.randrange(len(places))]
        age_days = rng.randint(3 * 365, 90 * 365)
        birth = today - timedelta(days=age_days)
        insz = make_insz(birth, rng.randint(*serials))
        while insz in insz_numbers or is_taken_insz(insz):
            insz = make_insz(birth, rng.randint(*serials))
        insz_numbers.add(insz)
        card = generate_card_number(rng)
        while card in cards:
            card = generate_card_number(rng)
        cards.add(card)
        status_roll = rng.random()
        end_date: date | None = None
        if status_roll < with_status_share:
            phase = rng.random()
            if phase < 0.8:
                end_date = renewal
            elif phase < 0.9:
                end_date = today - timedelta(days=rng.randint(1, 25))  # in the grace period
            else:
                end_date = today - timedelta(days=rng.randint(40, 400))  # expired
        streets = place.streets or FALLBACK_STREETS
        first = rng.choice(FIRST_NAMES)
        yield HolderRow(
            line=first_line + index,
            region_id=region_id,
            uitpas_number=card,
            name=rng.choice(LAST_NAMES),
            first_name=first,
            birth_date=birth,
            insz=insz,
            street=f"{rng.choice(streets)} {rng.randint(1, 180)}",
            postal_code=place.postal_code,
            sub_municipality=place.sub_municipality,
            email=f"{_ascii(first)}.{index}@example.org" if rng.random() < 0.5 else None,
            target_group=target_group if end_date else None,
            status_end_date=end_date,
            points=rng.choice((0, 0, 0, 1, 2, 3, 5, 8, 12, 20)),
        )


def generate_card_stock(*, count: int, seed: int, taken: set[str] | None = None) -> list[str]:
    rng = random.Random(seed)
    seen = taken if taken is not None else set()
    numbers: list[str] = []
    while len(numbers) < count:
        number = generate_card_number(rng)
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    return numbers


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower() or "holder"
