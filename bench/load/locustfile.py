"""Locust scenario of the load test: mixed users of the platform at national size.

Run by `bench/load/run.py`, which prepares the database, the accounts (`var/load/users.json`,
named by LOAD_USERS_FILE) and gunicorn. One simulated user per account; each class has a fixed
number of users (`ROLES` in run.py, 100 in all):

- head office (8): dashboard, cooperative list (no filter, region, sector, French and Arabic
  name searches, region + sector + name, a deep page), a cooperative and its members, diagnostics,
  training sessions, coaching, financing, statistics;
- delegates (30, every delegation in turn): the same within their delegation (province filter);
- consultants (8): their cooperatives, the diagnostics list, the diagnostic they work on and its
  questionnaire, answers saved one by one (writes: each consultant fills their own diagnostic);
- trainers (8): sessions, the catalogue, their own sessions and cooperatives;
- coaches (12): coaching home, their engagement, the visit report, and its draft saved as they
  type (writes: one visit each, so no two users edit the same report; the text is replaced,
  never appended, so the data stays the same size);
- cooperative representatives (20): their cooperative, its members, their trainings and coaching;
- partner observers (4): dashboard and statistics;
- API clients (10, token authentication, no session): cooperatives (filters and search), members
  of a cooperative, diagnostics, training sessions, coaching visits, `me`.

Everyone except API clients is signed in through the real login form (GET the form, POST email and
password with the CSRF token) and, for head office, delegates and providers, its second step (the
TOTP code of the authenticator run.py gave them): by run.py before the test, which hands over the
session cookies (its default), or by the simulated user as it starts (`run.py --login during`). Pages are requested without following
redirects: anything but the expected status (200, or the expected redirect) is a failure, so a
lost session (302 to the login page) is counted.

Think time between tasks: LOAD_WAIT seconds, "min,max" (default "1,5").
"""

import base64
import hashlib
import hmac
import json
import os
import random
import re
import struct
import time
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser
from requests.cookies import create_cookie

USERS_FILE = os.environ.get("LOAD_USERS_FILE", "var/load/users.json")
with open(USERS_FILE, encoding="utf-8") as handle:
    DATA = json.load(handle)
ACCOUNTS = {role: list(entries) for role, entries in DATA["accounts"].items()}
SEARCH_TERMS = DATA["search_terms"]
WAIT = tuple(float(value) for value in os.environ.get("LOAD_WAIT", "1,5").split(","))
SCALE = float(os.environ.get("LOAD_SCALE", "1"))

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ERRORS = re.compile(r'<ul class="errorlist[^>]*>(.*?)</ul>', re.S)
VERSION = re.compile(r'name="version" value="(\d+)"')


def totp(secret: str, at: float | None = None) -> str:
    """The current 6-digit TOTP code (RFC 6238, SHA-1, 30 s), as the authenticator app shows it; when
    fewer than 10 s are left, the next one (the server accepts only the current step)."""
    left = 30 - time.time() % 30
    if at is None and left < 10:
        time.sleep(left + 0.5)
    counter = int((at or time.time()) // 30)
    digest = hmac.new(
        base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def count(role: str) -> int:
    return max(1, round(len(ACCOUNTS.get(role, [])) * SCALE))


class Person(FastHttpUser):
    """A signed-in user of one role; subclasses give the role and the tasks."""

    abstract = True
    role = ""
    wait_time = between(*WAIT)
    # The pages of the platform, not a browser: no static files except in `static_file`.
    default_headers = {"Accept-Language": "fr", "User-Agent": "mourafaka-load-test"}

    def on_start(self):
        if not ACCOUNTS.get(self.role):
            raise StopUser()
        self.account = ACCOUNTS[self.role].pop(0)
        self.cooperatives = self.account.get("cooperatives") or []
        if self.account.get("cookies"):
            # Signed in through the login form by run.py before the test (its default).
            for name, value in self.account["cookies"].items():
                self.client.cookiejar.set_cookie(
                    create_cookie(name, value, domain=urlsplit(self.host).hostname)
                )
        else:
            self.log_in()

    # --- helpers -------------------------------------------------------------------------------

    def page(
        self,
        url: str,
        name: str,
        *,
        expect: tuple[int, ...] = (200,),
        params: dict | None = None,
        require: str = "",
    ):
        """GET a page without following redirects; anything but `expect` (or a page without the
        text `require`) is a failure."""
        if params:
            url = f"{url}?{urlencode(params)}"
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code not in expect:
                where = response.headers.get("Location", "") if response.headers else ""
                response.failure(f"status {response.status_code} {where}".strip())
            elif require and require not in (response.text or ""):
                response.failure(f"{require!r} not on the page")
            return response

    def post(self, url: str, data: dict, name: str, **headers):
        """POST a form (urlencoded, lists as repeated fields), without following redirects."""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"{self.host}{url}",
            **headers,
        }
        return self.client.post(
            url,
            data=urlencode(data, doseq=True),
            headers=headers,
            name=name,
            allow_redirects=False,
            catch_response=True,
        )

    def log_in(self) -> None:
        form = self.page("/accounts/login/", "login: form", require="csrfmiddlewaretoken")
        token = CSRF.search(form.text or "")
        if not token:
            raise StopUser()
        data = {
            "login": self.account["email"],
            "password": self.account["password"],
            "csrfmiddlewaretoken": token.group(1),
        }
        with self.post("/accounts/login/", data, "login: password") as response:
            location = (response.headers or {}).get("Location", "")
            if response.status_code != 302:
                response.failure(f"login refused ({response.status_code})")
                raise StopUser()
        if "/2fa/authenticate" in location:
            second = self.page("/accounts/2fa/authenticate/", "login: code form", require='name="code"')
            token = CSRF.search(second.text or "")
            secret = self.account.get("totp_secret")
            if not token or not secret:
                raise StopUser()
            data = {"code": totp(secret), "csrfmiddlewaretoken": token.group(1)}
            with self.post("/accounts/2fa/authenticate/", data, "login: code") as response:
                location = (response.headers or {}).get("Location", "")
                if response.status_code != 302 or "/accounts/" in location:
                    reason = ERRORS.findall(response.text or "")
                    response.failure(f"second factor refused ({response.status_code} {location} {reason})")
                    raise StopUser()

    def cooperative(self) -> int:
        return random.choice(self.cooperatives)

    # --- shared tasks ----------------------------------------------------------------------------

    def home(self):
        self.page("/", "home")

    def cooperative_page(self):
        self.page(f"/cooperatives/{self.cooperative()}/", "cooperative: page")

    def member_list(self):
        self.page(f"/cooperatives/{self.cooperative()}/members/", "cooperative: members")

    def static_file(self):
        self.page("/static/core/mourafaka.css", "static: css")


class RegistryPerson(Person):
    """Head office and delegates: the registry with its filters."""

    abstract = True

    def filters(self) -> dict:
        return {}

    @task(4)
    def dashboard(self):
        self.home()

    @task(6)
    def cooperative_list(self):
        choice = random.random()
        params = self.filters()
        if choice < 0.2:
            name = "cooperatives: list"
        elif choice < 0.45:
            params["q"], name = random.choice(SEARCH_TERMS), "cooperatives: search"
        elif choice < 0.6:
            params["sector"], name = random.choice(self.account["sectors"]), "cooperatives: sector"
        elif choice < 0.75:
            params.update(sector=random.choice(self.account["sectors"]), q="al", rural="yes")
            name = "cooperatives: combined filters"
        elif choice < 0.85:
            params.update(women_led="yes", legal_status_ok="yes")
            name = "cooperatives: women-led"
        else:
            params["page"], name = random.randint(2, 40), "cooperatives: deep page"
        self.page("/cooperatives/", name, params=params)

    @task(5)
    def open_cooperative(self):
        self.cooperative_page()

    @task(3)
    def open_members(self):
        self.member_list()

    @task(2)
    def diagnostics(self):
        self.page("/diagnostics/", "diagnostics: list")

    @task(2)
    def training_sessions(self):
        self.page("/trainings/sessions/", "trainings: sessions")

    @task(2)
    def coaching(self):
        self.page("/coaching/", "coaching: home")

    @task(1)
    def static(self):
        self.static_file()


class Manager(RegistryPerson):
    role = "manager"
    fixed_count = count("manager")

    def filters(self) -> dict:
        return {"region": random.choice(self.account["regions"])} if random.random() < 0.4 else {}

    @task(1)
    def financing(self):
        self.page("/financing/", "financing: home")

    @task(1)
    def statistics(self):
        self.page("/statistics/", "statistics")


class Delegate(RegistryPerson):
    role = "delegate"
    fixed_count = count("delegate")

    def filters(self) -> dict:
        provinces = self.account.get("provinces") or []
        return {"province": random.choice(provinces)} if provinces and random.random() < 0.4 else {}


class Consultant(Person):
    role = "consultant"
    fixed_count = count("consultant")

    @task(3)
    def dashboard(self):
        self.home()

    @task(4)
    def diagnostics(self):
        self.page("/diagnostics/", "diagnostics: list")

    @task(3)
    def diagnostic(self):
        if self.account.get("diagnostics"):
            self.page(f"/diagnostics/{random.choice(self.account['diagnostics'])}/", "diagnostics: page")

    @task(3)
    def fill(self):
        """Open their diagnostic's questionnaire and answer a few questions of the 0-4 scale, each
        saved as it is chosen (htmx, as the page does)."""
        diagnostic = self.account["diagnostic"]
        response = self.page(
            f"/diagnostics/{diagnostic}/fill/", "diagnostics: fill", require="csrfmiddlewaretoken"
        )
        token = CSRF.search(response.text or "")
        questions = self.account.get("questions") or []
        if not token or not questions:
            return
        for question in random.sample(questions, min(3, len(questions))):
            data = {"value": str(random.randint(0, 4)), "csrfmiddlewaretoken": token.group(1)}
            url = f"/diagnostics/{diagnostic}/answers/{question}/"
            with self.post(url, data, "diagnostics: save answer", **{"HX-Request": "true"}) as saved:
                if saved.status_code != 200:
                    saved.failure(f"status {saved.status_code}: {(saved.text or '')[:200]}")

    @task(3)
    def open_cooperative(self):
        self.cooperative_page()

    @task(2)
    def open_members(self):
        self.member_list()


class Trainer(Person):
    role = "trainer"
    fixed_count = count("trainer")

    @task(3)
    def dashboard(self):
        self.home()

    @task(4)
    def sessions(self):
        self.page("/trainings/sessions/", "trainings: sessions")

    @task(3)
    def session(self):
        if self.account.get("sessions"):
            self.page(f"/trainings/sessions/{random.choice(self.account['sessions'])}/", "trainings: session")

    @task(1)
    def modules(self):
        self.page("/trainings/modules/", "trainings: modules")

    @task(2)
    def open_cooperative(self):
        self.cooperative_page()


class Coach(Person):
    role = "coach"
    fixed_count = count("coach")

    def on_start(self):
        super().on_start()
        self.version = None
        self.saves = 0

    @task(3)
    def dashboard(self):
        self.home()

    @task(3)
    def coaching(self):
        self.page("/coaching/", "coaching: home")

    @task(2)
    def engagement(self):
        self.page(f"/coaching/engagements/{self.account['engagement']}/", "coaching: engagement")

    @task(2)
    def open_cooperative(self):
        self.cooperative_page()

    @task(3)
    def write_report(self):
        """Open the visit report, then save the draft twice as the coach types (JSON, as the
        page's script does), each save from the version the previous one returned."""
        visit = self.account["visit"]
        response = self.page(f"/coaching/visits/{visit}/", "coaching: visit report", require='name="version"')
        text = response.text or ""
        token, version = CSRF.search(text), VERSION.search(text)
        if not token or not version:
            return
        self.version = int(version.group(1))
        for typed in range(2):
            self.saves += 1
            data = {
                "csrfmiddlewaretoken": token.group(1),
                "version": str(self.version),
                "held_on": self.account["held_on"],
                "duration_minutes": "90",
                "place": "Local de la coopérative",
                "topics": f"Tenue de la caisse et prix de revient (brouillon {self.saves % 10}).",
                "advice": "Séparer les achats par lot." if typed else "",
                "decisions": "",
                "next_steps": "Préparer la fiche de coût.",
                "members_present": [str(pk) for pk in self.account.get("members", [])[:2]],
            }
            with self.post(
                f"/coaching/visits/{visit}/", data, "coaching: save draft", Accept="application/json"
            ) as saved:
                if saved.status_code != 200:
                    saved.failure(f"status {saved.status_code}: {(saved.text or '')[:200]}")
                    return
                self.version = saved.json()["version"]


class Representative(Person):
    role = "cooperative"
    fixed_count = count("cooperative")

    @task(2)
    def dashboard(self):
        # The home page sends a representative to their cooperative.
        self.page("/", "home (representative)", expect=(302,))

    @task(4)
    def open_cooperative(self):
        self.cooperative_page()

    @task(3)
    def open_members(self):
        self.member_list()

    @task(2)
    def trainings(self):
        self.page("/trainings/my/", "trainings: my")

    @task(2)
    def coaching(self):
        self.page("/coaching/my/", "coaching: my")


class Observer(Person):
    role = "observer"
    fixed_count = count("observer")

    @task(3)
    def dashboard(self):
        self.home()

    @task(2)
    def statistics(self):
        self.page("/statistics/", "statistics")


class ApiClient(FastHttpUser):
    """A program using the API with its token (no session, no login)."""

    role = "api"
    fixed_count = count("api")
    wait_time = between(*WAIT)

    def on_start(self):
        if not ACCOUNTS.get(self.role):
            raise StopUser()
        self.account = ACCOUNTS[self.role].pop(0)
        self.headers = {"Authorization": f"Token {self.account['token']}", "Accept": "application/json"}

    def get(self, url: str, name: str, **params):
        if params:
            url = f"{url}?{urlencode(params)}"
        with self.client.get(
            url, name=name, headers=self.headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")

    @task(4)
    def cooperatives(self):
        params = {}
        if self.account.get("regions") and random.random() < 0.5:
            params["region"] = random.choice(self.account["regions"])
        if self.account.get("provinces") and random.random() < 0.5:
            params["province"] = random.choice(self.account["provinces"])
        self.get("/api/v1/cooperatives/", "api: cooperatives", **params)

    @task(2)
    def search(self):
        self.get("/api/v1/cooperatives/", "api: cooperatives search", q=random.choice(SEARCH_TERMS))

    @task(3)
    def members(self):
        cooperative = random.choice(self.account["cooperatives"])
        self.get("/api/v1/members/", "api: members of a cooperative", cooperative=cooperative)

    @task(2)
    def cooperative(self):
        self.get(f"/api/v1/cooperatives/{random.choice(self.account['cooperatives'])}/", "api: cooperative")

    @task(1)
    def diagnostics(self):
        self.get("/api/v1/diagnostics/", "api: diagnostics")

    @task(1)
    def sessions(self):
        self.get("/api/v1/training-sessions/", "api: training sessions")

    @task(1)
    def visits(self):
        self.get("/api/v1/coaching-visits/", "api: coaching visits")

    @task(1)
    def me(self):
        self.get("/api/v1/me/", "api: me")


@events.test_start.add_listener
def _announce(environment, **kwargs):
    counts = {cls.__name__: cls.fixed_count for cls in environment.user_classes}
    print(f"simulated users by class: {counts}", flush=True)
