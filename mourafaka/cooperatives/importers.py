"""The two imports of the registry: cooperatives and members (the engine is `core.imports`).

Rules, per row (a refused row says why; the others are written all together at commit):
- a cooperative is keyed on its registration number, a member on its CIN, or, without a CIN,
  on (cooperative, normalised full name, birth date); importing the same file twice changes
  nothing;
- a blank cell keeps what the registry already holds (a file never erases a value);
- the same key twice in the file: the later row wins and says so;
- a province outside its region, women or young members above the total, a creation date after
  the start of activity, a birth date in the future, a CIN already used by another person, an
  unknown cooperative, a row without any name are refused; fewer members than the registry's
  minimum is only a warning;
- a delegate imports only rows of the provinces of its delegation (the policy's scope).

`bulk_create` / `bulk_update` skip `save()`, so this module fills what `save()` and the
services would: `search_name`, and the members' region and province copied from their
cooperative.
"""

import datetime as dt
from functools import lru_cache

from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from rapidfuzz import fuzz

from mourafaka.accounts import policy
from mourafaka.core.imports import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Column,
    Importer,
    Row,
    insert_rows,
    register,
)
from mourafaka.core.text import search_key, searchable
from mourafaka.core.values import (
    InvalidValue,
    choice_map,
    parse_bool,
    parse_choice,
    parse_cin,
    parse_count,
    parse_date,
    parse_email,
    parse_ice,
    parse_phone,
    parse_province_code,
    parse_region_code,
    parse_sex,
    split_list,
    text,
)
from mourafaka.territory.models import Province, Region

from .models import Cooperative, Member, NationalProgramme, RegistrySettings, Sector

CACHE_LIMIT = 50_000
SAME_PERSON_SCORE = 60


@lru_cache(maxsize=100_000)
def _searchable_one(name: str) -> str:
    return searchable(name)


def search_name_of(first: str, second: str) -> str:
    """`searchable(first, second)`, name by name through a cache (names repeat in big files)."""
    return " | ".join(part for part in (_searchable_one(first), _searchable_one(second)) if part)


@lru_cache(maxsize=65_536)
def parse_repeated_date(value: str) -> dt.date | None:
    """`parse_date` through a cache: a members file has a few tens of thousands of distinct dates
    (of birth, of joining) for hundreds of thousands of rows. Refusals are not cached."""
    return parse_date(value)


def registration(value: str) -> str:
    return text(value).upper()


def provinces_in_scope(user) -> set[int]:
    """The provinces where the policy lets `user` manage records (all of them for the head office)."""
    scope = policy.scope_filter(user, province_path="id", cooperative_path=None)
    return set(Province.objects.filter(scope).values_list("id", flat=True))


def _read(row: Row, column: str, parser) -> None:
    try:
        row.values[column] = parser(row.data[column])
    except InvalidValue as error:
        row.values[column] = None
        row.error(column, error.message, **error.params)


def _blank(value) -> bool:
    return value is None or value == ""


class RegistryImporter(Importer):
    """What both imports share: the provinces where the person may import."""

    def __init__(self, *, user, commit):
        super().__init__(user=user, commit=commit)
        self.today = timezone.localdate()
        self.allowed_provinces = provinces_in_scope(user)


# ---------------------------------------------------------------------------
# Cooperatives

COOPERATIVE_FIELDS = (
    "name_fr",
    "name_ar",
    "creation_date",
    "activity_start_date",
    "region_id",
    "province_id",
    "sector_id",
    "rural",
    "members_total",
    "members_women",
    "members_youth",
    "president_name",
    "phone",
    "email",
    "ice",
    "legal_status_ok",
)
STORED_FIELDS = (*COOPERATIVE_FIELDS, "branch_id")
COOPERATIVE_DEFAULTS = {
    "name_fr": "",
    "name_ar": "",
    "creation_date": None,
    "activity_start_date": None,
    "region_id": None,
    "province_id": None,
    "sector_id": None,
    "rural": False,
    "members_total": 0,
    "members_women": 0,
    "members_youth": 0,
    "president_name": "",
    "phone": "",
    "email": "",
    "ice": "",
    "legal_status_ok": True,
}


@register
class CooperativeImporter(RegistryImporter):
    kind = "cooperatives"
    label = _("Cooperatives")
    key_column = "registration_number"
    columns = (
        Column("registration_number", _("Registration number (required)")),
        Column("name_fr", _("Name in French (this one or the Arabic one)")),
        Column("name_ar", _("Name in Arabic (this one or the French one)")),
        Column("creation_date", _("Legal creation date: YYYY-MM-DD or DD/MM/YYYY")),
        Column("activity_start_date", _("Start of activity: YYYY-MM-DD or DD/MM/YYYY")),
        Column("region_code", _("Region code, e.g. 07")),
        Column("province_code", _("Province code, e.g. 07.431 (required)")),
        Column("sector", _("Activity sector: code (e.g. AGR) or name")),
        Column("rural", _("Rural: yes or no")),
        Column("members_total", _("Number of members")),
        Column("members_women", _("Number of women members")),
        Column("members_youth", _("Number of young members")),
        Column("president_name", _("Name of the president")),
        Column("phone", _("Moroccan phone number, e.g. 0612345678")),
        Column("email", _("E-mail address")),
        Column("ice", _("ICE: 15 digits")),
        Column("legal_status_ok", _("Legal status in good standing: yes or no")),
        Column("national_programmes", _("National programmes (codes or names) separated by , ; or |")),
    )

    def __init__(self, *, user, commit):
        super().__init__(user=user, commit=commit)
        self.regions = dict(Region.objects.values_list("code", "id"))
        self.provinces = {
            code: (pk, region_id)
            for code, pk, region_id in Province.objects.values_list("code", "id", "region_id")
        }
        sectors = {}
        for pk, code, name_fr, name_ar, name_en in Sector.objects.filter(parent__isnull=True).values_list(
            "pk", "code", "name_fr", "name_ar", "name_en"
        ):
            for spelling in (code, name_fr, name_ar, name_en):
                if spelling:
                    sectors[search_key(spelling)] = pk
        self.sectors = sectors
        programmes = {}
        for pk, code, name_fr, name_ar, name_en in NationalProgramme.objects.values_list(
            "pk", "code", "name_fr", "name_ar", "name_en"
        ):
            for spelling in (code, name_fr, name_ar, name_en):
                if spelling:
                    programmes[search_key(spelling)] = pk
        self.programmes = programmes
        self.branch_parents = dict(Sector.objects.filter(parent__isnull=False).values_list("id", "parent_id"))
        self.min_members = RegistrySettings.current().min_members
        self.through = Cooperative.national_programmes.through

    def parse(self, row: Row) -> None:
        data, values = row.data, row.values
        values["registration_number"] = number = registration(data["registration_number"])
        if not number:
            row.error("registration_number", gettext_noop("Give the registration number."))
        values["key"] = number
        values["name_fr"] = text(data["name_fr"])
        values["name_ar"] = text(data["name_ar"])
        row.label = number
        if not values["name_fr"] and not values["name_ar"]:
            row.error("name_fr", gettext_noop("Give the cooperative a name in French or in Arabic."))
        for column in ("creation_date", "activity_start_date"):
            _read(row, column, parse_date)
        for column in ("members_total", "members_women", "members_youth"):
            _read(row, column, parse_count)
        for column in ("rural", "legal_status_ok"):
            _read(row, column, parse_bool)
        _read(row, "phone", parse_phone)
        _read(row, "email", parse_email)
        _read(row, "ice", parse_ice)
        values["president_name"] = text(data["president_name"])
        self._parse_territory(row)
        self._parse_sector(row)
        self._parse_programmes(row)

    def _parse_territory(self, row: Row) -> None:
        values = row.values
        values["region_id"] = values["province_id"] = None
        try:
            region_code = parse_region_code(row.data["region_code"])
            province_code = parse_province_code(row.data["province_code"])
        except InvalidValue as error:
            column = "region_code" if "region" in error.message else "province_code"
            row.error(column, error.message, **error.params)
            return
        if not province_code:
            row.error("province_code", gettext_noop("Give the province code."))
            return
        try:
            province_id, region_id = self.provinces[province_code]
        except KeyError:
            row.error("province_code", gettext_noop("No province has the code %(code)s."), code=province_code)
            return
        if region_code:
            if region_code not in self.regions:
                row.error("region_code", gettext_noop("No region has the code %(code)s."), code=region_code)
                return
            if self.regions[region_code] != region_id:
                row.error(
                    "province_code",
                    gettext_noop("Province %(province)s is not in region %(region)s."),
                    province=province_code,
                    region=region_code,
                )
                return
        values["region_id"], values["province_id"] = region_id, province_id
        if province_id not in self.allowed_provinces:
            row.error("province_code", gettext_noop("This province is outside your delegation."))

    def _parse_sector(self, row: Row) -> None:
        value = text(row.data["sector"])
        row.values["sector_id"] = None
        if value:
            try:
                row.values["sector_id"] = self.sectors[search_key(value)]
            except KeyError:
                row.error("sector", gettext_noop("Unknown activity sector: %(value)s."), value=value)

    def _parse_programmes(self, row: Row) -> None:
        items = split_list(row.data["national_programmes"])
        ids = set()
        for item in items:
            try:
                ids.add(self.programmes[search_key(item)])
            except KeyError:
                row.error(
                    "national_programmes", gettext_noop("Unknown national programme: %(value)s."), value=item
                )
        row.values["programmes"] = frozenset(ids) if items else None

    def key_of(self, row: Row) -> str | None:
        return registration(row.data["registration_number"]) or None

    def process(self, rows: list[Row]) -> None:
        candidates = self.triage(
            rows,
            replaced=gettext_noop(
                "Row %(row)s further down has the same registration number and replaces this row."
            ),
        )
        existing = {
            record["registration_number"]: record
            for record in Cooperative.objects.filter(
                registration_number__in=[row.values["key"] for row in candidates]
            ).values("id", "registration_number", *STORED_FIELDS)
        }
        current_programmes: dict[int, set[int]] = {record["id"]: set() for record in existing.values()}
        for cooperative_id, programme_id in self.through.objects.filter(
            cooperative_id__in=list(current_programmes)
        ).values_list("cooperative_id", "nationalprogramme_id"):
            current_programmes[cooperative_id].add(programme_id)
        to_create: list[Cooperative] = []
        to_update: list[Cooperative] = []
        new_programmes: dict[str, frozenset] = {}
        changed_fields: set[str] = set()
        for row in candidates:
            values = row.values
            key = values["key"]
            record = existing.get(key)
            if record is not None and record["province_id"] not in self.allowed_provinces:
                row.error("registration_number", gettext_noop("This cooperative is outside your delegation."))
                continue
            base = record if record is not None else COOPERATIVE_DEFAULTS
            effective = {
                name: base[name] if _blank(values[name]) else values[name] for name in COOPERATIVE_FIELDS
            }
            if not self._check(row, effective):
                continue
            if row.first_row != row.number:
                row.note(
                    "registration_number",
                    gettext_noop("Same registration number as row %(row)s: this later row wins."),
                    row=row.first_row,
                )
            if record is None:
                row.status = CREATED
                if self.commit:
                    to_create.append(Cooperative(registration_number=key, **effective))
                    new_programmes[key] = values["programmes"] or frozenset()
                continue
            effective["branch_id"] = record["branch_id"]
            if record["branch_id"] and self.branch_parents.get(record["branch_id"]) != effective["sector_id"]:
                effective["branch_id"] = None  # the branch belonged to the former sector
            changes = {
                name: (record[name], effective[name])
                for name in STORED_FIELDS
                if record[name] != effective[name]
            }
            programmes = values["programmes"]
            programmes_change = programmes is not None and programmes != current_programmes[record["id"]]
            row.status = UPDATED if changes or programmes_change else UNCHANGED
            if not self.commit:
                continue
            if changes:
                cooperative = Cooperative(id=record["id"], registration_number=key, **effective)
                to_update.append(cooperative)
                changed_fields.update(changes)
                self.record_change(cooperative, created=False, changes=changes)
            if programmes_change:
                new_programmes[key] = programmes
        if self.commit:
            self._write(to_create, to_update, changed_fields, new_programmes, existing)

    def _check(self, row: Row, effective: dict) -> bool:
        total = effective["members_total"]
        if effective["members_women"] > total:
            row.error("members_women", gettext_noop("Women members cannot outnumber the total of members."))
        if effective["members_youth"] > total:
            row.error("members_youth", gettext_noop("Young members cannot outnumber the total of members."))
        created, started = effective["creation_date"], effective["activity_start_date"]
        if created and started and started < created:
            row.error(
                "activity_start_date", gettext_noop("Activity cannot start before the legal creation date.")
            )
        if not effective["name_fr"] and not effective["name_ar"]:
            row.error("name_fr", gettext_noop("Give the cooperative a name in French or in Arabic."))
        if row.refused:
            return False
        if total < self.min_members:
            row.warn(
                "members_total",
                gettext_noop("Fewer members than the minimum of %(minimum)s for a cooperative."),
                minimum=self.min_members,
            )
        return True

    def _write(self, to_create, to_update, changed_fields, new_programmes, existing) -> None:
        now = timezone.now()
        created = to_create
        for cooperative in created + to_update:
            cooperative.search_name = searchable(cooperative.name_fr, cooperative.name_ar)
        Cooperative.objects.bulk_create(created, batch_size=500)
        if to_update:
            for cooperative in to_update:
                cooperative.updated_at = now
            fields = sorted(
                {name.removesuffix("_id") for name in changed_fields} | {"search_name", "updated_at"}
            )
            Cooperative.objects.bulk_update(to_update, fields, batch_size=500)
        ids = {cooperative.registration_number: cooperative.pk for cooperative in created}
        ids.update({number: record["id"] for number, record in existing.items()})
        replaced = [ids[number] for number in new_programmes if number in existing]
        if replaced:
            self.through.objects.filter(cooperative_id__in=replaced).delete()
        self.through.objects.bulk_create(
            [
                self.through(cooperative_id=ids[number], nationalprogramme_id=programme_id)
                for number, programmes in new_programmes.items()
                for programme_id in programmes
            ],
            batch_size=500,
        )
        for cooperative in created:
            self.record_change(
                cooperative,
                created=True,
                changes={
                    name: (None, getattr(cooperative, name))
                    for name in ("registration_number", *COOPERATIVE_FIELDS)
                },
            )


# ---------------------------------------------------------------------------
# Members

MEMBER_FIELDS = (
    "full_name_fr",
    "full_name_ar",
    "sex",
    "birth_date",
    "cin",
    "role",
    "phone",
    "joined_date",
)
MEMBER_FETCH = (
    "id",
    "cooperative_id",
    "region_id",
    "province_id",
    *MEMBER_FIELDS,
    "consent",
    "consent_date",
    "search_name",
)
# What `_new_row` gives, in its order: a new member's values, written by `insert_rows`.
NEW_MEMBER_FIELDS = (
    "cooperative_id",
    "region_id",
    "province_id",
    "full_name_fr",
    "full_name_ar",
    "search_name",
    "sex",
    "birth_date",
    "cin",
    "role",
    "phone",
    "joined_date",
    "consent",
    "consent_date",
)


# A list of texts passed to PostgreSQL as one text, each value after a separator that no CIN or
# search key holds (`text` and `search_key` remove control characters): psycopg writes one
# literal instead of quoting each item of an array in Python (about 10 ms for a batch's values).
LIST_SEPARATOR = "\x1f"
SQL_LIST = "(string_to_array(%s, chr(31)))[2:]"


def _sql_list(values) -> str:
    """`values` for SQL_LIST: "" for none, else each value after a separator ([2:] drops the
    empty item before the first, and keeps a single empty value as one)."""
    values = list(values)
    if not values:
        return ""
    joined = LIST_SEPARATOR + LIST_SEPARATOR.join(values)
    if joined.count(LIST_SEPARATOR) != len(values):
        raise ValueError("a value holds the list separator")
    return joined


@lru_cache(maxsize=1)
def member_lookup_sql() -> str:
    """`MemberImporter._existing_in_one_query`: part 1 the members by CIN (with the registration
    number of their cooperative), part 2 the members of the cooperatives with one of the names,
    in the order of the names (the model's ordering, as the ORM would read them)."""
    quote = connection.ops.quote_name
    columns = ", ".join(f"m.{quote(Member._meta.get_field(name).column)}" for name in MEMBER_FETCH)
    member, cooperative = quote(Member._meta.db_table), quote(Cooperative._meta.db_table)
    cin = quote(Member._meta.get_field("cin").column)
    cooperative_id = quote(Member._meta.get_field("cooperative").column)
    search_name = quote(Member._meta.get_field("search_name").column)
    number = quote(Cooperative._meta.get_field("registration_number").column)
    order = ", ".join(quote(Member._meta.get_field(name).column) for name in Member._meta.ordering)
    return (
        f"SELECT 1 AS part, {columns}, c.{number} FROM {member} m"  # noqa: S608
        f" JOIN {cooperative} c ON c.{quote('id')} = m.{cooperative_id}"
        f" WHERE m.{cin} IN (SELECT unnest({SQL_LIST}))"
        f" UNION ALL SELECT 2, {columns}, NULL FROM unnest({SQL_LIST}::bigint[]) AS k(id) CROSS JOIN LATERAL"
        f" (SELECT * FROM {member} WHERE {cooperative_id} = k.id AND {search_name} = ANY({SQL_LIST})"
        f" OFFSET 0) m"  # OFFSET 0: one look-up of the index per cooperative, whatever the estimates
        f" ORDER BY part, {order}"
    )


# French and Arabic ways of naming the roles, besides the codes and the (translated) labels.
ROLE_SPELLINGS = {
    "président": Member.Role.PRESIDENT,
    "présidente": Member.Role.PRESIDENT,
    "رئيس": Member.Role.PRESIDENT,
    "رئيسة": Member.Role.PRESIDENT,
    "vice-président": Member.Role.VICE_PRESIDENT,
    "vice-présidente": Member.Role.VICE_PRESIDENT,
    "نائب الرئيس": Member.Role.VICE_PRESIDENT,
    "نائبة الرئيس": Member.Role.VICE_PRESIDENT,
    "trésorier": Member.Role.TREASURER,
    "trésorière": Member.Role.TREASURER,
    "أمين المال": Member.Role.TREASURER,
    "أمينة المال": Member.Role.TREASURER,
    "secrétaire": Member.Role.SECRETARY,
    "secrétaire général": Member.Role.SECRETARY,
    "كاتب": Member.Role.SECRETARY,
    "الكاتب العام": Member.Role.SECRETARY,
    "كاتبة": Member.Role.SECRETARY,
    "membre du conseil": Member.Role.BOARD_MEMBER,
    "membre du conseil d'administration": Member.Role.BOARD_MEMBER,
    "administrateur": Member.Role.BOARD_MEMBER,
    "administratrice": Member.Role.BOARD_MEMBER,
    "conseiller": Member.Role.BOARD_MEMBER,
    "conseillère": Member.Role.BOARD_MEMBER,
    "عضو مجلس الإدارة": Member.Role.BOARD_MEMBER,
    "مستشار": Member.Role.BOARD_MEMBER,
    "مستشارة": Member.Role.BOARD_MEMBER,
    "membre": Member.Role.MEMBER,
    "coopérant": Member.Role.MEMBER,
    "coopérante": Member.Role.MEMBER,
    "عضو": Member.Role.MEMBER,
    "عضوة": Member.Role.MEMBER,
    "متعاون": Member.Role.MEMBER,
    "employé": Member.Role.EMPLOYEE,
    "employée": Member.Role.EMPLOYEE,
    "salarié": Member.Role.EMPLOYEE,
    "salariée": Member.Role.EMPLOYEE,
    "مستخدم": Member.Role.EMPLOYEE,
    "مستخدمة": Member.Role.EMPLOYEE,
    "أجير": Member.Role.EMPLOYEE,
}


def role_choices() -> dict[str, str]:
    spellings = dict(ROLE_SPELLINGS)
    for role in Member.Role:
        spellings[role.value] = role.value
        spellings[role.value.replace("_", " ")] = role.value
        for language in ("en", "fr", "ar"):
            with translation.override(language):
                spellings[str(role.label)] = role.value
    return choice_map(spellings)


def same_person(first: tuple[str, dt.date | None], second: tuple[str, dt.date | None]) -> bool:
    """Whether two records sharing a CIN describe one person: birth dates agree (when both are
    known) and the names look alike (either script, spelling variants)."""
    (first_name, first_birth), (second_name, second_birth) = first, second
    if first_birth and second_birth and first_birth != second_birth:
        return False
    if not first_name or not second_name:
        return True
    return fuzz.token_set_ratio(first_name, second_name) >= SAME_PERSON_SCORE


@register
class MemberImporter(RegistryImporter):
    kind = "members"
    label = _("Members")
    key_column = "cin"
    columns = (
        Column("registration_number", _("Registration number of the cooperative (required)")),
        Column("full_name_fr", _("Full name in French (this one or the Arabic one)")),
        Column("full_name_ar", _("Full name in Arabic (this one or the French one)")),
        Column("sex", _("Sex: F or M (required)")),
        Column("birth_date", _("Birth date: YYYY-MM-DD or DD/MM/YYYY")),
        Column("cin", _("National ID (CIN): one or two letters then digits")),
        Column(
            "role", _("Role: president, vice-president, treasurer, secretary, board member, member, employee")
        ),
        Column("phone", _("Moroccan phone number, e.g. 0612345678")),
        Column("joined_date", _("Date joined: YYYY-MM-DD or DD/MM/YYYY")),
        Column("consent", _("Consent to the processing of personal data: yes or no")),
    )

    def __init__(self, *, user, commit):
        super().__init__(user=user, commit=commit)
        self.roles = role_choices()
        self.cooperatives: dict[str, tuple[int, int, int]] = {}

    def parse(self, row: Row) -> None:
        data, values = row.data, row.values
        values["registration_number"] = registration(data["registration_number"])
        if not values["registration_number"]:
            row.error("registration_number", gettext_noop("Give the registration number of the cooperative."))
        values["full_name_fr"] = name_fr = text(data["full_name_fr"])
        values["full_name_ar"] = name_ar = text(data["full_name_ar"])
        row.label = name_fr or name_ar
        if not name_fr and not name_ar:
            row.error("full_name_fr", gettext_noop("Give the member's name in French or in Arabic."))
        values["search_name"] = search_name_of(name_fr, name_ar)
        _read(row, "sex", parse_sex)
        if values["sex"] is None and not data["sex"].strip():
            row.error("sex", gettext_noop("Give the sex: F or M."))
        _read(row, "birth_date", parse_repeated_date)
        if values["birth_date"] and values["birth_date"] > self.today:
            row.error("birth_date", gettext_noop("The birth date is in the future."))
        if row.key is not None and row.key.startswith("cin:"):  # read from the same cell by key_of
            values["cin"] = row.key[4:]
        else:
            _read(row, "cin", parse_cin)
        try:
            values["role"] = parse_choice(
                data["role"], self.roles, message=gettext_noop("Unknown role: %(value)s."), value=data["role"]
            )
        except InvalidValue as error:
            values["role"] = None
            row.error("role", error.message, **error.params)
        _read(row, "phone", parse_phone)
        _read(row, "joined_date", parse_repeated_date)
        _read(row, "consent", parse_bool)

    def _cooperatives_of(self, rows: list[Row]) -> None:
        if len(self.cooperatives) > CACHE_LIMIT:
            self.cooperatives.clear()  # before choosing what to fetch: this batch needs them all
        missing = {row.values["registration_number"] for row in rows} - self.cooperatives.keys()
        if not missing:
            return
        for number, pk, region_id, province_id in Cooperative.objects.filter(
            registration_number__in=missing
        ).values_list("registration_number", "id", "region_id", "province_id"):
            self.cooperatives[number] = (pk, region_id, province_id)

    def key_of(self, row: Row) -> str | None:
        data = row.data
        try:
            cin = parse_cin(data["cin"])
        except InvalidValue:
            return None
        if cin:
            return f"cin:{cin}"
        number = registration(data["registration_number"])
        name = search_name_of(text(data["full_name_fr"]), text(data["full_name_ar"]))
        if not number or not name:
            return None
        return f"name:{number}|{name}|{text(data['birth_date'])}"

    def identity_of(self, row: Row) -> str:
        data = row.data
        return "\x1f".join((text(data["full_name_fr"]), text(data["full_name_ar"]), text(data["birth_date"])))

    def _same_as_first(self, row: Row) -> bool:
        name_fr, name_ar, birth = row.first_identity.split("\x1f")
        try:
            birth_date = parse_date(birth)
        except InvalidValue:
            birth_date = None
        first = (search_name_of(name_fr, name_ar), birth_date)
        return same_person((row.values["search_name"], row.values["birth_date"]), first)

    def process(self, rows: list[Row]) -> None:
        candidates = self.triage(
            rows, replaced=gettext_noop("Row %(row)s further down is the same person and replaces this row.")
        )
        self._cooperatives_of(candidates)
        keyed = []
        for row in candidates:
            values = row.values
            cooperative = self.cooperatives.get(values["registration_number"])
            if cooperative is None:
                row.error(
                    "registration_number",
                    gettext_noop("No cooperative has this registration number in the registry."),
                )
                continue
            if cooperative[2] not in self.allowed_provinces:
                row.error("registration_number", gettext_noop("This cooperative is outside your delegation."))
                continue
            if row.first_row != row.number:
                if values["cin"] and not self._same_as_first(row):
                    row.error(
                        "cin",
                        gettext_noop("This CIN is also given on row %(row)s for another person."),
                        row=row.first_row,
                    )
                    continue
                row.note(
                    "cin" if values["cin"] else "full_name_fr",
                    gettext_noop("Same person as row %(row)s: this later row wins."),
                    row=row.first_row,
                )
            values["cooperative"] = cooperative
            keyed.append(row)
        by_cin, by_name = self._existing(keyed)
        to_create: list[tuple] = []
        to_update: list[Member] = []
        changed_fields: set[str] = set()
        for row in keyed:
            values = row.values
            cin = values["cin"]
            cooperative_id = values["cooperative"][0]
            record = by_cin.get(cin) if cin else None
            if record is not None:
                if record["cooperative_id"] != cooperative_id:
                    row.error(
                        "cin",
                        gettext_noop(
                            "This CIN is already used by a member of another cooperative (%(number)s)."
                        ),
                        number=record["cooperative__registration_number"],
                    )
                    continue
                if not same_person(
                    (values["search_name"], values["birth_date"]),
                    (record["search_name"], record["birth_date"]),
                ):
                    row.error("cin", gettext_noop("This CIN is already used by another person."))
                    continue
            else:
                record = by_name.get((cooperative_id, values["search_name"], values["birth_date"]))
                if record is not None and cin and record["cin"]:
                    record = None  # a namesake with another CIN: someone else
            if record is None:
                row.status = CREATED
                if self.commit:
                    to_create.append(self._new_row(values))
                continue
            current = {name: record[name] for name in MEMBER_FETCH}
            changes = self._merge(current, values)
            row.status = UPDATED if changes else UNCHANGED
            if changes and self.commit:
                member = Member(**current)
                to_update.append(member)
                changed_fields.update(changes)
                self.record_change(member, created=False, changes=changes)
        if self.commit:
            self._write(to_create, to_update, changed_fields)

    def _existing(self, keyed: list[Row]) -> tuple[dict, dict]:
        """The registry's members that the rows may be: by CIN, and by (cooperative, search name,
        birth date) among the members of the rows' cooperatives for the rows whose CIN the
        registry does not hold (namesakes: the last in the order of the names wins)."""
        if connection.vendor == "postgresql":
            return self._existing_in_one_query(keyed)
        return self._existing_with_orm(keyed)

    def _existing_with_orm(self, keyed: list[Row]) -> tuple[dict, dict]:
        by_cin = {
            record["cin"]: record
            for record in Member.objects.filter(
                cin__in=[row.values["cin"] for row in keyed if row.values["cin"]]
            ).values(*MEMBER_FETCH, "cooperative__registration_number")
        }
        return by_cin, self._by_name([row for row in keyed if row.values["cin"] not in by_cin])

    def _by_name(self, rows: list[Row]) -> dict:
        if not rows:
            return {}
        records = Member.objects.filter(
            cooperative_id__in={row.values["cooperative"][0] for row in rows},
            search_name__in={row.values["search_name"] for row in rows},
        ).values(*MEMBER_FETCH)
        return {
            (record["cooperative_id"], record["search_name"], record["birth_date"]): record
            for record in records
        }

    def _existing_in_one_query(self, keyed: list[Row]) -> tuple[dict, dict]:
        """`_existing` in one round trip on PostgreSQL, the values passed as two arrays rather
        than thousands of parameters (which psycopg and the server would each parse), and the
        CINs joined through their index: during a national import the table grows inside the
        transaction without statistics, and `cin IN (...)` was planned as a scan of the table.
        The second part fetches the namesakes for every row; those of rows whose CIN is found
        are left out here, as `_by_name` never asks for them."""
        if not keyed:
            return {}, {}
        cins = [row.values["cin"] for row in keyed if row.values["cin"]]
        cooperative_ids = sorted({row.values["cooperative"][0] for row in keyed})
        names = sorted({row.values["search_name"] for row in keyed})
        with connection.cursor() as cursor:
            cursor.execute(
                member_lookup_sql(),
                [_sql_list(cins), _sql_list(map(str, cooperative_ids)), _sql_list(names)],
            )
            found = cursor.fetchall()
        by_cin, namesakes = {}, []
        for part, *fields in found:
            if part == 1:
                record = dict(zip(MEMBER_FETCH, fields, strict=False))
                record["cooperative__registration_number"] = fields[-1]
                by_cin[record["cin"]] = record
            else:
                namesakes.append(dict(zip(MEMBER_FETCH, fields, strict=False)))
        rest = [row for row in keyed if row.values["cin"] not in by_cin]
        wanted_cooperatives = {row.values["cooperative"][0] for row in rest}
        wanted_names = {row.values["search_name"] for row in rest}
        by_name = {
            (record["cooperative_id"], record["search_name"], record["birth_date"]): record
            for record in namesakes
            if record["cooperative_id"] in wanted_cooperatives and record["search_name"] in wanted_names
        }
        return by_cin, by_name

    def _new_row(self, values: dict) -> tuple:
        """A new member as the values of NEW_MEMBER_FIELDS, for `insert_rows`."""
        cooperative_id, region_id, province_id = values["cooperative"]
        consent = bool(values["consent"])
        return (
            cooperative_id,
            region_id,
            province_id,
            values["full_name_fr"],
            values["full_name_ar"],
            values["search_name"],
            values["sex"],
            values["birth_date"],
            values["cin"] or None,
            values["role"] or Member.Role.MEMBER,
            values["phone"] or "",
            values["joined_date"],
            consent,
            self.today if consent else None,
        )

    def _merge(self, member: dict, values: dict) -> dict:
        """Put the row's values (blanks keep what is there) on `member` (its MEMBER_FETCH values);
        return what changed."""
        changes = {}

        def put(name, value):
            old = member[name]
            if old != value:
                changes[name] = (old, value)
                member[name] = value

        cooperative_id, region_id, province_id = values["cooperative"]
        put("cooperative_id", cooperative_id)
        put("region_id", region_id)
        put("province_id", province_id)
        for name in MEMBER_FIELDS:
            value = values[name]
            if not _blank(value):
                put(name, value)
        consent = values["consent"]
        if consent is True and not member["consent"]:
            put("consent", True)
            put("consent_date", self.today)
        elif consent is False and member["consent"]:
            put("consent", False)
            put("consent_date", None)
        if "full_name_fr" in changes or "full_name_ar" in changes:
            put("search_name", search_name_of(member["full_name_fr"], member["full_name_ar"]))
        return changes

    def _write(self, created: list[tuple], updated: list[Member], changed_fields: set[str]) -> None:
        if created and self.audit_records is None:
            insert_rows(Member, NEW_MEMBER_FIELDS, created)  # no per-record audit: no need of the keys
        elif created:
            created = [Member(**dict(zip(NEW_MEMBER_FIELDS, row, strict=True))) for row in created]
            Member.objects.bulk_create(created)
            for member in created:
                if self.audit_records is None:
                    break
                self.record_change(
                    member,
                    created=True,
                    changes={name: (None, getattr(member, name)) for name in (*MEMBER_FIELDS, "consent")},
                )
        if updated:
            now = timezone.now()
            for member in updated:
                member.updated_at = now
            fields = sorted({name.removesuffix("_id") for name in changed_fields} | {"updated_at"})
            Member.objects.bulk_update(updated, fields, batch_size=500)
