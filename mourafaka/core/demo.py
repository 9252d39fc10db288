"""The demo that `make run` loads: one programme with its tranche, a handful of cooperatives in
three regions (one delegation spanning two of them) and one account per role.

Every record is keyed on a natural key, so loading twice changes nothing.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from mourafaka.accounts.models import Assignment, Role, User
from mourafaka.calls.demo import load_calls
from mourafaka.coaching.demo import load_coaching
from mourafaka.cooperatives.demo_members import load_members
from mourafaka.cooperatives.models import Cooperative, NationalProgramme, Sector
from mourafaka.diagnostics.demo import load_diagnostics
from mourafaka.financing.demo import load_financing
from mourafaka.programmes.models import Edition, Phase, Programme, RegionalQuota
from mourafaka.territory.models import Delegation, Province, Region, Zone
from mourafaka.trainings.demo import load_trainings

DEMO_DOMAIN = "demo.mourafaka.ma"

# registration number, FR name, AR name, province code, sector, branch, created, activity, rural,
# members (total, women, young), president, national programmes
COOPERATIVES = [
    (
        "MAR-2022-0141",
        "Coopérative Tifaouine pour l'argane",
        "تعاونية تيفاوين للأركان",
        "07.211",
        "ARG",
        "ARG-OIL",
        "2022-03-14",
        "2022-09-01",
        True,
        (18, 18, 6),
        "Fatima Ait Brahim",
        ["INDH"],
    ),
    (
        "MAR-2021-0877",
        "Coopérative Al Baraka des plantes aromatiques",
        "تعاونية البركة للنباتات العطرية",
        "07.041",
        "PAM",
        "PAM-ROS",
        "2021-06-02",
        "2022-01-10",
        True,
        (11, 4, 3),
        "Mohamed Ouhammou",
        [],
    ),
    (
        "MAR-2023-0310",
        "Coopérative Nour du tapis",
        "تعاونية نور للزرابي",
        "07.351",
        "ART",
        "ART-TEX",
        "2023-01-20",
        "2023-05-15",
        False,
        (9, 9, 5),
        "Khadija Bennani",
        ["INDH", "MOAZARA"],
    ),
    (
        "MAR-2020-0555",
        "Coopérative Atlas du miel",
        "تعاونية الأطلس للعسل",
        "07.041",
        "AGR",
        "AGR-API",
        "2020-11-05",
        "2021-03-01",
        True,
        (7, 1, 2),
        "Lahcen Id Ali",
        [],
    ),
    (
        "SAF-2022-0088",
        "Coopérative Sardine d'or",
        "تعاونية السردين الذهبي",
        "07.431",
        "FISH",
        None,
        "2022-05-11",
        "2022-12-01",
        False,
        (14, 3, 6),
        "Abdelkrim Saidi",
        ["INDH"],
    ),
    (
        "SAF-2021-0120",
        "Coopérative Al Khayr des céréales",
        "تعاونية الخير للحبوب",
        "07.585",
        "AGR",
        "AGR-VEG",
        "2021-02-17",
        "2021-10-04",
        True,
        (23, 5, 4),
        "Hassan Jabri",
        [],
    ),
    (
        "JAD-2022-0412",
        "Coopérative Doukkala du lait",
        "تعاونية دكالة للحليب",
        "06.181",
        "AGR",
        "AGR-MLK",
        "2022-07-07",
        "2023-01-02",
        True,
        (31, 8, 9),
        "Rachid El Mansouri",
        ["PMV"],
    ),
    (
        "GUE-2023-0021",
        "Coopérative Tighmert des dattes",
        "تعاونية تغمرت للتمور",
        "10.261",
        "FOOD",
        "FOOD-DAT",
        "2023-03-03",
        "2023-10-01",
        True,
        (12, 7, 8),
        "Aicha Boutaleb",
        [],
    ),
    (
        "GUE-2022-0150",
        "Coopérative Oued Noun du couscous",
        "تعاونية واد نون للكسكس",
        "10.261",
        "FOOD",
        "FOOD-CSC",
        "2022-09-19",
        "2023-02-01",
        False,
        (8, 8, 4),
        "Zineb Ahl Moussa",
        ["INDH"],
    ),
    (
        "GUE-2021-0099",
        "Coopérative Sidi Ifni de la pêche artisanale",
        "تعاونية سيدي إفني للصيد التقليدي",
        "10.473",
        "FISH",
        None,
        "2021-04-22",
        "2021-11-15",
        False,
        (16, 2, 7),
        "Brahim Oubella",
        [],
    ),
    (
        "SET-2023-0044",
        "Coopérative Chaouia des légumes",
        "تعاونية الشاوية للخضر",
        "06.461",
        "AGR",
        "AGR-VEG",
        "2023-06-12",
        "2023-12-01",
        True,
        (10, 6, 6),
        "Naima Lahlou",
        [],
    ),
    (
        "BER-2022-0203",
        "Coopérative Berrechid du recyclage",
        "تعاونية برشيد لإعادة التدوير",
        "06.117",
        "WAS",
        None,
        "2022-10-30",
        "2023-03-20",
        False,
        (6, 2, 5),
        "Youssef Karimi",
        [],
    ),
]


@dataclass(frozen=True)
class DemoAccount:
    key: str
    full_name: str
    role: str
    delegation: str | None = None
    cooperative: str | None = None
    organisation: str = ""

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_DOMAIN}"


ACCOUNTS = [
    DemoAccount("admin", "Salma Idrissi", Role.ADMIN, organisation="ODCO"),
    DemoAccount("manager", "Karim Alaoui", Role.MANAGER, organisation="ODCO – Partenariat et Coordination"),
    DemoAccount("delegate.safi", "Samira Chafik", Role.DELEGATE, delegation="SAF", organisation="ODCO Safi"),
    DemoAccount(
        "delegate.guelmim", "Omar Belkadi", Role.DELEGATE, delegation="R10", organisation="ODCO Guelmim"
    ),
    DemoAccount("consultant", "Nadia Berrada", Role.CONSULTANT, organisation="Cabinet Tadbir Conseil"),
    DemoAccount("trainer", "Youssef Amrani", Role.TRAINER, organisation="Cabinet Tadbir Conseil"),
    DemoAccount("coach", "Hind Tazi", Role.COACH, organisation="Association Tanmia"),
    DemoAccount("cooperative", "Abdelkrim Saidi", Role.COOPERATIVE, cooperative="SAF-2022-0088"),
    DemoAccount("juror", "Latifa Skalli", Role.JUROR, organisation="UM6P"),
    DemoAccount("mentor", "Mehdi Fassi", Role.MENTOR, organisation="Réseau des coopératives modèles"),
    DemoAccount("observer", "Ilham Naciri", Role.OBSERVER, organisation="Fondation OCP"),
]

ASSIGNMENTS = [
    ("consultant", "MAR-2022-0141", Assignment.Kind.DIAGNOSTIC),
    ("consultant", "MAR-2021-0877", Assignment.Kind.DIAGNOSTIC),
    ("consultant", "SAF-2022-0088", Assignment.Kind.DIAGNOSTIC),
    ("trainer", "MAR-2022-0141", Assignment.Kind.TRAINING),
    ("trainer", "MAR-2023-0310", Assignment.Kind.TRAINING),
    ("trainer", "MAR-2020-0555", Assignment.Kind.TRAINING),
    ("coach", "SAF-2022-0088", Assignment.Kind.COACHING),
    ("coach", "SAF-2021-0120", Assignment.Kind.COACHING),
    ("coach", "JAD-2022-0412", Assignment.Kind.COACHING),
    ("juror", "MAR-2023-0310", Assignment.Kind.JURY),
    ("juror", "GUE-2022-0150", Assignment.Kind.JURY),
    ("mentor", "GUE-2022-0150", Assignment.Kind.MENTORING),
]


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def load_programmes() -> Edition:
    mourafaka, _ = Programme.objects.update_or_create(
        code="mourafaka",
        defaults={
            "kind": Programme.Kind.SUPPORT,
            "name_fr": "Mourafaka",
            "name_ar": "مرافقة",
            "description_fr": "Programme d'appui post-création des coopératives : diagnostic stratégique, "
            "formation groupée et accompagnement de proximité pendant deux ans.",
            "description_ar": "برنامج دعم التعاونيات بعد التأسيس: التشخيص الاستراتيجي والتكوين الجماعي "
            "والمواكبة الفردية لمدة سنتين.",
        },
    )
    for code, kind, name_fr, name_ar in [
        ("lalla-al-moutaaouina", Programme.Kind.PRIZE, "Prix Lalla Al Moutaâouina", "جائزة للا المتعاونة"),
        ("generation-solidaire", Programme.Kind.PRIZE, "Prix Génération Solidaire", "جائزة جيل متضامن"),
        ("moazara", Programme.Kind.FINANCING, "Moazara", "مؤازرة"),
    ]:
        Programme.objects.update_or_create(
            code=code, defaults={"kind": kind, "name_fr": name_fr, "name_ar": name_ar}
        )

    tranche, _ = Edition.objects.update_or_create(
        programme=mourafaka,
        code="tranche-4",
        defaults={
            "number": 4,
            "name_fr": "4e tranche",
            "name_ar": "الشطر الرابع",
            "starts_on": dt.date(2024, 1, 1),
            "ends_on": dt.date(2026, 12, 31),
            "target_cooperatives": 600,
        },
    )
    phases = [
        (1, "Z1", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        (2, "Z2", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        (3, "Z3", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ]
    for number, zone_code, starts_on, ends_on in phases:
        phase, _ = Phase.objects.update_or_create(
            edition=tranche,
            number=number,
            defaults={
                "name_fr": f"Phase {number}",
                "name_ar": f"المرحلة {number}",
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        )
        phase.regions.set(Zone.objects.get(code=zone_code).regions.all())
    for region in Region.objects.all():
        RegionalQuota.objects.update_or_create(edition=tranche, region=region, defaults={"places": 50})
    return tranche


def load_cooperatives() -> dict[str, Cooperative]:
    provinces = {province.code: province for province in Province.objects.all()}
    sectors = {sector.code: sector for sector in Sector.objects.all()}
    programmes = {programme.code: programme for programme in NationalProgramme.objects.all()}
    cooperatives = {}
    for (
        number,
        name_fr,
        name_ar,
        province_code,
        sector,
        branch,
        created,
        activity,
        rural,
        members,
        president,
        national,
    ) in COOPERATIVES:
        province = provinces[province_code]
        total, women, young = members
        cooperative, _ = Cooperative.objects.update_or_create(
            registration_number=number,
            defaults={
                "name_fr": name_fr,
                "name_ar": name_ar,
                "province": province,
                "region_id": province.region_id,
                "sector": sectors[sector],
                "branch": sectors[branch] if branch else None,
                "creation_date": _date(created),
                "activity_start_date": _date(activity),
                "rural": rural,
                "members_total": total,
                "members_women": women,
                "members_youth": young,
                "president_name": president,
                "legal_status_ok": True,
            },
        )
        cooperative.national_programmes.set([programmes[code] for code in national])
        cooperatives[number] = cooperative
    return cooperatives


def load_accounts(cooperatives: dict[str, Cooperative]) -> list[DemoAccount]:
    password = settings.MOURAFAKA["DEMO_PASSWORD"]
    delegations = {delegation.code: delegation for delegation in Delegation.objects.all()}
    users = {}
    for account in ACCOUNTS:
        user = User.objects.filter(email=account.email).first() or User(email=account.email)
        user.full_name = account.full_name
        user.role = account.role
        user.organisation = account.organisation
        user.delegation = delegations[account.delegation] if account.delegation else None
        user.cooperative = cooperatives[account.cooperative] if account.cooperative else None
        user.is_staff = account.role == Role.ADMIN
        user.is_superuser = account.role == Role.ADMIN
        if not user.has_usable_password() or not user.pk:
            user.set_password(password)
        user.save()
        users[account.key] = user
    for key, number, kind in ASSIGNMENTS:
        Assignment.objects.update_or_create(
            user=users[key], cooperative=cooperatives[number], kind=kind, defaults={"active": True}
        )
    return ACCOUNTS


@transaction.atomic
def load_demo() -> list[DemoAccount]:
    load_programmes()
    cooperatives = load_cooperatives()
    load_members(cooperatives)
    accounts = load_accounts(cooperatives)
    load_calls()
    load_diagnostics()
    load_trainings()
    load_coaching()
    load_financing()
    return accounts
