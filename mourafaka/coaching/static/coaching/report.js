// The visit report on a weak connection (adapted from diagnostics/autosave.js).
// As the coach types, the form is posted as a draft 800 ms after the last change, with the version
// it was edited from; the answer gives the new version, put back in the form. Before each post the
// values are kept in localStorage and dropped once the server answers. A post that fails for the
// connection (or a server error) is sent again with a growing delay, when the phone comes back online,
// or when the page is opened again. The submit goes the same way and, once accepted, opens the
// read-only report. When the server answers that someone else saved the report meanwhile (409), the
// message is shown, nothing more is sent and the typed text stays on the page: it is never
// overwritten. Strings come from data- attributes (translated by the server); no inline script.
(function () {
  "use strict";

  var done = document.getElementById("report-done");
  if (done) {
    // The report is submitted: whatever was kept on this phone for it has arrived.
    try {
      localStorage.removeItem("mourafaka:visit:" + done.dataset.visit);
    } catch (error) {
      /* nothing kept */
    }
  }

  var form = document.getElementById("report");
  if (!form) return;
  var key = "mourafaka:visit:" + form.dataset.visit;
  var state = form.querySelector(".save-state");
  var version = form.querySelector('[name="version"]');
  var MAX_DELAY = 60000;
  var delay = 1000;
  var typingTimer = null;
  var retryTimer = null;
  var inFlight = false;
  var again = false; // changed while a post was in flight
  var submitWanted = false;
  var stopped = false; // stale or refused: nothing more is sent from this page

  function show(css, text) {
    if (!state) return;
    state.className = "save-state " + css;
    state.textContent = text;
  }

  function csrfToken() {
    var input = form.querySelector('[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function values() {
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && name !== "save" && name !== "submit") data.append(name, value);
    });
    return data;
  }

  function keep(kind) {
    try {
      localStorage.setItem(key, JSON.stringify({ kind: kind, body: values().toString() }));
    } catch (error) {
      /* storage full or disabled: the retry still runs while the page is open */
    }
  }

  function kept() {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function forget() {
    try {
      localStorage.removeItem(key);
    } catch (error) {
      /* nothing kept */
    }
  }

  function showErrors(list) {
    show("refused", (list || []).join(" "));
  }

  function scheduleRetry() {
    show("failed", form.dataset.offline);
    if (retryTimer) return;
    var wait = delay + Math.floor(Math.random() * 500);
    delay = Math.min(delay * 2, MAX_DELAY);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      post();
    }, wait);
  }

  function post() {
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    var submitting = submitWanted;
    keep(submitting ? "submit" : "draft");
    var body = values();
    if (submitting) body.append("submit", "1");
    body.append("csrfmiddlewaretoken", csrfToken());
    inFlight = true;
    again = false;
    show("pending", submitting ? form.dataset.sending : form.dataset.saving);
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: body.toString(),
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            settle(response.status, data, submitting);
          });
      })
      .catch(function () {
        inFlight = false;
        scheduleRetry();
      });
  }

  function settle(status, data, submitting) {
    inFlight = false;
    if (status >= 200 && status < 300) {
      delay = 1000;
      forget();
      if (version && data.version) version.value = data.version;
      if (submitting && data.redirect) {
        window.location.assign(data.redirect);
        return;
      }
      show("saved", data.message || "");
      if (again || submitWanted) post();
    } else if (status === 409) {
      // Someone else saved the report: say so, keep the typed text, send nothing more.
      stopped = true;
      submitWanted = false;
      forget();
      showErrors(data.errors);
    } else if (status === 422) {
      // Refused for a reason the coach must read and fix (a date in the future, a missing field…).
      submitWanted = false;
      forget();
      showErrors(data.errors);
    } else if (status === 403 || status === 404) {
      stopped = true;
      forget();
      show("refused", form.dataset.refused);
    } else {
      scheduleRetry();
    }
  }

  function changed() {
    if (stopped) return;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(post, 800);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (stopped) return;
    clearTimeout(typingTimer);
    var submitter = event.submitter;
    submitWanted = !submitter || submitter.name === "submit";
    post();
  });

  function restore(body) {
    var params = new URLSearchParams(body);
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name || input.name === "csrfmiddlewaretoken" || input.type === "submit") return;
      var chosen = params.getAll(input.name);
      if (input.type === "checkbox" || input.type === "radio") {
        input.checked = chosen.indexOf(input.value) !== -1;
      } else if (input.type !== "button") {
        input.value = chosen.length ? chosen[0] : "";
      }
    });
  }

  // "Use my position": the phone's position fills latitude and longitude.
  var locate = document.getElementById("use-position");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var latitude = form.querySelector('[name="latitude"]');
          var longitude = form.querySelector('[name="longitude"]');
          if (latitude) latitude.value = position.coords.latitude.toFixed(6);
          if (longitude) longitude.value = position.coords.longitude.toFixed(6);
          show("saved", form.dataset.located);
          changed();
        },
        function () {
          show("failed", form.dataset.noPosition);
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // Text kept on this phone from an earlier opening of the page is put back and sent again (with the
  // version it was typed from: if the report moved on meanwhile, the server says so and nothing is
  // overwritten).
  var pending = kept();
  if (pending && pending.body) {
    restore(pending.body);
    submitWanted = pending.kind === "submit";
    show("pending", form.dataset.restored);
    post();
  }
  window.addEventListener("online", function () {
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = null;
      delay = 1000;
      post();
    }
  });
})();
