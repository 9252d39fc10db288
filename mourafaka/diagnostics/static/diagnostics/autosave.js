// Keeps every answer of a diagnostic safe on a weak connection.
// htmx posts each question's form on change. Before each post the values are kept in localStorage;
// they are dropped once the server confirms. When a post fails (network down, server error) the
// question shows "not saved — retrying" and the values are posted again with a growing delay, and
// again when the device comes back online or the page is reopened. Strings come from data-
// attributes of #autosave (translated by the server); no inline script (strict CSP).
(function () {
  "use strict";

  var root = document.getElementById("autosave");
  if (!root) return;
  var prefix = "mourafaka:diagnostic:" + root.dataset.diagnostic + ":";
  var delays = {};
  var timers = {};
  var MAX_DELAY = 60000;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function stateOf(form) {
    return form.querySelector(".save-state");
  }

  function show(form, css, text) {
    var state = stateOf(form);
    if (!state) return;
    state.className = "save-state " + css;
    state.textContent = text;
  }

  function values(form) {
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") data.append(name, value);
    });
    return data.toString();
  }

  function remember(form) {
    try {
      localStorage.setItem(prefix + form.dataset.autosave, JSON.stringify({ url: form.action, body: values(form) }));
    } catch (error) {
      /* storage full or disabled: the retry below still runs while the page is open */
    }
  }

  function forget(question) {
    try {
      localStorage.removeItem(prefix + question);
    } catch (error) {
      /* nothing kept */
    }
    delete delays[question];
    clearTimeout(timers[question]);
    delete timers[question];
  }

  function pending(question) {
    try {
      return JSON.parse(localStorage.getItem(prefix + question) || "null");
    } catch (error) {
      return null;
    }
  }

  function replaceState(form, html) {
    var state = stateOf(form);
    if (!state) return;
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector(".save-state");
    if (fresh) state.replaceWith(fresh);
  }

  function scheduleRetry(form) {
    var question = form.dataset.autosave;
    show(form, "failed", root.dataset.retrying);
    if (timers[question]) return;
    var delay = delays[question] || 1000;
    delays[question] = Math.min(delay * 2, MAX_DELAY);
    timers[question] = setTimeout(function () {
      delete timers[question];
      resend(form);
    }, delay + Math.floor(Math.random() * 500));
  }

  function resend(form) {
    var question = form.dataset.autosave;
    var kept = pending(question);
    var body = kept ? kept.body : values(form);
    var params = new URLSearchParams(body);
    params.append("csrfmiddlewaretoken", csrfToken());
    fetch(kept ? kept.url : form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: params.toString(),
    })
      .then(function (response) {
        return response.text().then(function (html) {
          settle(form, response.status, html);
        });
      })
      .catch(function () {
        scheduleRetry(form);
      });
  }

  // What to do with the server's answer to a post (htmx or retry).
  function settle(form, status, html) {
    var question = form.dataset.autosave;
    if (status >= 200 && status < 300) {
      forget(question);
      replaceState(form, html);
    } else if (status === 422) {
      forget(question); // refused for a reason the consultant must read and fix
      replaceState(form, html);
    } else if (status === 403 || status === 404) {
      forget(question);
      show(form, "refused", root.dataset.refused);
    } else {
      scheduleRetry(form);
    }
  }

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-autosave]");
    if (!form || !root.contains(form)) return;
    remember(form);
    show(form, "pending", root.dataset.pending);
  });

  // A refused answer (422) carries its reason: let htmx swap it in like a success.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-autosave]");
    if (!form || !root.contains(form)) return;
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (status >= 200 && status < 300) {
      forget(form.dataset.autosave);
    } else if (status === 422 || status === 403 || status === 404) {
      settle(form, status, xhr.responseText);
    } else {
      scheduleRetry(form);
    }
  });

  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.body.addEventListener(name, function (event) {
      var form = event.target.closest && event.target.closest("form[data-autosave]");
      if (form && root.contains(form)) scheduleRetry(form);
    });
  });

  function restore(form, body) {
    var params = new URLSearchParams(body);
    var chosen = params.getAll("value");
    form.querySelectorAll('[name="value"]').forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = chosen.indexOf(input.value) !== -1;
      } else {
        input.value = chosen.length ? chosen[0] : "";
      }
    });
  }

  function resendAllPending() {
    root.querySelectorAll("form[data-autosave]").forEach(function (form) {
      var question = form.dataset.autosave;
      if (!pending(question)) return;
      // Back online: send now rather than wait for the next delayed retry.
      clearTimeout(timers[question]);
      delete timers[question];
      delays[question] = 1000;
      resend(form);
    });
  }

  // Answers kept on this device from an earlier visit are shown and sent again.
  root.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var kept = pending(form.dataset.autosave);
    if (kept) {
      restore(form, kept.body);
      show(form, "pending", root.dataset.restored);
    }
  });
  resendAllPending();
  window.addEventListener("online", resendAllPending);
})();
