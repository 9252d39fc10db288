"""The load test: 100 simulated users of mixed roles on gunicorn + PostgreSQL with the national
registry, for 2 minutes; prints the figures and PASS or FAIL against the targets (no error, p95 of
all requests under 500 ms). Exits 1 on FAIL.

    .venv/bin/python bench/load/run.py                      # make load-test
    .venv/bin/python bench/load/run.py --fresh              # rebuild the database first
    .venv/bin/python bench/load/run.py --users 20 --duration 30s --cooperatives 2000   # quick

What it does, in order (everything on 127.0.0.1, bounded in time):

1. the database `mourafaka_load` on the PostgreSQL server of LOAD_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/mourafaka_load): created if missing, migrated, with the
   reference data, the demo and the synthetic national registry (`cooperatives.synthetic.load`,
   as the benchmarks load it), then ANALYZE. A database that already holds the registry is reused
   (about 4 minutes saved); `--fresh` drops and rebuilds it;
2. the pool of accounts `load.<role>.<n>@load.mourafaka.ma`, one per simulated user (see
   `ROLES`): head office, delegates of every delegation, consultants, trainers and coaches with
   their assignments (each coach with an engagement of their own, whose first visit they write),
   cooperative representatives, partner observers, and API clients with a token. Head office,
   delegates and providers get a TOTP authenticator (the second factor of their login); the
   accounts, their password, token, TOTP secret and the records each may open go to
   `var/load/users.json` for the locustfile;
3. collectstatic, then gunicorn on a free port of 127.0.0.1 (2 workers per CPU, sync), with
   DEBUG off, a SECRET_KEY and ALLOWED_HOSTS of the run, persistent connections as in production,
   static files through whitenoise. DJANGO_ENV stays "development": production's secure cookies and
   SSL redirect cannot work over plain HTTP on the loopback;
4. the users with a session sign in through the real login form (and its second step, the TOTP
   code), 2 per CPU at a time, before the timed test (`--login during`: each simulated user signs
   in as it starts, inside the figures); then locust, headless (`bench/load/locustfile.py`); API
   clients send their token;
5. the figures from locust's CSV (`var/load/stats_*.csv`): per request type and overall, requests,
   failures, req/s, median, p95, p99; the load average of the machine before and after; the CPU
   used by gunicorn and the PostgreSQL backends per request; PASS/FAIL.
   Gunicorn is stopped whatever happens; its log is `var/load/gunicorn.log`.
"""

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "load"
VENV_BIN = Path(sys.executable).parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mourafaka_load"
DOMAIN = "load.mourafaka.ma"
PASSWORD = "Charge-Mourafaka-2026"  # noqa: S105 - accounts of a scratch database on the loopback
TARGET_P95_MS = 500
NATIONAL_COOPERATIVES = 60_939
LOT_REGIONS = ("07", "06")  # the coaching lot of the demo providers

#: Simulated users per role (the locustfile's classes use the same counts): 100 in all.
ROLES = {
    "manager": 8,
    "delegate": 30,
    "consultant": 8,
    "trainer": 8,
    "coach": 12,
    "cooperative": 20,
    "observer": 4,
    "api": 10,
}
SECOND_FACTOR_ROLES = {"manager", "delegate", "consultant", "trainer", "coach"}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------
# The database


def _secret_key() -> str:
    """One SECRET_KEY for the database's lifetime (the runner and gunicorn must agree on it)."""
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _ensure_database(url: str, *, fresh: bool) -> bool:
    """Create the database if needed; True when it is new (empty)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"Not a database name I will create: {name!r}")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            log(f"dropping {name}")
            connection.execute(f"DROP DATABASE {name} WITH (FORCE)")
            exists = None
        if not exists:
            connection.execute(f"CREATE DATABASE {name}")
    return not exists


def environment(url: str) -> dict[str, str]:
    """The environment of the runner's own Django, of gunicorn and of manage.py commands."""
    env = os.environ.copy()
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="mourafaka.settings",
        DJANGO_ENV="development",
        DEBUG="false",
        SECRET_KEY=_secret_key(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        MEDIA_ROOT=str(VAR / "media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        SMS_BACKEND="mourafaka.core.sms.MemoryBackend",
        MOURAFAKA_TESTING="0",
    )
    env.pop("MOURAFAKA_BENCH_DATABASE_URL", None)
    return env


def prepare_database(url: str, *, fresh: bool, cooperatives: int, seed: int) -> None:
    new = _ensure_database(url, fresh=fresh)
    os.environ.update(environment(url))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from mourafaka.cooperatives import synthetic
    from mourafaka.cooperatives.models import Cooperative
    from mourafaka.cooperatives.reference import load_registry_reference
    from mourafaka.core.demo import load_demo
    from mourafaka.territory.reference import load_territory

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if new or not Cooperative.objects.filter(registration_number="SAF-2022-0088").exists():
        log("loading the reference data and the demo")
        load_territory()
        load_registry_reference()
        load_demo()
    synthetic_count = Cooperative.objects.filter(registration_number__regex=r"^\d\d-").count()
    if synthetic_count == 0:
        log(f"loading the synthetic registry ({cooperatives:,} cooperatives), a few minutes at national size")
        loaded = synthetic.load(synthetic.generate(seed=seed, cooperatives=cooperatives))
        log(f"  {loaded[0]:,} cooperatives, {loaded[1]:,} members")
        with connection.cursor() as cursor:
            # As after a production database's nightly maintenance: statistics and visibility map.
            cursor.execute("VACUUM (ANALYZE)")
    elif synthetic_count != cooperatives:
        log(
            f"note: the database holds {synthetic_count:,} synthetic cooperatives, not {cooperatives:,} "
            "(use --fresh to rebuild it at another size)"
        )
    log(f"database ready in {time.perf_counter() - started:.0f} s")


# ---------------------------------------------------------------------------
# The accounts


def _sample(queryset, count: int) -> list[int]:
    """`count` ids spread evenly over the queryset in primary-key order (deterministic)."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    if len(ids) <= count:
        return ids
    step = len(ids) / count
    return [ids[int(index * step)] for index in range(count)]


def prepare_accounts() -> dict:
    """The pool of accounts, idempotent; returns what the locustfile needs (users.json)."""
    import datetime as dt

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from mourafaka.accounts.models import Assignment, Role, User
    from mourafaka.coaching import engagements, reports
    from mourafaka.coaching.models import Engagement, Visit
    from mourafaka.cooperatives.models import Cooperative, Member, Sector
    from mourafaka.diagnostics import services as diagnostics
    from mourafaka.diagnostics.models import Diagnostic, Question, Template
    from mourafaka.programmes.models import Edition, Enrolment
    from mourafaka.territory.models import Delegation, Province, Region
    from mourafaka.trainings.models import Session, Trainer

    encoded = make_password(PASSWORD)  # hashed once (argon2), the same for every account
    today = timezone.localdate()
    manager = User.objects.get(email="manager@demo.mourafaka.ma")
    demo_trainer = User.objects.get(email="trainer@demo.mourafaka.ma")
    edition = Edition.objects.get(programme__code="mourafaka", code="tranche-4")
    synthetic = Cooperative.objects.filter(registration_number__regex=r"^\d\d-")
    demo_numbers = {
        "consultant": ["MAR-2022-0141", "MAR-2021-0877", "SAF-2022-0088"],
        "trainer": ["MAR-2022-0141", "MAR-2023-0310", "MAR-2020-0555"],
    }
    delegations = list(
        Delegation.objects.filter(pk__in=Province.objects.values("delegation_id")).order_by("code")
    )
    regions = list(Region.objects.order_by("code").values_list("pk", flat=True))
    sectors = list(Sector.objects.filter(parent__isnull=True).order_by("code").values_list("pk", flat=True))
    national_sample = _sample(synthetic, 300)
    kinds = {
        "consultant": Assignment.Kind.DIAGNOSTIC,
        "trainer": Assignment.Kind.TRAINING,
        "coach": Assignment.Kind.COACHING,
    }
    coaching_pool = _sample(
        synthetic.filter(region__code__in=LOT_REGIONS).exclude(enrolments__edition=edition), 400
    )
    representative_pool = _sample(synthetic, 60)
    accounts: dict[str, list[dict]] = {}
    template = Template.objects.filter(
        status=Template.Status.PUBLISHED, purpose=Template.Purpose.DIAGNOSTIC
    ).first()

    def _enrol(cooperative_id: int) -> Enrolment:
        enrolment, _ = Enrolment.objects.get_or_create(
            edition=edition,
            cooperative_id=cooperative_id,
            defaults={
                "status": Enrolment.Status.ACTIVE,
                "source": Enrolment.Source.DECIDED,
                "started_on": today - dt.timedelta(days=60),
            },
        )
        return enrolment

    def account(role: str, number: int, **fields) -> tuple[User, dict]:
        email = f"load.{role}.{number:02d}@{DOMAIN}"
        user_role = {"api": fields.pop("api_role", Role.MANAGER)}.get(role, role)
        user = User.objects.filter(email=email).first() or User(email=email)
        user.full_name = f"Charge {role} {number:02d}"
        user.role = user_role
        user.password = encoded
        user.is_active = True
        user.organisation = "Test de charge"
        for name, value in fields.items():
            setattr(user, name, value)
        user.save()
        token, _ = Token.objects.get_or_create(user=user)
        entry = {"email": email, "password": PASSWORD, "token": token.key, "role": user_role, "id": user.pk}
        Authenticator.objects.filter(user=user).delete()
        if role in SECOND_FACTOR_ROLES:
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
            entry["totp_secret"] = secret
        return user, entry

    with transaction.atomic():
        # Head office: the whole country.
        for number in range(1, ROLES["manager"] + 1):
            _, entry = account("manager", number, delegation=None, cooperative=None)
            entry.update(cooperatives=national_sample, regions=regions, sectors=sectors)
            accounts.setdefault("manager", []).append(entry)
        # Delegates: every delegation in turn.
        for number in range(1, ROLES["delegate"] + 1):
            delegation = delegations[(number - 1) % len(delegations)]
            _, entry = account("delegate", number, delegation=delegation, cooperative=None)
            provinces = list(
                Province.objects.filter(delegation=delegation).order_by("code").values_list("pk", flat=True)
            )
            entry.update(
                delegation=delegation.code,
                provinces=provinces,
                sectors=sectors,
                cooperatives=_sample(synthetic.filter(province__in=provinces), 60),
            )
            accounts.setdefault("delegate", []).append(entry)
        # Consultants and trainers: the demo persona's cooperatives and a few of the registry.
        for role in ("consultant", "trainer"):
            for number in range(1, ROLES[role] + 1):
                user, entry = account(role, number, delegation=None, cooperative=None)
                numbers = demo_numbers[role]
                chosen = list(
                    Cooperative.objects.filter(registration_number__in=numbers).values_list("pk", flat=True)
                )
                chosen += national_sample[number * 7 : number * 7 + 5]
                for cooperative_id in chosen:
                    Assignment.objects.update_or_create(
                        user=user, cooperative_id=cooperative_id, kind=kinds[role], defaults={"active": True}
                    )
                entry["cooperatives"] = chosen
                if role == "consultant":
                    # A diagnostic of their own (a beneficiary of the 4th tranche), whose answers
                    # on the 0-4 scale they save as they fill it.
                    diagnostic = Diagnostic.objects.filter(consultant=user).order_by("pk").first()
                    if diagnostic is None:
                        enrolment = _enrol(coaching_pool[-number * 11])
                        diagnostic = diagnostics.start_diagnostic(
                            enrolment=enrolment, consultant=user, template=template, by=manager
                        )
                    entry["diagnostics"] = list(
                        Diagnostic.objects.visible_to(user).order_by("pk").values_list("pk", flat=True)[:20]
                    )
                    entry["diagnostic"] = diagnostic.pk
                    entry["questions"] = list(
                        diagnostic.template.questions.filter(type=Question.Type.SCALE_0_4)
                        .order_by("pk")
                        .values_list("pk", flat=True)[:12]
                    )
                    entry["cooperatives"].append(diagnostic.enrolment.cooperative_id)
                else:
                    # A trainer profile of their own, on the sessions of the demo trainer.
                    profile = Trainer.objects.filter(user=user).first() or Trainer.objects.create(
                        user=user, full_name=user.full_name, organisation=user.organisation, email=user.email
                    )
                    for session in Session.objects.filter(trainers__user=demo_trainer):
                        session.trainers.add(profile)
                    entry["sessions"] = list(
                        Session.objects.visible_to(user).order_by("pk").values_list("pk", flat=True)[:20]
                    )
                accounts.setdefault(role, []).append(entry)
        # Coaches: an engagement each (a beneficiary of the 4th tranche in the lot's regions), started
        # a month ago; they write the report of its first visit.
        for number in range(1, ROLES["coach"] + 1):
            user, entry = account("coach", number, delegation=None, cooperative=None)
            engagement = (
                Engagement.objects.filter(coach=user, status=Engagement.Status.ACTIVE).order_by("pk").first()
            )
            if engagement is None:
                enrolment = _enrol(coaching_pool[number * 13])
                engagement = engagements.start_engagement(
                    enrolment=enrolment, coach=user, by=manager, starts_on=today - dt.timedelta(days=30)
                )
            visit = engagement.visits.filter(status__in=[Visit.Status.PLANNED, Visit.Status.DRAFT]).order_by(
                "number"
            )[0]
            cooperative_id = engagement.enrolment.cooperative_id
            present = list(
                Member.objects.filter(cooperative_id=cooperative_id, active=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:3]
            )
            if visit.status == Visit.Status.PLANNED:
                # The draft begun on the way back from the visit, as the demo's reports are.
                data = {"held_on": today, "duration_minutes": 60, "topics": "Premier brouillon."}
                visit = reports.save_draft(
                    visit=visit, data={**data, "members_present": present[:2]}, version=visit.version, by=user
                )
            entry.update(
                engagement=engagement.pk,
                visit=visit.pk,
                held_on=today.isoformat(),
                cooperatives=[cooperative_id],
                members=present,
            )
            accounts.setdefault("coach", []).append(entry)
        # Cooperative representatives: the demo cooperative, then cooperatives of the registry.
        demo_cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088").pk
        for number in range(1, ROLES["cooperative"] + 1):
            cooperative_id = demo_cooperative if number == 1 else representative_pool[number * 2]
            _, entry = account("cooperative", number, delegation=None, cooperative_id=cooperative_id)
            entry["cooperatives"] = [cooperative_id]
            accounts.setdefault("cooperative", []).append(entry)
        for number in range(1, ROLES["observer"] + 1):
            _, entry = account("observer", number, delegation=None, cooperative=None)
            accounts.setdefault("observer", []).append(entry)
        # API clients (token only): head office and delegates.
        for number in range(1, ROLES["api"] + 1):
            if number % 2:
                _, entry = account("api", number, api_role=Role.MANAGER, delegation=None, cooperative=None)
                entry.update(cooperatives=national_sample, regions=regions)
            else:
                delegation = delegations[(number * 5) % len(delegations)]
                _, entry = account(
                    "api", number, api_role=Role.DELEGATE, delegation=delegation, cooperative=None
                )
                provinces = list(Province.objects.filter(delegation=delegation).values_list("pk", flat=True))
                entry.update(
                    cooperatives=_sample(synthetic.filter(province__in=provinces), 60),
                    provinces=provinces,
                )
            accounts.setdefault("api", []).append(entry)
    with connection.cursor() as cursor:
        # Fresh statistics on the tables these accounts added rows to (a planner that believes the
        # small coaching tables hold only the demo's rows picks plans that read the members' index).
        cursor.execute("ANALYZE")
    names = ["Al Baraka", "nour", "Tifaouine", "البركة", "تعاونية الأمل", "Atlas miel", "Assalam"]
    return {"accounts": accounts, "search_terms": names, "today": today.isoformat()}


# ---------------------------------------------------------------------------
# Gunicorn and locust


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    log_file = open(VAR / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(  # noqa: S603
        [
            str(VENV_BIN / "gunicorn"),
            "mourafaka.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--preload",
            "--timeout",
            "60",
            "--graceful-timeout",
            "10",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start-up; see {VAR / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    stop(process)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its children that have exited and been waited for)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(server: subprocess.Popen, database: str) -> tuple[float, float]:
    """CPU seconds used so far by gunicorn (master and workers) and by the PostgreSQL backends of the
    load database (persistent connections: they live as long as the workers)."""
    workers = [server.pid]
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.pid:  # parent pid
            workers.append(int(path.parent.name))
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        backends = [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database]
            )
        ]
    return sum(_cpu_seconds(pid) for pid in workers), sum(_cpu_seconds(pid) for pid in backends)


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _totp(secret: str) -> str:
    """The current TOTP code. Like a person who sees the code about to change in their app, wait for
    the next one when fewer than 10 s are left: the server accepts only the current 30-s step
    (MFA_TOTP_TOLERANCE 0, allauth's default), so a code sent at the end of its step is refused."""
    import base64
    import hashlib
    import hmac
    import struct

    left = 30 - time.time() % 30
    if left < 10:
        time.sleep(left + 0.5)
    digest = hmac.new(
        base64.b32decode(secret, casefold=True), struct.pack(">Q", int(time.time() // 30)), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def _log_in(base: str, entry: dict) -> tuple[dict, float]:
    """Sign in through the real login form (and its TOTP step): the session cookies, the seconds taken."""
    import re

    import requests

    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    started = time.perf_counter()
    with requests.Session() as session:
        form = session.get(f"{base}/accounts/login/", timeout=120)
        data = {"login": entry["email"], "password": entry["password"]}
        data["csrfmiddlewaretoken"] = token.search(form.text).group(1)
        answer = session.post(f"{base}/accounts/login/", data=data, timeout=120, allow_redirects=False)
        location = answer.headers.get("Location", "")
        if answer.status_code != 302:
            raise RuntimeError(f"{entry['email']}: login refused ({answer.status_code})")
        if "/2fa/authenticate" in location:
            form = session.get(f"{base}/accounts/2fa/authenticate/", timeout=120)
            data = {
                "code": _totp(entry["totp_secret"]),
                "csrfmiddlewaretoken": token.search(form.text).group(1),
            }
            answer = session.post(
                f"{base}/accounts/2fa/authenticate/", data=data, timeout=120, allow_redirects=False
            )
            if answer.status_code != 302 or "/accounts/" in answer.headers.get("Location", ""):
                raise RuntimeError(f"{entry['email']}: second factor refused ({answer.status_code})")
        return dict(session.cookies.items()), time.perf_counter() - started


def log_everyone_in(port: int, users_file: Path, parallel: int) -> list[float]:
    """Sign every account with a session in through the login form before the timed test, and give
    the locustfile their session cookies. Returns the time each login took (form, password, code)."""
    from concurrent.futures import ThreadPoolExecutor

    data = json.loads(users_file.read_text(encoding="utf-8"))
    entries = [entry for role, items in data["accounts"].items() if role != "api" for entry in items]
    base = f"http://127.0.0.1:{port}"
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        results = list(pool.map(lambda entry: _log_in(base, entry), entries))
    for entry, (cookies, _) in zip(entries, results, strict=True):
        entry["cookies"] = cookies
    users_file.write_text(json.dumps(data), encoding="utf-8")
    return [seconds for _, seconds in results]


def run_locust(env: dict, port: int, options) -> int:
    prefix = VAR / "stats"
    for old in VAR.glob("stats_*.csv"):
        old.unlink()
    command = [
        str(VENV_BIN / "locust"),
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "--users",
        str(options.users),
        "--spawn-rate",
        str(options.spawn_rate),
        "--run-time",
        options.duration,
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "15",
        "--loglevel",
        "WARNING",
    ]
    env = {**env, "LOAD_USERS_FILE": str(VAR / "users.json"), "LOAD_WAIT": options.wait}
    if options.users != sum(ROLES.values()):
        env["LOAD_SCALE"] = str(options.users / sum(ROLES.values()))
    log(" ".join(command[1:]))
    timeout = _seconds(options.duration) + 180
    completed = subprocess.run(command, cwd=ROOT, env=env, check=False, timeout=timeout)  # noqa: S603
    return completed.returncode


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    total, number = 0, ""
    for char in duration:
        if char.isdigit():
            number += char
        else:
            total += int(number or 0) * units[char]
            number = ""
    return total + int(number or 0)


# ---------------------------------------------------------------------------
# Figures


def _number(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def report(load_before, load_after, options, workers: int, cpu_before, cpu_after) -> bool:
    rows = list(csv.DictReader((VAR / "stats_stats.csv").open(encoding="utf-8")))
    if not rows:
        print("No figures: locust wrote no statistics.")
        return False
    total = next(row for row in rows if row["Name"] == "Aggregated")
    rows = sorted((row for row in rows if row["Name"] != "Aggregated"), key=lambda row: row["Name"])
    header = ("request", "requests", "failures", "req/s", "median ms", "p95 ms", "p99 ms", "max ms")
    lines = [header]
    for row in [*rows, total]:
        name = "ALL" if row is total else f"{row['Type']} {row['Name']}"
        lines.append(
            (
                name,
                row["Request Count"],
                row["Failure Count"],
                f"{_number(row['Requests/s']):.1f}",
                f"{_number(row['50%']):.0f}",
                f"{_number(row['95%']):.0f}",
                f"{_number(row['99%']):.0f}",
                f"{_number(row['Max Response Time']):.0f}",
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    print()
    print(
        f"Load test: {options.users} users (spawn {options.spawn_rate}/s) for {options.duration}, "
        f"think time {options.wait} s, gunicorn {workers} workers on {os.cpu_count()} CPUs, PostgreSQL"
    )
    for index, line in enumerate(lines):
        if index == len(lines) - 1:
            print("  " + "  ".join("-" * width for width in widths))
        cells = [
            str(cell).ljust(widths[0]) if i == 0 else str(cell).rjust(widths[i])
            for i, cell in enumerate(line)
        ]
        print("  " + "  ".join(cells))
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))
    failures_file = VAR / "stats_failures.csv"
    failures = list(csv.DictReader(failures_file.open(encoding="utf-8"))) if failures_file.exists() else []
    if failures:
        print("\nFailures:")
        for row in failures:
            print(f"  {row['Occurrences']:>5} × {row['Method']} {row['Name']}: {row['Error'][:160]}")
    slow = [row["Name"] for row in rows if _number(row["95%"]) >= TARGET_P95_MS]
    if slow:
        print(f"\nRequest types with p95 ≥ {TARGET_P95_MS} ms: {', '.join(slow)}")
    print(
        f"\nLoad average before: {' '.join(f'{value:.2f}' for value in load_before)}; "
        f"after: {' '.join(f'{value:.2f}' for value in load_after)} ({os.cpu_count()} CPUs)"
    )
    requests, errors, p95 = int(total["Request Count"]), int(total["Failure Count"]), _number(total["95%"])
    app_cpu, database_cpu = (after - before for after, before in zip(cpu_after, cpu_before, strict=True))
    if requests:
        print(
            f"Server CPU: gunicorn {app_cpu:.0f} s, PostgreSQL backends {database_cpu:.0f} s over "
            f"{_seconds(options.duration)} s of test: {1000 * app_cpu / requests:.0f} + "
            f"{1000 * database_cpu / requests:.0f} ms of CPU per request (the {os.cpu_count()} CPUs alone "
            f"would serve about {os.cpu_count() * requests / (app_cpu + database_cpu or 1):.0f} req/s of this mix)"
        )
    passed = requests > 0 and errors == 0 and p95 < TARGET_P95_MS
    print(
        f"{'PASS' if passed else 'FAIL'}: {requests:,} requests, {errors} failures, "
        f"{_number(total['Requests/s']):.1f} req/s, p95 {p95:.0f} ms "
        f"(targets: zero errors, p95 < {TARGET_P95_MS} ms)"
    )
    return passed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=sum(ROLES.values()))
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--duration", default="2m", help="locust's --run-time (2m, 90s…)")
    parser.add_argument("--wait", default="1,5", help="think time between tasks, min,max seconds")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--cooperatives", type=int, default=NATIONAL_COOPERATIVES)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--login",
        choices=("before", "during"),
        default="before",
        help="sign the users in through the login form before the timed test (default), or as each "
        "simulated user starts (the logins then count in the figures)",
    )
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--prepare-only", action="store_true", help="build the database and accounts, stop")
    options = parser.parse_args(argv)
    url = os.environ.get("LOAD_DATABASE_URL", DEFAULT_URL)
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("The load test runs on the loopback only (LOAD_DATABASE_URL on 127.0.0.1).")
    VAR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    prepare_database(url, fresh=options.fresh, cooperatives=options.cooperatives, seed=options.seed)
    (VAR / "users.json").write_text(json.dumps(prepare_accounts()), encoding="utf-8")
    log(f"{sum(ROLES.values())} accounts ready ({VAR / 'users.json'})")
    from django.db import connections

    connections.close_all()
    env = environment(url)
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    if options.prepare_only:
        return 0
    shutil.rmtree(VAR / "media", ignore_errors=True)
    (VAR / "media").mkdir(parents=True)
    port = _free_port()
    server = None
    try:
        server = start_gunicorn(env, port, options.workers)
        log(f"gunicorn on 127.0.0.1:{port}, {options.workers} workers")
        logins = []
        if options.login == "before":
            started_logins = time.perf_counter()
            logins = log_everyone_in(port, VAR / "users.json", parallel=options.workers)
            log(
                f"{len(logins)} users signed in through the login form in "
                f"{time.perf_counter() - started_logins:.0f} s ({options.workers} at a time)"
            )
        load_before = os.getloadavg()
        database = urlsplit(url).path.lstrip("/")
        cpu_before = server_cpu_seconds(server, database)
        code = run_locust(env, port, options)
        cpu_after = server_cpu_seconds(server, database)
        load_after = os.getloadavg()
    finally:
        stop(server)
        log("gunicorn stopped")
    if logins:
        print(
            f"\nLogins before the test (form + password + TOTP code, {options.workers} at a time): "
            f"{len(logins)}, median {1000 * statistics.median(logins):.0f} ms, "
            f"max {1000 * max(logins):.0f} ms"
        )
    passed = report(load_before, load_after, options, options.workers, cpu_before, cpu_after)
    log(f"locust exit code {code}; whole run {time.perf_counter() - started:.0f} s")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
