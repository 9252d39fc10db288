"""Demo members and documents of the 12 demo cooperatives (called by `core.demo.load_demo`).

Each cooperative gets as many members as it declares, with as many women and young members as
it declares, its president first; names in both scripts (a few in one only), a few without
consent. Two likely duplicates are planted so that the duplicates page has something to show: the
same woman recorded twice in one cooperative (once in French, once in Arabic), and a man
recorded in two cooperatives of one province with two spellings. Everything is keyed on the CIN
(or, without one, on the cooperative and the names): loading twice changes nothing.
"""

import datetime as dt
import random

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from .dedup import scan_duplicates
from .documents import PDF, check_document_file
from .member_rules import normalise_phone
from .models import Cooperative, CooperativeDocument, Member

# Birth dates are drawn relative to a fixed day so that a reload on another day changes nothing.
REFERENCE_DAY = dt.date(2025, 1, 1)

WOMEN = [
    ("Fatima", "فاطمة"),
    ("Khadija", "خديجة"),
    ("Aicha", "عائشة"),
    ("Naima", "نعيمة"),
    ("Zineb", "زينب"),
    ("Malika", "مليكة"),
    ("Hafsa", "حفصة"),
    ("Rachida", "رشيدة"),
    ("Souad", "سعاد"),
    ("Meryem", "مريم"),
    ("Hanane", "حنان"),
    ("Latifa", "لطيفة"),
    ("Ikram", "إكرام"),
    ("Saida", "سعيدة"),
    ("Nadia", "نادية"),
    ("Yamna", "يامنة"),
]
MEN = [
    ("Mohamed", "محمد"),
    ("Ahmed", "أحمد"),
    ("Lahcen", "لحسن"),
    ("Brahim", "إبراهيم"),
    ("Youssef", "يوسف"),
    ("Hassan", "حسن"),
    ("Rachid", "رشيد"),
    ("Abdelkrim", "عبد الكريم"),
    ("Mustapha", "مصطفى"),
    ("Said", "سعيد"),
    ("Omar", "عمر"),
    ("Khalid", "خالد"),
    ("Hamid", "حميد"),
    ("Driss", "إدريس"),
    ("Abdellah", "عبد الله"),
    ("Ayoub", "أيوب"),
]
FAMILIES = [
    ("Ait Brahim", "آيت إبراهيم"),
    ("Ouhammou", "أوحمو"),
    ("Bennani", "بناني"),
    ("Id Ali", "إد علي"),
    ("Saidi", "السعيدي"),
    ("Jabri", "الجابري"),
    ("El Mansouri", "المنصوري"),
    ("Boutaleb", "بوطالب"),
    ("Ahl Moussa", "أهل موسى"),
    ("Oubella", "أوبلا"),
    ("Lahlou", "لحلو"),
    ("Karimi", "الكريمي"),
    ("Amrani", "العمراني"),
    ("Tazi", "التازي"),
    ("Chraibi", "الشرايبي"),
    ("Ouazzani", "الوزاني"),
    ("Filali", "الفيلالي"),
    ("Berrada", "برادة"),
    ("Naciri", "الناصري"),
    ("Skalli", "السقلي"),
    ("Zerouali", "الزروالي"),
    ("Hilali", "الهلالي"),
    ("Benjelloun", "بنجلون"),
    ("Kettani", "الكتاني"),
]
FIRST_NAMES = dict(WOMEN + MEN)
WOMEN_NAMES = {name for name, _ in WOMEN}
BOARD = [Member.Role.VICE_PRESIDENT, Member.Role.TREASURER, Member.Role.SECRETARY, Member.Role.BOARD_MEMBER]

# (cooperative, FR name, AR name, sex, birth date, CIN, role) planted as likely duplicates.
PLANTED = [
    ("SAF-2021-0120", "Fatima Zahra El Idrissi", "", "F", "1988-04-12", None, Member.Role.MEMBER),
    ("SAF-2021-0120", "", "فاطمة الزهراء الإدريسي", "F", "1988-04-12", "HA987012", Member.Role.MEMBER),
    ("MAR-2020-0555", "Mohammed Ouhamou", "", "M", "1979-09-30", None, Member.Role.MEMBER),
]
# The president of MAR-2021-0877 ("Mohamed Ouhammou") is the other half of the second pair.
PRESIDENT_BIRTH_DATES = {"MAR-2021-0877": dt.date(1979, 9, 30)}

DOCUMENTS = [
    (
        "SAF-2022-0088",
        CooperativeDocument.Kind.STATUTES,
        "Statuts de la coopérative",
        "statuts-sardine-d-or.pdf",
    ),
    (
        "MAR-2022-0141",
        CooperativeDocument.Kind.GA_MINUTES,
        "PV de l'assemblée générale 2024",
        "pv-ag-2024-tifaouine.pdf",
    ),
]


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (ASCII), valid enough for any reader."""
    stream = f"BT /F1 18 Tf 72 770 Td ({text}) Tj ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _birth_date(rng: random.Random, young: bool) -> dt.date:
    age = rng.randint(19, 34) if young else rng.randint(37, 66)
    return REFERENCE_DAY - dt.timedelta(days=age * 365 + rng.randint(0, 364))


def _phone(rng: random.Random) -> str:
    try:
        return normalise_phone(f"06{rng.randint(10_000_000, 99_999_999)}")
    except ValidationError:
        return ""


def _people(cooperative: Cooperative, index: int) -> list[dict]:
    """The members a cooperative declares: its president first, then women, then men."""
    rng = random.Random(cooperative.registration_number)
    first, _, family = cooperative.president_name.partition(" ")
    president_is_woman = first in WOMEN_NAMES
    women_left = cooperative.members_women - (1 if president_is_woman else 0)
    young_left = cooperative.members_youth
    people = [
        {
            "full_name_fr": cooperative.president_name,
            "full_name_ar": f"{FIRST_NAMES.get(first, '')} {dict(FAMILIES).get(family, '')}".strip(),
            "sex": Member.Sex.FEMALE if president_is_woman else Member.Sex.MALE,
            "role": Member.Role.PRESIDENT,
        }
    ]
    for position in range(1, cooperative.members_total):
        woman = position <= women_left
        first_fr, first_ar = rng.choice(WOMEN if woman else MEN)
        family_fr, family_ar = FAMILIES[(index * 7 + position * 5) % len(FAMILIES)]
        people.append(
            {
                "full_name_fr": f"{first_fr} {family_fr}",
                "full_name_ar": f"{first_ar} {family_ar}",
                "sex": Member.Sex.FEMALE if woman else Member.Sex.MALE,
                "role": BOARD[position - 1] if position <= len(BOARD) else Member.Role.MEMBER,
            }
        )
    for position, person in enumerate(people):
        young = position >= len(people) - young_left  # the last ones are the young members
        person["birth_date"] = (
            PRESIDENT_BIRTH_DATES.get(cooperative.registration_number) if position == 0 else None
        )
        person["birth_date"] = person["birth_date"] or _birth_date(rng, young)
        person["cin"] = f"{'HJ'[position % 2]}{'AB'[index % 2]}9{index:02d}{position:03d}"
        person["phone"] = _phone(rng)
        person["joined_date"] = cooperative.creation_date
        person["consent"] = position % 9 != 4  # a few have not consented (yet)
        person["consent_date"] = cooperative.activity_start_date if person["consent"] else None
        if position % 6 == 5:
            person["full_name_ar"] = ""  # recorded in French only
        elif position % 6 == 3:
            person["full_name_fr"] = ""  # recorded in Arabic only
    return people


def _upsert(cooperative: Cooperative, values: dict) -> Member:
    defaults = {**values, "region_id": cooperative.region_id, "province_id": cooperative.province_id}
    if values.get("cin"):
        member, _ = Member.objects.update_or_create(
            cin=values["cin"], defaults={**defaults, "cooperative": cooperative}
        )
        return member
    member, _ = Member.objects.update_or_create(
        cooperative=cooperative,
        full_name_fr=values["full_name_fr"],
        full_name_ar=values["full_name_ar"],
        defaults=defaults,
    )
    return member


def _load_documents(cooperatives: dict[str, Cooperative]) -> None:
    for number, kind, title, filename in DOCUMENTS:
        cooperative = cooperatives[number]
        if CooperativeDocument.objects.filter(cooperative=cooperative, original_name=filename).exists():
            continue
        upload = ContentFile(minimal_pdf(f"{title} - {cooperative.registration_number}"), name=filename)
        check_document_file(upload, max_mb=10)
        document = CooperativeDocument(
            cooperative=cooperative,
            kind=kind,
            title=title,
            original_name=filename,
            size=upload.size,
            content_type=PDF.content_type,
        )
        document.file.save(filename, upload, save=False)
        document.save()


def load_members(cooperatives: dict[str, Cooperative]) -> None:
    for index, cooperative in enumerate(sorted(cooperatives.values(), key=lambda c: c.registration_number)):
        for person in _people(cooperative, index):
            _upsert(cooperative, person)
    for number, name_fr, name_ar, sex, birth_date, cin, role in PLANTED:
        cooperative = cooperatives[number]
        _upsert(
            cooperative,
            {
                "full_name_fr": name_fr,
                "full_name_ar": name_ar,
                "sex": sex,
                "birth_date": dt.date.fromisoformat(birth_date),
                "cin": cin,
                "role": role,
                "joined_date": cooperative.creation_date,
                "consent": False,
                "consent_date": None,
            },
        )
    _load_documents(cooperatives)
    scan_duplicates(province_ids={cooperative.province_id for cooperative in cooperatives.values()})
