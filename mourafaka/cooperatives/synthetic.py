"""A synthetic national registry: 60,939 cooperatives and about 764,000 members, for benchmarks
and demos at scale.

The shares by region follow the region table of the Mourafaka presentation (seed 000,
`territory/data/region_statistics.csv`) scaled up to the national totals; provinces are drawn
within their region, sectors from the reference list, names in French and Arabic from paired
spellings (so that the two scripts say the same name). About 34 % of members are women: a share
of cooperatives are women's cooperatives (more often in argan, handicrafts, food products), the
others are mixed. Every date lies on or before `REFERENCE_DATE`, so that the data stays valid
whatever day it is generated.

Everything comes from one `random.Random(seed)` drawn in a fixed order: the same seed gives the
same registry, whether it is written as import files (`write_files`) or straight into the
database (`load`). Cooperatives are generated one at a time with their members, so memory stays
flat whatever the size.

Registration numbers are `RR-YYYY-NNNNN` (region, creation year, serial within the region): they
start with digits and never collide with the demo's `SAF-2022-0088` style. CINs are a prefix of
the region followed by six digits, a permutation of a counter, hence unique.
"""

import csv
import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

NATIONAL_COOPERATIVES = 60_939
NATIONAL_MEMBERS = 764_000
WOMEN_SHARE = 0.34
MIN_MEMBERS = 5
REFERENCE_DATE = dt.date(2025, 6, 30)
YOUTH_AGES = (18, 35)
DEFAULT_SEED = 2025

TERRITORY_DATA = Path(__file__).resolve().parent.parent / "territory" / "data"

COOPERATIVE_COLUMNS = (
    "registration_number",
    "name_fr",
    "name_ar",
    "creation_date",
    "activity_start_date",
    "region_code",
    "province_code",
    "sector",
    "rural",
    "members_total",
    "members_women",
    "members_youth",
    "president_name",
    "phone",
    "email",
    "ice",
    "legal_status_ok",
    "national_programmes",
)
MEMBER_COLUMNS = (
    "registration_number",
    "full_name_fr",
    "full_name_ar",
    "sex",
    "birth_date",
    "cin",
    "role",
    "phone",
    "joined_date",
    "consent",
)

# sector code: (share of cooperatives, chance of a women's cooperative, French and Arabic purpose)
SECTORS = {
    "AGR": (0.55, 0.06, "agricole", "الفلاحية"),
    "ART": (0.17, 0.45, "de l'artisanat", "للصناعة التقليدية"),
    "FOOD": (0.06, 0.55, "des produits du terroir", "للمنتوجات المجالية"),
    "ARG": (0.04, 0.9, "de l'argane", "للأركان"),
    "PAM": (0.03, 0.35, "des plantes aromatiques", "للنباتات العطرية"),
    "HOU": (0.04, 0.02, "d'habitat", "للسكن"),
    "FISH": (0.012, 0.02, "de pêche", "للصيد البحري"),
    "FOR": (0.01, 0.05, "forestière", "الغابوية"),
    "TRA": (0.02, 0.01, "de transport", "للنقل"),
    "TOU": (0.01, 0.2, "touristique", "السياحية"),
    "LAB": (0.01, 0.1, "de main-d'œuvre", "لليد العاملة"),
    "LIT": (0.005, 0.6, "d'alphabétisation", "لمحو الأمية"),
    "WAS": (0.005, 0.1, "de recyclage", "لتدوير النفايات"),
    "COM": (0.005, 0.15, "de communication", "للتواصل"),
    "RET": (0.01, 0.05, "des commerçants", "للتجار"),
    "CON": (0.01, 0.15, "de conseil", "للاستشارة"),
    "QUA": (0.004, 0.01, "des carrières", "للمقالع"),
}
WOMEN_COOPERATIVE_SHARE = 0.97

# Paired spellings: (French, Arabic).
COOPERATIVE_WORDS = (
    ("Al Amal", "الأمل"),
    ("Al Baraka", "البركة"),
    ("Nour", "نور"),
    ("Al Khayr", "الخير"),
    ("Tifaouine", "تيفاوين"),
    ("Atlas", "الأطلس"),
    ("Al Wafa", "الوفاء"),
    ("Assalam", "السلام"),
    ("Al Ikhlas", "الإخلاص"),
    ("Al Mostakbal", "المستقبل"),
    ("Annahda", "النهضة"),
    ("Tiwizi", "تويزي"),
    ("Al Hidaya", "الهداية"),
    ("Al Fajr", "الفجر"),
    ("Al Wahda", "الوحدة"),
    ("Ennakhil", "النخيل"),
    ("Al Bassatine", "البساتين"),
    ("Al Yasmine", "الياسمين"),
    ("Tamount", "تامونت"),
    ("Al Inbiat", "الانبعاث"),
    ("Annajah", "النجاح"),
    ("Al Fadl", "الفضل"),
    ("Tafoukt", "تافوكت"),
    ("Azetta", "أزطا"),
    ("Al Itqane", "الإتقان"),
    ("Al Majd", "المجد"),
    ("Al Izdihar", "الازدهار"),
    ("Ajial", "أجيال"),
    ("Tighmert", "تغمرت"),
    ("Al Irfane", "العرفان"),
    ("Assafae", "الصفاء"),
    ("Al Karama", "الكرامة"),
)
FEMALE_FIRST_NAMES = (
    ("Fatima", "فاطمة"),
    ("Khadija", "خديجة"),
    ("Aicha", "عائشة"),
    ("Naima", "نعيمة"),
    ("Zahra", "زهرة"),
    ("Malika", "مليكة"),
    ("Rachida", "رشيدة"),
    ("Hafsa", "حفصة"),
    ("Souad", "سعاد"),
    ("Latifa", "لطيفة"),
    ("Amina", "أمينة"),
    ("Saida", "سعيدة"),
    ("Hanane", "حنان"),
    ("Fatiha", "فتيحة"),
    ("Meryem", "مريم"),
    ("Zineb", "زينب"),
    ("Samira", "سميرة"),
    ("Nadia", "نادية"),
    ("Hayat", "حياة"),
    ("Karima", "كريمة"),
    ("Ilham", "إلهام"),
    ("Btissam", "ابتسام"),
    ("Salma", "سلمى"),
    ("Houda", "هدى"),
    ("Loubna", "لبنى"),
    ("Itto", "إطو"),
    ("Mina", "مينة"),
    ("Fadma", "فاضمة"),
)
MALE_FIRST_NAMES = (
    ("Mohamed", "محمد"),
    ("Ahmed", "أحمد"),
    ("Hassan", "حسن"),
    ("Youssef", "يوسف"),
    ("Abdellah", "عبد الله"),
    ("Said", "سعيد"),
    ("Mustapha", "مصطفى"),
    ("Rachid", "رشيد"),
    ("Abdelkader", "عبد القادر"),
    ("Brahim", "إبراهيم"),
    ("Omar", "عمر"),
    ("Hamid", "حميد"),
    ("Khalid", "خالد"),
    ("Lahcen", "لحسن"),
    ("Driss", "إدريس"),
    ("Mbarek", "امبارك"),
    ("Aziz", "عزيز"),
    ("Karim", "كريم"),
    ("Hicham", "هشام"),
    ("Noureddine", "نور الدين"),
    ("Abderrahim", "عبد الرحيم"),
    ("Jamal", "جمال"),
    ("Larbi", "العربي"),
    ("Mohammed", "محمد"),
    ("Hassane", "حسان"),
    ("Ali", "علي"),
    ("Moha", "موحى"),
    ("Abdelaziz", "عبد العزيز"),
)
FAMILY_NAMES = (
    ("Alaoui", "العلوي"),
    ("Bennani", "بناني"),
    ("El Idrissi", "الإدريسي"),
    ("Tazi", "التازي"),
    ("Berrada", "برادة"),
    ("Ait Brahim", "آيت إبراهيم"),
    ("Ouhammou", "أوحمو"),
    ("Amrani", "العمراني"),
    ("Benali", "بنعلي"),
    ("Chraibi", "الشرايبي"),
    ("El Fassi", "الفاسي"),
    ("Saidi", "السعيدي"),
    ("Jabri", "الجابري"),
    ("El Mansouri", "المنصوري"),
    ("Ouazzani", "الوزاني"),
    ("Boukhari", "البخاري"),
    ("Lahlou", "لحلو"),
    ("Ziani", "الزياني"),
    ("Naciri", "الناصري"),
    ("Benjelloun", "بنجلون"),
    ("Kabbaj", "القباج"),
    ("El Khatib", "الخطيب"),
    ("Ait Ali", "آيت علي"),
    ("Id Ali", "إد علي"),
    ("Bouzid", "بوزيد"),
    ("Hajji", "الحجي"),
    ("Tahiri", "الطاهري"),
    ("Sbai", "السباعي"),
    ("Haddad", "الحداد"),
    ("El Ouardi", "الوردي"),
    ("Belhaj", "بلحاج"),
    ("Ait Lahcen", "آيت لحسن"),
    ("Oubella", "أوبلا"),
    ("Ichou", "إيشو"),
    ("Amzil", "أمزيل"),
    ("Boutaleb", "بوطالب"),
    ("Ouchen", "أوشن"),
    ("Ait Ouahmane", "آيت واحمان"),
    ("El Filali", "الفيلالي"),
    ("Sahraoui", "الصحراوي"),
)
# Moroccan mobile prefixes that libphonenumber accepts in full.
MOBILE_PREFIXES = ("60", "61", "62", "63", "64", "65", "66", "67", "69", "70", "71", "76", "77", "78")
CIN_PREFIXES = {
    "01": "K",
    "02": "F",
    "03": "C",
    "04": "A",
    "05": "I",
    "06": "BE",
    "07": "E",
    "08": "U",
    "09": "J",
    "10": "JA",
    "11": "SH",
    "12": "VA",
}
CIN_SPACE = 900_000
CIN_STEP = 7919  # a prime that does not divide CIN_SPACE: counter -> number is a bijection
# national programme code: share of cooperatives it supported
PROGRAMMES = {"INDH": 0.3, "MOAZARA": 0.06, "MOURAFAKA": 0.04, "PMV": 0.12, "GG": 0.03, "INTELAKA": 0.01}
BOARD_ROLES = ("president", "vice_president", "treasurer", "secretary")
ARABIC_DIACRITICS = ("\u064e", "\u064f", "\u0650", "\u0652", "\u0651")


@dataclass(frozen=True)
class RegionPlan:
    code: str
    cooperatives: int
    members: int
    provinces: tuple[str, ...]
    province_names: dict[str, tuple[str, str]]


@dataclass(slots=True)
class SyntheticMember:
    full_name_fr: str
    full_name_ar: str
    sex: str
    birth_date: dt.date
    cin: str
    role: str
    phone: str
    joined_date: dt.date
    consent: bool


@dataclass(slots=True)
class SyntheticCooperative:
    registration_number: str
    name_fr: str
    name_ar: str
    creation_date: dt.date
    activity_start_date: dt.date
    region_code: str
    province_code: str
    sector: str
    rural: bool
    members_total: int
    members_women: int
    members_youth: int
    president_name: str
    phone: str
    email: str
    ice: str
    legal_status_ok: bool
    national_programmes: tuple[str, ...]
    members: list[SyntheticMember] = field(default_factory=list)


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up to `total`."""
    whole = sum(weights)
    exact = [total * weight / whole for weight in weights]
    parts = [int(value) for value in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for index in by_remainder[: total - sum(parts)]:
        parts[index] += 1
    return parts


def _read_csv(name: str) -> list[dict[str, str]]:
    with (TERRITORY_DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def region_plan(cooperatives: int = NATIONAL_COOPERATIVES) -> list[RegionPlan]:
    """How many cooperatives and members each region gets: the seed's shares, scaled."""
    statistics = sorted(_read_csv("region_statistics.csv"), key=lambda row: row["region_code"])
    members = round(NATIONAL_MEMBERS * cooperatives / NATIONAL_COOPERATIVES)
    cooperative_counts = _largest_remainder(cooperatives, [int(row["cooperatives"]) for row in statistics])
    member_counts = _largest_remainder(members, [int(row["members"]) for row in statistics])
    provinces: dict[str, dict[str, tuple[str, str]]] = {}
    for row in _read_csv("regions_provinces.csv"):
        provinces.setdefault(row["region_code"], {})[row["province_code"]] = (
            row["province_fr"],
            row["province_ar"],
        )
    plans = []
    for row, count, people in zip(statistics, cooperative_counts, member_counts, strict=True):
        code = row["region_code"]
        plans.append(
            RegionPlan(
                code=code,
                cooperatives=count,
                members=max(people, count * MIN_MEMBERS),
                provinces=tuple(sorted(provinces[code])),
                province_names=provinces[code],
            )
        )
    return plans


def _mixed_women_share() -> float:
    """The share of women in mixed cooperatives that brings the national share to WOMEN_SHARE."""
    total = sum(weight for weight, *_ in SECTORS.values())
    women_cooperatives = sum(weight * chance for weight, chance, *_ in SECTORS.values()) / total
    return (WOMEN_SHARE - women_cooperatives * WOMEN_COOPERATIVE_SHARE) / (1 - women_cooperatives)


class Generator:
    """Draws the registry, cooperative after cooperative (see the module docstring)."""

    def __init__(self, *, seed: int = DEFAULT_SEED, cooperatives: int = NATIONAL_COOPERATIVES):
        self.random = random.Random(seed)
        self.plans = region_plan(cooperatives)
        self.sector_codes = list(SECTORS)
        self.sector_weights = [SECTORS[code][0] for code in self.sector_codes]
        self.mixed_women_share = _mixed_women_share()
        self.cin_counters = dict.fromkeys(CIN_PREFIXES, 0)
        self.cin_offsets = {code: self.random.randrange(CIN_SPACE) for code in sorted(CIN_PREFIXES)}
        self.years = list(range(2005, REFERENCE_DATE.year + 1))
        self.year_weights = [(year - 2000) ** 1.5 for year in self.years]

    def cooperatives(self) -> Iterator[SyntheticCooperative]:
        for plan in self.plans:
            sizes = self._sizes(plan)
            for serial, size in enumerate(sizes, start=1):
                yield self._cooperative(plan, serial, size)

    def _sizes(self, plan: RegionPlan) -> list[int]:
        """Members per cooperative: at least MIN_MEMBERS, a long tail, adding up to the plan."""
        weights = [self.random.paretovariate(2.2) for _ in range(plan.cooperatives)]
        extra = _largest_remainder(plan.members - plan.cooperatives * MIN_MEMBERS, weights)
        return [MIN_MEMBERS + count for count in extra]

    def _date_between(self, start: dt.date, end: dt.date) -> dt.date:
        days = (end - start).days
        return start + dt.timedelta(days=self.random.randint(0, max(days, 0)))

    def _phone(self) -> str:
        return f"+212{self.random.choice(MOBILE_PREFIXES)}{self.random.randrange(10**7):07d}"

    def _cin(self, region_code: str) -> str:
        counter = self.cin_counters[region_code]
        self.cin_counters[region_code] = counter + 1
        number = (counter * CIN_STEP + self.cin_offsets[region_code]) % CIN_SPACE + 100_000
        return f"{CIN_PREFIXES[region_code]}{number}"

    def _with_diacritics(self, arabic: str) -> str:
        """Some Arabic names are typed with a few short vowels, as happens in real exports."""
        letters = list(arabic)
        for _ in range(2):
            position = self.random.randrange(1, len(letters))
            if "\u0621" <= letters[position - 1] <= "\u064a":
                letters.insert(position, self.random.choice(ARABIC_DIACRITICS))
        return "".join(letters)

    def _cooperative(self, plan: RegionPlan, serial: int, size: int) -> SyntheticCooperative:
        draw = self.random
        sector = draw.choices(self.sector_codes, self.sector_weights)[0]
        _, women_chance, purpose_fr, purpose_ar = SECTORS[sector]
        women_cooperative = draw.random() < women_chance
        women_share = WOMEN_COOPERATIVE_SHARE if women_cooperative else self.mixed_women_share
        province = draw.choice(plan.provinces)
        place_fr, place_ar = plan.province_names[province]
        word_fr, word_ar = draw.choice(COOPERATIVE_WORDS)
        name_fr = f"Coopérative {word_fr} {purpose_fr} - {place_fr}"
        name_ar = f"تعاونية {word_ar} {purpose_ar} - {place_ar}"
        if draw.random() < 0.05:
            name_ar = self._with_diacritics(name_ar)
        year = draw.choices(self.years, self.year_weights)[0]
        creation = self._date_between(dt.date(year, 1, 1), min(dt.date(year, 12, 31), REFERENCE_DATE))
        start = min(creation + dt.timedelta(days=draw.randint(0, 365)), REFERENCE_DATE)
        members = [self._member(plan.code, creation, index, women_share) for index in range(size)]
        president = members[0]
        youth_low, youth_high = YOUTH_AGES
        programmes = tuple(code for code, share in PROGRAMMES.items() if draw.random() < share)
        return SyntheticCooperative(
            registration_number=f"{plan.code}-{year}-{serial:05d}",
            name_fr=name_fr,
            name_ar=name_ar,
            creation_date=creation,
            activity_start_date=start,
            region_code=plan.code,
            province_code=province,
            sector=sector,
            rural=draw.random() < 0.7,
            members_total=size,
            members_women=sum(member.sex == "F" for member in members),
            members_youth=sum(
                youth_low <= age_on(member.birth_date, REFERENCE_DATE) <= youth_high for member in members
            ),
            president_name=president.full_name_fr,
            phone=self._phone() if draw.random() < 0.8 else "",
            email=f"coop.{plan.code}{serial:05d}@registre.example" if draw.random() < 0.35 else "",
            ice=f"00{plan.code}{serial:05d}{draw.randrange(10**6):06d}" if draw.random() < 0.5 else "",
            legal_status_ok=draw.random() < 0.92,
            national_programmes=programmes,
            members=members,
        )

    def _member(self, region_code: str, creation: dt.date, index: int, women_share: float) -> SyntheticMember:
        draw = self.random
        sex = "F" if draw.random() < women_share else "M"
        first_fr, first_ar = draw.choice(FEMALE_FIRST_NAMES if sex == "F" else MALE_FIRST_NAMES)
        family_fr, family_ar = draw.choice(FAMILY_NAMES)
        age = int(draw.triangular(18, 76, 38))
        birth = REFERENCE_DATE - dt.timedelta(days=age * 365 + draw.randint(0, 364))
        founder = index < len(BOARD_ROLES) + 2
        joined = creation if founder else self._date_between(creation, REFERENCE_DATE)
        adult = birth + dt.timedelta(days=18 * 366)
        joined = min(max(joined, adult), REFERENCE_DATE)
        if index < len(BOARD_ROLES):
            role = BOARD_ROLES[index]
        elif founder:
            role = "board_member"
        else:
            role = "employee" if draw.random() < 0.03 else "member"
        return SyntheticMember(
            full_name_fr=f"{first_fr} {family_fr}",
            full_name_ar=f"{first_ar} {family_ar}",
            sex=sex,
            birth_date=birth,
            cin=self._cin(region_code),
            role=role,
            phone=self._phone() if draw.random() < 0.6 else "",
            joined_date=joined,
            consent=draw.random() < 0.85,
        )


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def generate(
    *, seed: int = DEFAULT_SEED, cooperatives: int = NATIONAL_COOPERATIVES
) -> Iterator[SyntheticCooperative]:
    """The synthetic registry, one cooperative (with its members) at a time."""
    return Generator(seed=seed, cooperatives=cooperatives).cooperatives()


# ---------------------------------------------------------------------------
# As import files


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def cooperative_row(cooperative: SyntheticCooperative) -> list[str]:
    return [
        cooperative.registration_number,
        cooperative.name_fr,
        cooperative.name_ar,
        cooperative.creation_date.isoformat(),
        cooperative.activity_start_date.isoformat(),
        cooperative.region_code,
        cooperative.province_code,
        cooperative.sector,
        _yes_no(cooperative.rural),
        str(cooperative.members_total),
        str(cooperative.members_women),
        str(cooperative.members_youth),
        cooperative.president_name,
        cooperative.phone,
        cooperative.email,
        cooperative.ice,
        _yes_no(cooperative.legal_status_ok),
        ";".join(cooperative.national_programmes),
    ]


def member_row(registration_number: str, member: SyntheticMember) -> list[str]:
    # Birth dates in the French order now and then, as spreadsheets from the field write them.
    birth = member.birth_date
    birth_text = birth.strftime("%d/%m/%Y") if birth.day % 5 == 0 else birth.isoformat()
    return [
        registration_number,
        member.full_name_fr,
        member.full_name_ar,
        member.sex,
        birth_text,
        member.cin,
        member.role,
        member.phone,
        member.joined_date.isoformat(),
        _yes_no(member.consent),
    ]


def write_files(
    cooperatives: Iterator[SyntheticCooperative],
    *,
    cooperatives_file: Path | None = None,
    members_file: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Write the registry as the two import files (UTF-8 CSV); returns (cooperatives, members)."""
    handles = []
    try:
        cooperative_writer = member_writer = None
        if cooperatives_file:
            handles.append(open(cooperatives_file, "w", encoding="utf-8", newline=""))  # noqa: SIM115
            cooperative_writer = csv.writer(handles[-1])
            cooperative_writer.writerow(COOPERATIVE_COLUMNS)
        if members_file:
            handles.append(open(members_file, "w", encoding="utf-8", newline=""))  # noqa: SIM115
            member_writer = csv.writer(handles[-1])
            member_writer.writerow(MEMBER_COLUMNS)
        counts = [0, 0]
        for cooperative in cooperatives:
            counts[0] += 1
            counts[1] += len(cooperative.members)
            if cooperative_writer:
                cooperative_writer.writerow(cooperative_row(cooperative))
            if member_writer:
                number = cooperative.registration_number
                member_writer.writerows(member_row(number, member) for member in cooperative.members)
            if progress and counts[0] % 5000 == 0:
                progress(*counts)
        return counts[0], counts[1]
    finally:
        for handle in handles:
            handle.close()


# ---------------------------------------------------------------------------
# Straight into the database


class AlreadyLoaded(Exception):
    pass


def load(
    cooperatives: Iterator[SyntheticCooperative],
    *,
    batch_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Insert the registry, `batch_size` cooperatives (and their members) at a time, with
    `bulk_create` and the imports' `insert_many`; returns (cooperatives, members). Fills what the import would: search keys, the
    members' region and province, the consent date."""
    from django.db import transaction

    from mourafaka.core.imports import insert_many
    from mourafaka.territory.models import Province, Region

    from .importers import search_name_of
    from .models import Cooperative, Member, NationalProgramme, Sector

    regions = dict(Region.objects.values_list("code", "id"))
    provinces = dict(Province.objects.values_list("code", "id"))
    sectors = dict(Sector.objects.filter(parent__isnull=True).values_list("code", "id"))
    programmes = dict(NationalProgramme.objects.values_list("code", "id"))
    through = Cooperative.national_programmes.through
    counts = [0, 0]

    def flush(batch: list[SyntheticCooperative]) -> None:
        numbers = [cooperative.registration_number for cooperative in batch]
        if Cooperative.objects.filter(registration_number__in=numbers[:1]).exists():
            raise AlreadyLoaded(numbers[0])
        records = [
            Cooperative(
                registration_number=item.registration_number,
                name_fr=item.name_fr,
                name_ar=item.name_ar,
                search_name=search_name_of(item.name_fr, item.name_ar),
                creation_date=item.creation_date,
                activity_start_date=item.activity_start_date,
                region_id=regions[item.region_code],
                province_id=provinces[item.province_code],
                sector_id=sectors[item.sector],
                rural=item.rural,
                members_total=item.members_total,
                members_women=item.members_women,
                members_youth=item.members_youth,
                president_name=item.president_name,
                phone=item.phone,
                email=item.email,
                ice=item.ice,
                legal_status_ok=item.legal_status_ok,
            )
            for item in batch
        ]
        with transaction.atomic():
            Cooperative.objects.bulk_create(records, batch_size=500)
            through.objects.bulk_create(
                [
                    through(cooperative_id=record.pk, nationalprogramme_id=programmes[code])
                    for record, item in zip(records, batch, strict=True)
                    for code in item.national_programmes
                    if code in programmes
                ],
                batch_size=1000,
            )
            members = [
                Member(
                    cooperative_id=record.pk,
                    region_id=record.region_id,
                    province_id=record.province_id,
                    full_name_fr=member.full_name_fr,
                    full_name_ar=member.full_name_ar,
                    search_name=search_name_of(member.full_name_fr, member.full_name_ar),
                    sex=member.sex,
                    birth_date=member.birth_date,
                    cin=member.cin,
                    role=member.role,
                    phone=member.phone,
                    joined_date=member.joined_date,
                    consent=member.consent,
                    consent_date=member.joined_date if member.consent else None,
                )
                for record, item in zip(records, batch, strict=True)
                for member in item.members
            ]
            insert_many(Member, members)
        counts[0] += len(records)
        counts[1] += len(members)
        if progress:
            progress(*counts)

    batch: list[SyntheticCooperative] = []
    for cooperative in cooperatives:
        batch.append(cooperative)
        if len(batch) >= batch_size:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    return counts[0], counts[1]
