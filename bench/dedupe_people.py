"""Synthetic residents for bench_dedupe: realistic names and birth dates, and their typo'd re-entries.

Names come from small pools of first and family names (mostly Latin script from West Africa, France,
Iberia and the Maghreb in transliteration; about 8 % in Arabic script), so namesakes happen as they do
in a real population. Birth dates are uniform over 80 years (1945-2024: 29,220 days), so at 100,000
people a birth date holds about 3.4 of them, the size of a real blocking key's bucket.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from typing import Any

from sync_server.processing.dedupe import normalise_name

FEMALE = (
    "Amina", "Fatou", "Mariam", "Aïcha", "Awa", "Kadiatou", "Aminata", "Marie", "Sophie", "Camille",
    "Léa", "Chloé", "Inès", "Sarah", "Nadia", "Yasmine", "Ana", "Lucía", "María José", "Joana",
    "Beatriz", "Grace", "Esther", "Ruth", "Blessing", "Thandiwe", "Nomvula", "Élodie", "Salimata", "Hawa",
)  # fmt: skip
MALE = (
    "Mohamed", "Mamadou", "Ibrahima", "Ousmane", "Moussa", "Abdoulaye", "Cheikh", "Jean", "Pierre",
    "Lucas", "Hugo", "Louis", "Théo", "Karim", "Youssef", "Omar", "Hamza", "José", "Carlos", "Juan",
    "Diego", "João", "Pedro", "Emmanuel", "Samuel", "David", "Daniel", "Kwame", "Kofi", "Chinedu",
)  # fmt: skip
FAMILY = (
    "Diallo", "Traoré", "Koné", "Coulibaly", "Camara", "Keïta", "Sow", "Ba", "Ndiaye", "Diop", "Fall",
    "Touré", "Cissé", "Sylla", "Bamba", "Ouédraogo", "Okafor", "Mensah", "Owusu", "Adeyemi", "Mwangi",
    "Dlamini", "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Lefèvre", "García", "Rodríguez", "Martínez", "Fernández", "Silva", "Santos", "Oliveira",
    "Pereira", "Benali", "El Amrani", "Haddad", "Mansour", "Nasser", "O'Neil", "Da Costa", "N'Diaye", "Mbaye",
)  # fmt: skip
FEMALE_AR = ("فاطمة", "عائشة", "مريم", "خديجة", "ليلى")
MALE_AR = ("محمد", "أحمد", "يوسف", "عمر", "حسن")
FAMILY_AR = (
    "العلي",
    "بن سالم",
    "الحسيني",
    "المنصوري",
    "الشامي",
    "حداد",
    "بوعزيز",
    "الزين",
    "القاسمي",
    "العمراني",
)
ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
STREETS = ("Rue de la Paix", "Avenue de l'Indépendance", "Boulevard du Fleuve", "Calle Mayor", "Market Road")
# the demo country's cities (R1P1C1 ...): region, province, city
CITIES = tuple(f"R{r}P{p}C{c}" for r in (1, 2, 3) for p in (1, 2, 3) for c in (1, 2, 3))
FIRST_DAY = dt.date(1945, 1, 1)
DAYS = (dt.date(2024, 12, 31) - FIRST_DAY).days + 1
ARABIC_SHARE = 0.08


def person(rng: random.Random) -> dict[str, Any]:
    """One resident's demographics as a packet's id.json holds them (demo ID schema field ids)."""
    female = rng.random() < 0.5
    if rng.random() < ARABIC_SHARE:
        first = rng.choice(FEMALE_AR if female else MALE_AR)
        name = f"{first} {rng.choice(FAMILY_AR)}"
    else:
        pool = FEMALE if female else MALE
        first = rng.choice(pool) if rng.random() > 0.1 else f"{rng.choice(pool)} {rng.choice(pool)}"
        name = f"{first} {rng.choice(FAMILY)}"
    city = rng.choice(CITIES)
    return {
        "fullName": name,
        "dateOfBirth": (FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))).isoformat(),
        "gender": "F" if female else "M",
        "region": city[:2],
        "province": city[:4],
        "city": city,
        "postalCode": f"{10000 + CITIES.index(city) * 10 + rng.randrange(10)}",
        "addressLine": f"{rng.randint(1, 250)} {rng.choice(STREETS)}",
        "phone": f"+99{rng.randrange(10**8):08d}",
    }


def one_letter_changed(name: str, rng: random.Random) -> str:
    """``name`` with one letter replaced by another of the same script (a different letter even after
    accents are stripped, so the normalised names differ)."""
    positions = [i for i, c in enumerate(name) if c.isalpha()]
    while True:
        i = rng.choice(positions)
        old = name[i]
        alphabet = ARABIC_LETTERS if "\u0600" <= old <= "\u06ff" else string.ascii_lowercase
        new = rng.choice(alphabet)
        if normalise_name(new) != normalise_name(old):
            return name[:i] + (new.upper() if old.isupper() else new) + name[i + 1 :]


def day_month_swapped(iso: str) -> str | None:
    """The date with day and month swapped, or None when that is no other real date."""
    date = dt.date.fromisoformat(iso)
    if date.day > 12 or date.day == date.month:
        return None
    return dt.date(date.year, date.day, date.month).isoformat()
