// The desk page: sign in, pick today's event, scan a card, sell / check in / redeem, undo.
// Plain JavaScript, no build step. It talks to the same JSON API as any ticketing system, with
// the desk's bearer token (kept in sessionStorage: this tab only, gone when it closes).
// Everything from the server is put in the page with textContent, never as HTML.
"use strict";

(() => {
  const MESSAGES = JSON.parse(document.getElementById("messages").textContent);
  const LOCALES = { nl: "nl-BE", fr: "fr-BE", en: "en-GB" };
  const REQUEST_TIMEOUT_MS = 15000;
  const KEYS = { sell: "F2", checkin: "F4", undo: "F8" };
  const STORE = window.sessionStorage;

  const $ = (id) => document.getElementById(id);
  const view = {
    signin: $("signin-view"),
    event: $("event-view"),
    desk: $("desk-view"),
  };

  const state = {
    lang: document.documentElement.lang || "nl",
    token: null,
    expiresAt: 0,
    day: null, // the answer of GET /v1/desk/events
    event: null,
    priceCents: null,
    rewards: [],
    scan: null, // {number, pass, tariffs, checkin, saleKeys, checkinKey}
    seq: 0, // the newest scan wins: late answers of an older scan are dropped
    busy: false,
    undo: [], // {kind, id, number, text}
    pendingReward: null,
    unanswered: new Map(), // a write sent without an answer → its key (kept across scans)
  };

  // --- Words -------------------------------------------------------------------------------

  // t("checkin", {points: 2}, 2) uses "checkin_other" when the number is not 1.
  function t(key, params, count) {
    const table = MESSAGES[state.lang] || MESSAGES.nl;
    if (count !== undefined && count !== 1 && `${key}_other` in MESSAGES.nl) key = `${key}_other`;
    let text = table[key] ?? MESSAGES.nl[key] ?? key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.split(`{${name}}`).join(String(value));
    }
    return text;
  }

  function applyWords() {
    document.documentElement.lang = state.lang;
    document.title = t("pageTitle");
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = t(node.dataset.i18n);
    }
    $("lang").value = state.lang;
  }

  function endUserText(message) {
    if (!message) return "";
    return message[state.lang] || message.nl || Object.values(message)[0] || "";
  }

  function money(cents) {
    const format = { style: "currency", currency: "EUR" };
    return new Intl.NumberFormat(LOCALES[state.lang], format).format(cents / 100);
  }

  function toCents(euro) {
    return Math.round(Number(euro) * 100);
  }

  function dayOf(iso) {
    // "2027-06-11T23:59:59+02:00" → 11/06/2027: the date as the region wrote it, no conversion.
    const [y, m, d] = iso.slice(0, 10).split("-");
    return `${d}/${m}/${y}`;
  }

  function clock(iso) {
    return new Intl.DateTimeFormat(LOCALES[state.lang], {
      hour: "2-digit",
      minute: "2-digit",
      timeZone: state.day ? state.day.timezone : "Europe/Brussels",
    }).format(new Date(iso));
  }

  function localDay(iso) {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: state.day ? state.day.timezone : "Europe/Brussels",
    }).format(new Date(iso));
    return dayOf(parts);
  }

  // --- Card numbers and prices -------------------------------------------------------------

  function luhnValid(number) {
    let sum = 0;
    for (let i = 0; i < number.length; i += 1) {
      let digit = number.charCodeAt(number.length - 1 - i) - 48;
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      sum += digit;
    }
    return sum % 10 === 0;
  }

  function parsePrice(text) {
    const match = /^(\d{1,6})(?:[.,](\d{1,2}))?$/.exec(text.replace(/[\s€]/g, ""));
    if (!match) return null;
    return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
  }

  function euroParam(cents) {
    return (cents / 100).toFixed(2);
  }

  // One key per intended write, made when the intention appears on screen (a sale button, a
  // confirmation) and kept until it succeeds: a second press or a retry after a lost answer
  // sends the same key, and the server answers the first result instead of selling twice.
  // crypto.getRandomValues also works on plain http inside a LAN (randomUUID does not).
  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return `desk-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  }

  // --- The API -----------------------------------------------------------------------------

  class DeskError extends Error {
    constructor(kind, problem, status, retryAfter) {
      super(kind);
      this.kind = kind; // network, expired, problem
      this.problem = problem || {};
      this.status = status || 0;
      this.retryAfter = retryAfter;
    }
  }

  async function api(method, path, options = {}) {
    const headers = { Accept: "application/json" };
    let body;
    if (options.form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(options.form);
    } else {
      if (!state.token || Date.now() >= state.expiresAt) throw new DeskError("expired");
      headers.Authorization = `Bearer ${state.token}`;
      if (options.body !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(options.body);
      }
    }
    if (options.key) headers["Idempotency-Key"] = options.key;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body,
        cache: "no-store",
        credentials: "omit",
        signal: abort.signal,
      });
    } catch {
      throw new DeskError("network");
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.status === 401 && !options.form) throw new DeskError("expired", data, 401);
    if (!response.ok) {
      throw new DeskError("problem", data, response.status, response.headers.get("Retry-After"));
    }
    return data;
  }

  const PROBLEM_WORDS = {
    "card-blocked": "errCardBlocked",
    "pass-not-found": "errPassNotFound",
    "invalid-uitpas-number": "errCheckDigit",
    forbidden: "errForbidden",
    "invalid-client": "errSignIn",
    "event-not-found": "errEventNotFound",
    "idempotency-in-progress": "errBusy",
    "points-already-spent": "errPointsSpent",
    "internal-error": "errServer",
  };

  function sentence(error) {
    if (error.kind === "network") return t("errNetwork");
    if (error.kind === "expired") return t("errExpired");
    const problem = error.problem;
    const told = endUserText(problem.endUserMessage);
    if (told) return told;
    if (PROBLEM_WORDS[problem.code]) return t(PROBLEM_WORDS[problem.code]);
    if (error.status >= 500) return t("errServer");
    return t("errOther", { detail: problem.detail || problem.title || error.status });
  }

  // --- Screens -----------------------------------------------------------------------------

  function show(name) {
    for (const [key, section] of Object.entries(view)) section.hidden = key !== name;
    $("sign-out").hidden = name === "signin";
    for (const id of ["signin-alert", "event-alert", "desk-alert"]) clearAlert(id);
  }

  function alertIn(id, text) {
    const box = $(id);
    box.textContent = text;
    box.hidden = false;
  }

  function clearAlert(id) {
    const box = $(id);
    box.textContent = "";
    box.hidden = true;
  }

  function announce(text) {
    const box = $("desk-done");
    box.textContent = text;
    box.hidden = !text;
  }

  function saveSession() {
    STORE.setItem("desk.token", JSON.stringify({ token: state.token, expiresAt: state.expiresAt }));
  }

  function askSignIn(reason) {
    state.token = null;
    state.expiresAt = 0;
    STORE.removeItem("desk.token");
    show("signin");
    const box = $("signin-reason");
    box.textContent = reason || "";
    box.hidden = !reason;
    const id = $("client-id");
    (id.value ? $("client-secret") : id).focus();
  }

  function handle(error, alertId) {
    if (error.kind === "expired") {
      askSignIn(t("errExpired"));
      return;
    }
    alertIn(alertId, sentence(error));
  }

  // --- Sign in -----------------------------------------------------------------------------

  async function signIn(event) {
    event.preventDefault();
    clearAlert("signin-alert");
    const clientId = $("client-id").value.trim();
    const secret = $("client-secret").value;
    if (!clientId || !secret) {
      alertIn("signin-alert", t("errSignInEmpty"));
      (clientId ? $("client-secret") : $("client-id")).focus();
      return;
    }
    const button = $("signin-button");
    button.disabled = true;
    try {
      const answer = await api("POST", "/oauth/token", {
        form: { grant_type: "client_credentials", client_id: clientId, client_secret: secret },
      });
      // Relative to this browser's clock: the server's and ours need not agree.
      state.token = answer.access_token;
      state.expiresAt = Date.now() + answer.expires_in * 1000;
      if (STORE.getItem("desk.client") !== clientId) forgetDesk(); // another desk: start over
      STORE.setItem("desk.client", clientId);
      saveSession();
      $("client-secret").value = "";
      $("signin-reason").hidden = true;
      if (state.event && state.priceCents !== null) {
        showDesk(); // back to where the staff were, with the card on screen
      } else {
        await loadEvents();
      }
    } catch (error) {
      alertIn("signin-alert", error.status === 401 ? t("errSignIn") : sentence(error));
      $("client-secret").select();
    } finally {
      button.disabled = false;
    }
  }

  function forgetDesk() {
    state.day = null;
    state.event = null;
    state.priceCents = null;
    state.scan = null;
    state.undo = [];
    state.rewards = [];
    state.unanswered.clear();
    STORE.removeItem("desk.event");
    $("where").hidden = true;
    renderResult();
    renderUndo();
  }

  function signOut() {
    forgetDesk();
    askSignIn("");
  }

  // --- Choose the event --------------------------------------------------------------------

  async function loadEvents({ resume = false } = {}) {
    try {
      state.day = await api("GET", "/v1/desk/events");
    } catch (error) {
      // Signed in, but not as a desk of an organizer (or the server is out of reach).
      askSignIn(error.kind === "expired" ? t("errExpired") : "");
      if (error.kind !== "expired") alertIn("signin-alert", sentence(error));
      return;
    }
    renderEvents();
    if (resume && resumeDesk()) return;
    show("event");
    const chosen = document.querySelector("#event-list input:checked");
    (chosen || $("regular-price")).focus();
  }

  function eventWhen(item) {
    if (!item.starts_at) return t("permanent");
    const startDay = localDay(item.starts_at);
    const endDay = localDay(item.ends_at);
    if (startDay === endDay) return `${clock(item.starts_at)} – ${clock(item.ends_at)}`;
    return t("fromTo", { from: startDay, to: endDay });
  }

  function renderEvents() {
    const day = state.day;
    if (!day) return;
    $("where").textContent = day.desk ? day.desk.name : day.organizer.name;
    $("where").hidden = false;
    $("event-legend").textContent = t("todayAt", {
      date: dayOf(day.date),
      organizer: day.organizer.name,
    });
    const list = $("event-list");
    list.replaceChildren();
    const remembered = state.event ? state.event.id : STORE.getItem("desk.event");
    day.events.forEach((item, index) => {
      const id = `event-${index}`;
      const row = document.createElement("div");
      row.className = "choice";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "event";
      input.id = id;
      input.value = item.id;
      input.checked = item.id === remembered || (index === 0 && !remembered);
      const label = document.createElement("label");
      label.htmlFor = id;
      const title = document.createElement("span");
      title.className = "choice-title";
      title.textContent = item.title;
      const when = document.createElement("span");
      when.className = "choice-when";
      when.textContent = eventWhen(item);
      label.append(title, when);
      row.append(input, label);
      list.append(row);
    });
    if (!document.querySelector("#event-list input:checked") && day.events.length) {
      list.querySelector("input").checked = true;
    }
    const none = day.events.length === 0;
    $("no-events").hidden = !none;
    $("no-events").textContent = none ? t("noEvents", { organizer: day.organizer.name }) : "";
    $("event-start").disabled = none;
    fillPrice();
  }

  // After a reload in the same tab: the event and price chosen before, if still on today's list.
  function resumeDesk() {
    const id = STORE.getItem("desk.event");
    const found = state.day.events.find((item) => item.id === id);
    const cents = id === null ? null : STORE.getItem(`desk.price.${id}`);
    if (!found || cents === null) return false;
    state.event = found;
    state.priceCents = Number(cents);
    showDesk();
    loadRewards();
    return true;
  }

  function fillPrice() {
    const chosen = document.querySelector("#event-list input:checked");
    if (!chosen) return;
    const stored = STORE.getItem(`desk.price.${chosen.value}`);
    if (stored === null) return;
    const text = (Number(stored) / 100).toFixed(2);
    $("regular-price").value = state.lang === "en" ? text : text.replace(".", ",");
  }

  function chooseEvent(submitted) {
    submitted.preventDefault();
    clearAlert("event-alert");
    const chosen = document.querySelector("#event-list input:checked");
    if (!chosen) {
      alertIn("event-alert", t("errNoEvent"));
      return;
    }
    const cents = parsePrice($("regular-price").value);
    if (cents === null) {
      alertIn("event-alert", t("errPrice"));
      $("regular-price").focus();
      return;
    }
    state.event = state.day.events.find((item) => item.id === chosen.value);
    state.priceCents = cents;
    STORE.setItem("desk.event", state.event.id);
    STORE.setItem(`desk.price.${state.event.id}`, String(cents));
    state.scan = null;
    renderResult();
    showDesk();
    loadRewards();
  }

  // --- The desk ----------------------------------------------------------------------------

  function showDesk() {
    show("desk");
    renderDeskHead();
    renderResult();
    renderUndo();
    focusScan();
  }

  function renderDeskHead() {
    if (!state.event) return;
    $("desk-title").textContent = state.event.title;
    $("desk-sub").textContent = t("deskSub", {
      when: eventWhen(state.event),
      price: money(state.priceCents),
    });
  }

  function focusScan() {
    if (view.desk.hidden || $("confirm").open) return;
    $("scan").focus();
  }

  async function onScan(submitted) {
    submitted.preventDefault();
    clearAlert("desk-alert");
    const field = $("scan");
    const number = field.value.replace(/\s+/g, "");
    if (!/^\d{13}$/.test(number)) {
      alertIn("desk-alert", t("errLength", { count: number.length }));
      field.select();
      return;
    }
    if (!luhnValid(number)) {
      alertIn("desk-alert", t("errCheckDigit"));
      field.select();
      return;
    }
    field.value = "";
    await lookUp(number);
  }

  async function lookUp(number) {
    const seq = ++state.seq;
    announce("");
    state.scan = null;
    renderResult();
    $("result-loading").hidden = false;
    try {
      const scan = await fetchScan(number);
      if (seq !== state.seq) return;
      state.scan = scan;
    } catch (error) {
      if (seq !== state.seq) return;
      handle(error, "desk-alert");
    } finally {
      if (seq === state.seq) $("result-loading").hidden = true;
    }
    renderResult();
  }

  async function fetchScan(number) {
    const pass = await api("GET", `/passes?identifier=${encodeURIComponent(number)}`);
    const [tariffs, checkin] = await Promise.all([fetchTariffs(number), fetchCheckin(number)]);
    const saleKeys = {};
    for (const tariff of tariffs.available) {
      const key = state.unanswered.get(saleName(number, tariff.id)) || newKey();
      saleKeys[tariff.id] = { key, done: false };
    }
    return { number, pass, tariffs, checkin, saleKeys, checkinKey: newKey() };
  }

  // A sale whose answer never came may have been made. Scanning the same card again for the
  // same ticket reuses its key, so the server answers with that sale instead of a second one.
  function saleName(number, tariffId) {
    return [state.event.id, number, tariffId, state.priceCents].join("|");
  }

  function eventQuery(number) {
    return `uitpasNumber=${number}&eventId=${encodeURIComponent(state.event.id)}`;
  }

  function fetchTariffs(number) {
    const price = euroParam(state.priceCents);
    return api("GET", `/tariffs?${eventQuery(number)}&regularPrice=${price}`);
  }

  function fetchCheckin(number) {
    return api("GET", `/checkin-status?${eventQuery(number)}`).catch((error) => {
      if (error.kind === "expired") throw error;
      return { allowed: false, error: sentence(error) };
    });
  }

  // After a write, the card on screen is read again. After a sale the price panel stays as it
  // was, marked sold: a fresh quote would now say "no reduced rate" (the ticket limit is used)
  // and could make staff charge the regular price for the ticket they just sold. Only undoing a
  // sale quotes again; the next ticket for the same card is a new scan.
  async function refresh(scan, { requote = false } = {}) {
    if (!scan || state.scan !== scan) return;
    const seq = state.seq;
    try {
      if (requote) {
        const fresh = await fetchScan(scan.number);
        if (seq === state.seq) state.scan = fresh;
      } else {
        const number = scan.number;
        const [pass, checkin] = await Promise.all([
          api("GET", `/passes?identifier=${encodeURIComponent(number)}`),
          fetchCheckin(number),
        ]);
        if (seq === state.seq && state.scan === scan) {
          scan.pass = pass;
          scan.checkin = checkin;
          scan.checkinKey = newKey();
        }
      }
    } catch (error) {
      if (seq === state.seq) handle(error, "desk-alert");
    }
    renderResult();
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function keyHint(key) {
    const hint = element("kbd", "key", key);
    hint.setAttribute("aria-hidden", "true");
    return hint;
  }

  function statusLine(pass) {
    const social = pass.socialTariff || { status: "NONE" };
    if (pass.passType === "GROUP") return t("groupPass");
    if (social.status === "ACTIVE" && social.inGracePeriod) {
      return t("statusGrace", { date: dayOf(social.endDate) });
    }
    if (social.status === "ACTIVE") {
      if (!social.endDate) return t("statusActiveOpen");
      return t("statusActive", { date: dayOf(social.endDate) });
    }
    if (social.status === "EXPIRED") return t("statusExpired", { date: dayOf(social.endDate) });
    return t("statusNone");
  }

  function renderResult() {
    const result = $("result");
    const scan = state.scan;
    result.hidden = !scan;
    if (!scan) {
      $("holder").replaceChildren();
      $("prices").replaceChildren();
      $("checkin-area").replaceChildren();
      $("rewards-area").replaceChildren();
      return;
    }
    renderHolder(scan);
    renderPrices(scan);
    renderCheckin(scan);
    renderRewards(scan);
  }

  function renderHolder(scan) {
    const pass = scan.pass;
    const holder = $("holder");
    holder.replaceChildren();
    holder.append(element("h2", "holder-name", pass.firstName));
    const facts = element("dl", "facts");
    const pairs = [
      ["card", t("cardNumber"), pass.uitpasNumber],
      ["points", t("points"), String(pass.points)],
      ["status", t("status"), statusLine(pass)],
    ];
    for (const [fact, term, value] of pairs) {
      const row = element("div", "fact");
      row.dataset.fact = fact;
      row.append(element("dt", "", term), element("dd", "", value));
      facts.append(row);
    }
    holder.append(facts);
    const social = pass.socialTariff || {};
    holder.dataset.status = pass.passType === "GROUP" ? "GROUP" : social.status || "NONE";
    // The engine's explanation is shown with the price; a status message saying the same
    // thing is not repeated here.
    const told = Object.values(scan.tariffs.endUserMessage || {});
    const messages = (pass.messages || []).filter((message) => !told.includes(message.text));
    if (messages.length) {
      const list = element("ul", "messages");
      for (const message of messages) {
        const item = element("li", `message message-${message.level.toLowerCase()}`, message.text);
        list.append(item);
      }
      holder.append(list);
    }
  }

  function renderPrices(scan) {
    const area = $("prices");
    area.replaceChildren(element("h2", "section-title", t("priceTitle")));
    const available = scan.tariffs.available;
    const why = endUserText(scan.tariffs.endUserMessage);
    if (available.length === 0) {
      const box = element("div", "tariff tariff-none");
      box.id = "no-reduced-rate";
      box.append(element("p", "tariff-label", t("noReducedRate")));
      box.append(element("p", "amount", money(state.priceCents)));
      box.append(element("p", "tariff-note", t("chargeRegular")));
      if (why) {
        const reason = element("div", "why");
        reason.append(element("p", "why-title", t("why")));
        const text = element("p", "why-text", why);
        text.id = "why-text";
        reason.append(text);
        box.append(reason);
      }
      area.append(box);
      return;
    }
    available.forEach((tariff, index) => {
      const cents = toCents(tariff.price);
      const social = tariff.type === "SOCIALTARIFF";
      const box = element("div", social ? "tariff tariff-social" : "tariff");
      if (social) box.append(element("p", "tariff-kind", t("kansentarief")));
      box.append(element("p", "tariff-label", tariff.name));
      const amount = element("p", "amount", money(cents));
      amount.dataset.testid = "price";
      box.append(amount);
      box.append(element("p", "tariff-note", t("insteadOf", { price: money(state.priceCents) })));
      if (tariff.remaining > 1) {
        box.append(element("p", "tariff-note", t("remaining", { count: tariff.remaining })));
      }
      const intent = scan.saleKeys[tariff.id];
      const button = element("button", "sell primary");
      button.type = "button";
      button.dataset.tariff = tariff.id;
      const label = intent.done ? t("sold") : t("sell", { price: money(cents) });
      button.append(element("span", "", label));
      if (index === 0 && !intent.done) button.append(keyHint(KEYS.sell));
      button.disabled = intent.done || state.busy;
      button.addEventListener("click", () => sell(tariff.id));
      box.append(button);
      area.append(box);
    });
    if (why) area.append(element("p", "note", why));
  }

  function renderCheckin(scan) {
    const area = $("checkin-area");
    area.replaceChildren();
    area.append(element("h2", "section-title", t("checkinTitle")));
    if (!scan.checkin.allowed) {
      const reason =
        scan.checkin.error || endUserText(scan.checkin.endUserMessage) || t("checkinNo");
      const text = element("p", "note", reason);
      text.id = "checkin-why";
      area.append(text);
      return;
    }
    const button = element("button", "checkin");
    button.type = "button";
    button.id = "checkin";
    const points = state.event.checkin_points;
    button.append(element("span", "", t("checkin", { points }, points)), keyHint(KEYS.checkin));
    button.disabled = state.busy;
    button.addEventListener("click", checkIn);
    area.append(button);
  }

  function renderRewards(scan) {
    const area = $("rewards-area");
    area.replaceChildren();
    if (scan.pass.passType === "GROUP" || state.rewards.length === 0) return;
    area.append(element("h2", "section-title", t("rewardsTitle")));
    const list = element("ul", "rewards");
    for (const reward of state.rewards) {
      const item = element("li", "reward");
      const text = element("span", "reward-title", reward.title);
      const cost =
        reward.type === "WELCOME"
          ? t("welcome")
          : t("pointsCost", { points: reward.points }, reward.points);
      const button = element("button", "redeem");
      button.type = "button";
      button.dataset.reward = reward.id;
      button.textContent = t("redeem");
      button.setAttribute("aria-label", `${t("redeem")}: ${reward.title} (${cost})`);
      button.disabled = state.busy || (reward.points || 0) > scan.pass.points;
      button.addEventListener("click", () => askRedeem(reward));
      item.append(text, element("span", "reward-cost", cost), button);
      list.append(item);
    }
    area.append(list);
  }

  // While a write runs every action button is disabled (a second press does nothing); when it
  // is done, the buttons are drawn again from the state.
  function setBusy(busy) {
    state.busy = busy;
    $("desk-view").setAttribute("aria-busy", busy ? "true" : "false");
    if (busy) {
      for (const button of document.querySelectorAll("#result button, #undo")) {
        button.disabled = true;
      }
    } else {
      renderUndo();
      renderResult();
    }
  }

  async function write(method, path, body, key) {
    // A duplicate of a request still running answers 409 with Retry-After: wait and ask again
    // with the same key, which returns the first request's answer once it is done.
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await api(method, path, { body, key });
      } catch (error) {
        const again = error.problem && error.problem.code === "idempotency-in-progress";
        if (!again || attempt >= 4) throw error;
        const seconds = Number(error.retryAfter) || 1;
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      }
    }
  }

  async function sell(tariffId) {
    const scan = state.scan;
    if (!scan || state.busy) return;
    const intent = scan.saleKeys[tariffId];
    if (!intent || intent.done) return;
    clearAlert("desk-alert");
    setBusy(true);
    const name = saleName(scan.number, tariffId);
    try {
      const body = [
        {
          regularPrice: state.priceCents / 100,
          tariff: { id: tariffId },
          eventId: state.event.id,
          uitpasNumber: scan.number,
        },
      ];
      state.unanswered.set(name, intent.key);
      const [sale] = await write("POST", "/ticket-sales", body, intent.key);
      state.unanswered.delete(name);
      intent.done = true;
      const price = money(toCents(sale.tariff.price));
      pushUndo({
        kind: "sale",
        id: sale.id,
        number: scan.number,
        text: t("undoSale", { tariff: sale.tariff.name, price, name: scan.pass.firstName }),
      });
      announce(t("soldTo", { price, name: scan.pass.firstName }));
    } catch (error) {
      // Refused (no answer was lost): a new attempt may use a new key.
      if (error.kind === "problem") state.unanswered.delete(name);
      handle(error, "desk-alert");
    } finally {
      setBusy(false);
      focusScan();
    }
  }

  async function checkIn() {
    const scan = state.scan;
    if (!scan || state.busy || !scan.checkin.allowed) return;
    clearAlert("desk-alert");
    setBusy(true);
    try {
      const done = await write(
        "POST",
        "/checkins",
        { eventId: state.event.id, uitpasNumber: scan.number },
        scan.checkinKey,
      );
      pushUndo({
        kind: "checkin",
        id: done.id,
        number: scan.number,
        text: t("undoCheckin", { name: scan.pass.firstName }),
      });
      announce(t("checkedIn", { name: scan.pass.firstName, points: done.points }, done.points));
      await refresh(scan);
    } catch (error) {
      handle(error, "desk-alert");
    } finally {
      setBusy(false);
      focusScan();
    }
  }

  // --- Rewards -----------------------------------------------------------------------------

  async function loadRewards() {
    if (!state.day) return;
    try {
      const organizer = encodeURIComponent(state.day.organizer.id);
      const answer = await api("GET", `/rewards?organizerId=${organizer}&type=ANY&limit=50`);
      state.rewards = answer.member;
    } catch (error) {
      state.rewards = [];
      if (error.kind === "expired") return askSignIn(t("errExpired"));
    }
    if (state.scan) renderRewards(state.scan);
  }

  async function askRedeem(reward) {
    const scan = state.scan;
    if (!scan || state.busy) return;
    clearAlert("desk-alert");
    let status;
    try {
      const query = `uitpasNumber=${scan.number}`;
      status = await api("GET", `/rewards/${encodeURIComponent(reward.id)}/redeem-status?${query}`);
    } catch (error) {
      handle(error, "desk-alert");
      return;
    }
    const before = scan.pass.points;
    const after = before - (reward.points || 0);
    $("confirm-reward").textContent = reward.title;
    $("confirm-before").textContent = String(before);
    $("confirm-after").textContent = String(after);
    $("confirm-points").hidden = !status.redeemable;
    $("confirm-refused").hidden = status.redeemable;
    $("confirm-refused").textContent = status.redeemable ? "" : endUserText(status.endUserMessage);
    $("confirm-ok").hidden = !status.redeemable;
    const key = state.unanswered.get(`reward|${scan.number}|${reward.id}`) || newKey();
    state.pendingReward = status.redeemable ? { reward, key, before, after } : null;
    $("confirm").showModal();
    (status.redeemable ? $("confirm-ok") : $("confirm-cancel")).focus();
  }

  async function redeem() {
    const pending = state.pendingReward;
    const scan = state.scan;
    if (!pending || !scan || state.busy) return;
    setBusy(true);
    $("confirm-ok").disabled = true;
    $("confirm-refused").hidden = true;
    let closed = false;
    const name = `reward|${scan.number}|${pending.reward.id}`;
    try {
      state.unanswered.set(name, pending.key);
      const done = await write(
        "POST",
        "/rewards/redeemed",
        { rewardId: pending.reward.id, uitpasNumber: scan.number },
        pending.key,
      );
      state.unanswered.delete(name);
      closed = true;
      $("confirm").close();
      pushUndo({
        kind: "reward",
        id: done.id,
        number: scan.number,
        text: t("undoReward", { reward: pending.reward.title, name: scan.pass.firstName }),
      });
      const left = pending.after;
      announce(t("redeemed", { reward: pending.reward.title, points: left }, left));
      await Promise.all([refresh(scan), loadRewards()]);
    } catch (error) {
      if (error.kind === "problem") state.unanswered.delete(name);
      if (error.kind === "expired" || closed) {
        $("confirm").close();
        handle(error, "desk-alert");
      } else {
        // The dialog stays open with its key: confirming again cannot redeem twice.
        $("confirm-refused").textContent = sentence(error);
        $("confirm-refused").hidden = false;
      }
    } finally {
      $("confirm-ok").disabled = false;
      setBusy(false);
      focusScan();
    }
  }

  // --- Undo --------------------------------------------------------------------------------

  const UNDO_PATHS = {
    sale: "/ticket-sales/",
    checkin: "/checkins/",
    reward: "/rewards/redeemed/",
  };

  function pushUndo(action) {
    state.undo.push(action);
    renderUndo();
  }

  function renderUndo() {
    const last = state.undo[state.undo.length - 1];
    $("undo").disabled = !last || state.busy;
    $("undo-what").textContent = last ? last.text : t("nothingToUndo");
  }

  async function undo() {
    const last = state.undo[state.undo.length - 1];
    if (!last || state.busy) return;
    clearAlert("desk-alert");
    setBusy(true);
    try {
      await api("DELETE", UNDO_PATHS[last.kind] + encodeURIComponent(last.id));
      state.undo.pop();
      announce(t("undone", { what: last.text }));
      const reloads = [];
      if (last.kind === "reward") reloads.push(loadRewards());
      if (state.scan && state.scan.number === last.number) {
        reloads.push(refresh(state.scan, { requote: last.kind === "sale" }));
      }
      await Promise.all(reloads);
    } catch (error) {
      handle(error, "desk-alert");
    } finally {
      setBusy(false);
      focusScan();
    }
  }

  // --- Keys and focus ----------------------------------------------------------------------

  function isField(node) {
    return node instanceof HTMLInputElement || node instanceof HTMLSelectElement ||
      node instanceof HTMLTextAreaElement;
  }

  document.addEventListener("keydown", (event) => {
    if (view.desk.hidden || $("confirm").open) return;
    if (event.key === KEYS.sell) {
      event.preventDefault();
      const first = state.scan && state.scan.tariffs.available[0];
      if (first) sell(first.id);
    } else if (event.key === KEYS.checkin) {
      event.preventDefault();
      checkIn();
    } else if (event.key === KEYS.undo) {
      event.preventDefault();
      undo();
    } else if (event.key === "Escape") {
      state.scan = null;
      announce("");
      clearAlert("desk-alert");
      renderResult();
      focusScan();
    } else if (/^[0-9]$/.test(event.key) && !isField(event.target) &&
      !event.ctrlKey && !event.altKey && !event.metaKey) {
      // A scanner "types" wherever the focus is: send its digits to the scan field.
      event.preventDefault();
      $("scan").focus();
      $("scan").value += event.key;
    }
  });

  // The scan field keeps the focus: when it loses it to something that is not a control (a
  // click on the page), it takes it back; a button or a field keeps it (Tab works), and every
  // action gives it back when it is done.
  $("scan").addEventListener("blur", () => {
    setTimeout(() => {
      const active = document.activeElement;
      if (!active || !active.matches("input, select, textarea, button, a[href], dialog *")) {
        focusScan();
      }
    }, 0);
  });

  // --- Wiring ------------------------------------------------------------------------------

  $("signin-form").addEventListener("submit", signIn);
  $("event-form").addEventListener("submit", chooseEvent);
  $("event-list").addEventListener("change", fillPrice);
  $("scan-form").addEventListener("submit", onScan);
  $("undo").addEventListener("click", undo);
  $("change-event").addEventListener("click", () => {
    state.scan = null;
    renderResult();
    loadEvents();
  });
  $("sign-out").addEventListener("click", signOut);
  $("confirm-ok").addEventListener("click", (event) => {
    event.preventDefault();
    redeem();
  });
  $("confirm").addEventListener("close", () => {
    state.pendingReward = null;
    focusScan();
  });
  $("lang").addEventListener("change", () => {
    state.lang = $("lang").value in MESSAGES ? $("lang").value : "nl";
    window.localStorage.setItem("desk.lang", state.lang);
    applyWords();
    if (!view.event.hidden) renderEvents();
    renderDeskHead();
    renderResult();
    renderUndo();
  });

  function start() {
    const asked = new URLSearchParams(window.location.search).get("lang");
    const remembered = window.localStorage.getItem("desk.lang");
    if (!asked && remembered && remembered in MESSAGES) state.lang = remembered;
    applyWords();
    renderUndo();
    $("client-id").value = STORE.getItem("desk.client") || "";
    let saved = null;
    try {
      saved = JSON.parse(STORE.getItem("desk.token") || "null");
    } catch {
      saved = null;
    }
    if (saved && saved.token && Date.now() < saved.expiresAt) {
      state.token = saved.token;
      state.expiresAt = saved.expiresAt;
      loadEvents({ resume: true });
    } else {
      askSignIn(saved ? t("errExpired") : "");
    }
  }

  start();
})();
