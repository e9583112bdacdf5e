// The page plays Slack: it sends signed requests to the bot's /slack/events, and draws what the bot sent
// to the fake Slack Web API and response_url (read from /demo/calls). It knows nothing else of the bot.
"use strict";

const App = (() => {
  const state = {
    config: null,
    channel: null, // current channel id
    messages: [], // {id, channel, ts, author, ephemeral, text, blocks, unfurls, unfurlId, replyTo}
    responseTargets: {}, // response_url id -> {channel, messageId, pending: Promise, origin}
    seq: 0,
    tz: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    modal: null, // {view, id}
    home: null,
    view: "channel", // or "home"
    log: [],
  };
  let nextId = 1;
  let tsCounter = 0;
  const $ = (sel) => document.querySelector(sel);

  function newTs() {
    tsCounter = (tsCounter + 1) % 1000;
    return `${Math.floor(Date.now() / 1000)}.${String(Date.now() % 1000).padStart(3, "0")}${String(tsCounter).padStart(3, "0")}`;
  }
  function rid() {
    return Math.random().toString(36).slice(2, 12);
  }
  function channelName(id) {
    const c = state.config.channels.find((x) => x.id === id);
    return c ? c.name : id;
  }
  function opts() {
    const channels = {};
    state.config.channels.forEach((c) => { channels[c.id] = c.name; });
    return { tz: state.tz, users: state.config.users, channels, now: new Date() };
  }

  // --- talking to the bot, as Slack does -----------------------------------------------------------
  async function signed(body, contentType) {
    const sig = await (await fetch("/demo/sign", { method: "POST", body })).json();
    return fetch("/slack/events", { method: "POST", headers: { "content-type": contentType, ...sig }, body });
  }
  function form(fields) {
    return new URLSearchParams(fields).toString();
  }
  function interactivity(payload) {
    return signed(form({ payload: JSON.stringify(payload) }), "application/x-www-form-urlencoded");
  }
  function envelope(event) {
    const c = state.config;
    const ch = state.config.channels.find((x) => x.id === event.channel);
    return {
      token: "demo", team_id: c.team.id, api_app_id: c.bot.app_id, event, type: "event_callback",
      event_id: "Ev" + rid().toUpperCase(), event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: c.team.id, user_id: c.bot.id, is_bot: true }],
      is_ext_shared_channel: !!(ch && ch.shared),
    };
  }
  function user() {
    const c = state.config;
    return { id: c.reader.id, username: "alex.agent", name: "alex.agent", team_id: c.team.id };
  }

  async function slashCommand(text) {
    const c = state.config;
    const [command, ...rest] = text.split(" ");
    if (command !== "/pendo") {
      addMessage({ channel: state.channel, author: "slackbot", ephemeral: true, text: `${command} is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.` });
      return;
    }
    const id = rid();
    const target = { channel: state.channel, messageId: null, origin: "command" };
    let release;
    target.pending = new Promise((r) => { release = r; });
    state.responseTargets[id] = target;
    const body = form({
      token: "demo", team_id: c.team.id, team_domain: "sample", channel_id: state.channel,
      channel_name: channelName(state.channel), user_id: c.reader.id, user_name: "alex.agent", command,
      text: rest.join(" "), api_app_id: c.bot.app_id, is_enterprise_install: "false",
      response_url: c.response_url_base + id, trigger_id: `${Date.now()}.${rid()}`,
    });
    try {
      const res = await signed(body, "application/x-www-form-urlencoded");
      const raw = await res.text();
      if (res.status !== 200) {
        addMessage({ channel: state.channel, author: "slackbot", ephemeral: true, text: `${command} failed with the error "dispatch_failed" (HTTP ${res.status}).` });
      } else if (raw) {
        let reply;
        try { reply = JSON.parse(raw); } catch { reply = { text: raw }; }
        const msg = addMessage({ channel: state.channel, author: "bot", ephemeral: reply.response_type !== "in_channel", text: reply.text || "", blocks: reply.blocks, replyTo: text });
        target.messageId = msg.id;
      }
    } finally {
      release();
    }
  }

  function unfurlableLinks(text) {
    const links = [...text.matchAll(/https?:\/\/[^\s<>]+/g)].map((m) => m[0]);
    return [...new Set(links)].filter((url) => {
      let host;
      try { host = new URL(url).hostname; } catch { return false; }
      return state.config.unfurl_domains.some((d) => host === d || host.endsWith("." + d));
    });
  }

  // While a link sits in the message box, Slack sends a `composer` link_shared (channel "COMPOSER"):
  // its unfurl is shown above the box, and dropped when the message is sent.
  let draftTimer = null;
  function draftChanged() {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(previewDraft, 400);
  }
  function clearDraft() {
    clearTimeout(draftTimer);
    if (state.draft) removeMessage(state.draft);
    state.draft = null;
  }
  async function previewDraft() {
    const c = state.config;
    const links = unfurlableLinks($("#composer-input").value);
    if (!links.length) return clearDraft();
    if (!state.draft) {
      const id = `${c.reader.id}-${crypto.randomUUID ? crypto.randomUUID() : rid() + rid()}`;
      state.draft = addMessage({ channel: state.channel, author: "reader", composer: true, ts: id, unfurlId: id, text: "", links: [] });
    }
    const draft = state.draft;
    const fresh = links.filter((url) => !draft.links.includes(url));
    if (!fresh.length) return;
    draft.links.push(...fresh);
    const res = await signed(JSON.stringify(envelope({
      type: "link_shared", channel: "COMPOSER", is_bot_user_member: true, user: c.reader.id,
      message_ts: draft.unfurlId, unfurl_id: draft.unfurlId, source: "composer",
      links: fresh.map((url) => ({ domain: new URL(url).hostname, url })),
    })), "application/json");
    note(`link_shared (composer) → HTTP ${res.status}`);
  }

  async function postUserMessage(text) {
    const c = state.config;
    const ts = newTs();
    const unfurlable = unfurlableLinks(text);
    const unfurlId = unfurlable.length ? `${state.channel}.${ts.replace(".", "")}.${rid()}` : null;
    addMessage({ channel: state.channel, author: "reader", ts, text, unfurlId });
    if (/(^|\s)@pendo\b/i.test(text)) {
      // Slack sends `app_mention` with the mention as <@BOT_ID>
      const res = await signed(JSON.stringify(envelope({
        type: "app_mention", user: c.reader.id, user_team: c.team.id, channel: state.channel, ts, event_ts: ts,
        text: text.replace(/(^|\s)@pendo\b/gi, `$1<@${c.bot.id}>`),
      })), "application/json");
      note(`app_mention → HTTP ${res.status}`);
    }
    if (!unfurlable.length) return;
    const res = await signed(JSON.stringify(envelope({
      type: "link_shared", channel: state.channel, is_bot_user_member: true, user: c.reader.id,
      message_ts: ts, unfurl_id: unfurlId, source: "conversations_history", event_ts: ts,
      links: unfurlable.map((url) => ({ domain: new URL(url).hostname, url })),
    })), "application/json");
    note(`link_shared → HTTP ${res.status}`);
  }

  // The "Pendo context" message shortcut (⋯ on a message): post the message, then run the shortcut on it.
  async function messageShortcut(text) {
    const c = state.config;
    const ts = newTs();
    addMessage({ channel: state.channel, author: "reader", ts, text });
    const id = rid();
    const target = { channel: state.channel, messageId: null, origin: "shortcut" };
    state.responseTargets[id] = target;
    const res = await interactivity({
      type: "message_action", callback_id: "pendo_message", token: "demo", api_app_id: c.bot.app_id,
      trigger_id: `${Date.now()}.${rid()}`, response_url: c.response_url_base + id,
      team: { id: c.team.id, domain: "sample" }, user: user(),
      channel: { id: state.channel, name: channelName(state.channel) },
      message: { type: "message", user: c.reader.id, ts, text }, message_ts: ts,
    });
    note(`message_action pendo_message → HTTP ${res.status}`);
  }

  // A global shortcut (the ⚡ menu): Slack sends `shortcut`; the bot answers with views.open.
  async function globalShortcut(callbackId) {
    const c = state.config;
    const res = await interactivity({
      type: "shortcut", callback_id: callbackId, token: "demo", api_app_id: c.bot.app_id,
      trigger_id: `${Date.now()}.${rid()}`, team: { id: c.team.id, domain: "sample" }, user: user(),
    });
    note(`shortcut ${callbackId} → HTTP ${res.status}`);
  }

  // A click (or pick) on an interactive element inside a message, an unfurl or a modal.
  async function act(where, el, blockId, extra, stateValues) {
    const c = state.config;
    const action = { action_id: el.action_id, block_id: blockId, type: el.type, action_ts: String(Date.now() / 1000), ...extra };
    const payload = {
      type: "block_actions", user: user(), api_app_id: c.bot.app_id, token: "demo",
      trigger_id: `${Date.now()}.${rid()}`, team: { id: c.team.id, domain: "sample" }, enterprise: null,
      is_enterprise_install: false, state: { values: stateValues() }, actions: [action],
    };
    if (where.view) {
      payload.container = { type: "view", view_id: where.view.id };
      payload.view = { ...where.view, state: { values: stateValues() } };
    } else {
      const msg = where.message;
      const id = rid();
      payload.channel = { id: msg.channel, name: channelName(msg.channel) };
      payload.response_url = c.response_url_base + id;
      if (where.unfurlUrl) {
        payload.container = { type: "message_attachment", message_ts: msg.ts, attachment_id: 1, channel_id: msg.channel, is_ephemeral: false, is_app_unfurl: true, app_unfurl_url: where.unfurlUrl };
        payload.message = { type: "message", user: c.reader.id, ts: msg.ts, text: msg.text };
      } else {
        payload.container = { type: "message", message_ts: msg.ts, channel_id: msg.channel, is_ephemeral: !!msg.ephemeral };
        if (!msg.ephemeral) payload.message = { type: "message", user: c.bot.id, bot_id: "B0DEMO001", ts: msg.ts, text: msg.text, blocks: msg.blocks };
      }
      state.responseTargets[id] = { channel: msg.channel, messageId: where.unfurlUrl ? null : msg.id, origin: where.unfurlUrl ? "unfurl" : "message" };
    }
    const res = await interactivity(payload);
    note(`block_actions ${el.action_id} → HTTP ${res.status}`);
  }

  // --- what the bot sent to Slack ----------------------------------------------------------------
  async function poll() {
    for (;;) {
      try {
        const res = await fetch(`/demo/calls?after=${state.seq}`);
        const data = await res.json();
        for (const item of data.items) {
          state.seq = Math.max(state.seq, item.seq);
          await apply(item);
        }
      } catch (err) {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async function apply(item) {
    if (item.kind === "response") return applyResponse(item.method, item.body);
    const b = item.body || {};
    const ok = item.result && item.result.ok;
    note(`${item.method}${ok ? "" : " ✗ " + ((item.result && item.result.error) || "")}`);
    if (!ok) return;
    switch (item.method) {
      case "chat.postMessage":
        addMessage({ channel: b.channel, author: "bot", ts: item.result.ts, text: b.text || "", blocks: b.blocks });
        break;
      case "chat.postEphemeral":
        if (b.user === state.config.reader.id) addMessage({ channel: b.channel, author: "bot", ephemeral: true, text: b.text || "", blocks: b.blocks });
        break;
      case "chat.update": {
        const m = state.messages.find((x) => x.channel === b.channel && x.ts === b.ts);
        if (m) { m.text = b.text || m.text; m.blocks = b.blocks; drawMessage(m); }
        break;
      }
      case "chat.delete": {
        const m = state.messages.find((x) => x.channel === b.channel && x.ts === b.ts);
        if (m) removeMessage(m);
        break;
      }
      case "chat.unfurl": {
        const m = state.messages.find((x) => (b.unfurl_id ? x.unfurlId === b.unfurl_id : x.channel === b.channel && x.ts === b.ts));
        if (m) {
          m.unfurls = { ...(m.unfurls || {}), ...(b.unfurls || {}) };
          drawMessage(m);
        }
        break;
      }
      case "views.open":
      case "views.push":
        openModal(item.result.view || b.view);
        break;
      case "views.update":
        if (state.modal) openModal({ ...(item.result.view || b.view), id: state.modal.id });
        break;
      case "views.publish": // Slack keeps the view with its id and hash; clicks in it carry both
        state.home = item.result.view || b.view;
        if (state.view === "home") drawHome();
        break;
      default:
        break;
    }
  }

  async function applyResponse(id, body) {
    const target = state.responseTargets[id];
    if (target && target.pending) await target.pending;
    const original = target && target.messageId ? state.messages.find((m) => m.id === target.messageId) : null;
    if (body.delete_original) {
      if (original) removeMessage(original);
      return;
    }
    if (body.replace_original && original) {
      original.text = body.text || "";
      original.blocks = body.blocks;
      if (body.response_type === "in_channel") original.ephemeral = false;
      drawMessage(original);
      return;
    }
    const channel = (target && target.channel) || state.channel;
    const msg = addMessage({ channel, author: "bot", ephemeral: body.response_type !== "in_channel", text: body.text || "", blocks: body.blocks });
    if (target && !target.messageId) target.messageId = msg.id;
  }

  // --- drawing -----------------------------------------------------------------------------------
  function addMessage(m) {
    const msg = { id: nextId++, ts: m.ts || newTs(), unfurls: {}, ...m };
    state.messages.push(msg);
    drawMessage(msg);
    return msg;
  }
  function removeMessage(m) {
    state.messages = state.messages.filter((x) => x !== m);
    const el = document.getElementById(`msg-${m.id}`);
    if (el) el.remove();
  }
  function blockCtx(where) {
    const getters = [];
    const ctx = {
      opts: opts(),
      state: (blockId, actionId, get) => getters.push([blockId, actionId, get]),
      act: (el, blockId, extra) => act(where, el, blockId, extra, values),
    };
    function values() {
      const out = {};
      for (const [b, a, get] of getters) (out[b] = out[b] || {})[a] = get();
      return out;
    }
    ctx.values = values;
    return ctx;
  }
  function avatar(kind) {
    if (kind === "bot") return '<div class="avatar avatar-bot">P</div>';
    if (kind === "slackbot") return '<div class="avatar avatar-slackbot">S</div>';
    return '<div class="avatar avatar-user">A</div>';
  }
  function timeOf(ts) {
    if (!Number.isFinite(parseFloat(ts))) return "";
    return new Intl.DateTimeFormat("en-US", { timeZone: state.tz, hour: "numeric", minute: "2-digit" }).format(new Date(parseFloat(ts) * 1000));
  }
  function linkify(text) {
    return BK.esc(text).replace(/https?:\/\/[^\s<>&"]+/g, (url) => `<a class="mk-link" href="${url}" target="_blank" rel="noopener">${url}</a>`);
  }
  function drawMessage(msg) {
    const list = msg.composer ? $("#composer-preview") : $("#messages");
    let el = document.getElementById(`msg-${msg.id}`);
    const fresh = !el;
    if (fresh) el = document.createElement("div");
    el.id = `msg-${msg.id}`;
    el.className = `msg msg-${msg.author}${msg.ephemeral ? " msg-ephemeral" : ""}${msg.composer ? " msg-draft" : ""}`;
    el.dataset.channel = msg.channel;
    el.dataset.ts = msg.ts;
    el.dataset.author = msg.author;
    el.dataset.ephemeral = msg.ephemeral ? "true" : "false";
    if (msg.composer) el.dataset.draft = "true";
    el.hidden = msg.channel !== state.channel || state.view !== "channel";
    const name = msg.author === "bot" ? 'pendo <span class="app-badge">APP</span>' : msg.author === "slackbot" ? "Slackbot" : BK.esc(state.config.reader.name);
    el.innerHTML = `${avatar(msg.author)}<div class="msg-main">
      ${msg.ephemeral ? '<div class="only-you">👁 Only visible to you</div>' : ""}
      <div class="msg-head"><span class="msg-name">${name}</span><span class="msg-time">${timeOf(msg.ts)}</span></div>
      ${msg.replyTo ? `<div class="msg-reply-to">${BK.esc(msg.replyTo)}</div>` : ""}
      <div class="msg-body"></div><div class="msg-unfurls"></div></div>`;
    if (msg.composer) el.innerHTML = '<div class="msg-main"><div class="only-you">Preview while you type</div><div class="msg-body"></div><div class="msg-unfurls"></div></div>';
    const body = el.querySelector(".msg-body");
    if (msg.composer) body.innerHTML = "";
    else if (msg.author === "reader") body.innerHTML = `<div class="msg-text">${linkify(msg.text)}</div>`;
    else if (Array.isArray(msg.blocks) && msg.blocks.length) body.appendChild(BK.render(msg.blocks, blockCtx({ message: msg })));
    else body.innerHTML = `<div class="msg-text">${BK.mrkdwn(msg.text || "", opts())}</div>`;
    const unfurls = el.querySelector(".msg-unfurls");
    for (const [url, unfurl] of Object.entries(msg.unfurls || {})) {
      const box = document.createElement("div");
      box.className = "unfurl";
      box.dataset.url = url;
      box.innerHTML = '<div class="unfurl-bar"></div><div class="unfurl-main"><div class="unfurl-app">pendo</div></div>';
      const main = box.querySelector(".unfurl-main");
      if (Array.isArray(unfurl.blocks)) main.appendChild(BK.render(unfurl.blocks, blockCtx({ message: msg, unfurlUrl: url })));
      else main.insertAdjacentHTML("beforeend", `<div class="bk-unknown" data-unknown="unfurl:attachment">${BK.esc(unfurl.title || unfurl.text || "legacy attachment")}</div>`);
      unfurls.appendChild(box);
    }
    if (fresh) list.appendChild(el);
    if (!el.hidden && !msg.composer) el.scrollIntoView({ block: "end" });
  }
  function drawAll() {
    document.querySelectorAll(".msg").forEach((el) => { el.hidden = el.dataset.channel !== state.channel || state.view !== "channel"; });
    if (state.draft && state.draft.channel !== state.channel) clearDraft();
    const c = state.config.channels.find((x) => x.id === state.channel);
    $("#channel-title").textContent = state.view === "home" ? "pendo" : `# ${c.name}`;
    $("#channel-topic").textContent = state.view === "home" ? "App Home" : c.topic + (c.shared ? " · Slack Connect" : "");
    document.querySelectorAll("[data-nav]").forEach((el) => el.classList.toggle("active", el.dataset.nav === (state.view === "home" ? "home" : state.channel)));
    $("#home").hidden = state.view !== "home";
    $("#composer").hidden = state.view === "home";
    $("#composer-input").placeholder = `Message #${c.name}`;
  }

  // --- modals (views.open) -----------------------------------------------------------------------
  function openModal(view) {
    const root = $("#modal");
    state.modal = { ...view, id: view.id || "V" + rid() };
    const ctx = blockCtx({ view: state.modal });
    root.innerHTML = `<div class="modal-card" role="dialog" data-view-id="${BK.esc(state.modal.id)}">
      <div class="modal-title">${BK.textObject(view.title || { type: "plain_text", text: "" }, opts())}<button type="button" class="modal-x" aria-label="Close">×</button></div>
      <div class="modal-body"></div>
      <div class="modal-foot"><button type="button" class="bk-button modal-close">${BK.esc(BK.plainOf(view.close) || "Cancel")}</button>
      ${view.submit ? `<button type="button" class="bk-button bk-primary modal-submit">${BK.esc(BK.plainOf(view.submit))}</button>` : ""}</div></div>`;
    root.querySelector(".modal-body").appendChild(BK.render(view.blocks || [], ctx));
    root.hidden = false;
    const close = () => { root.hidden = true; root.innerHTML = ""; state.modal = null; };
    root.querySelector(".modal-x").onclick = close;
    root.querySelector(".modal-close").onclick = close;
    const submit = root.querySelector(".modal-submit");
    if (submit) submit.onclick = async () => {
      const c = state.config;
      const payload = {
        type: "view_submission", team: { id: c.team.id, domain: "sample" }, user: user(), api_app_id: c.bot.app_id,
        token: "demo", trigger_id: `${Date.now()}.${rid()}`, is_enterprise_install: false,
        view: { ...state.modal, state: { values: ctx.values() } }, response_urls: [],
      };
      // A conversation picker with response_url_enabled: Slack adds a response_url for the picked
      // conversation (the current one when default_to_current_conversation and nothing was picked).
      for (const b of state.modal.blocks || []) {
        const el = b.element || {};
        if (b.type !== "input" || el.type !== "conversations_select" || !el.response_url_enabled) continue;
        const values = payload.view.state.values;
        const v = ((values[b.block_id] = values[b.block_id] || {})[el.action_id] = (values[b.block_id] || {})[el.action_id] || { type: el.type });
        const channel = v.selected_conversation || (el.default_to_current_conversation ? state.channel : null);
        if (!channel) continue;
        v.selected_conversation = channel;
        const id = rid();
        state.responseTargets[id] = { channel, messageId: null, origin: "modal" };
        payload.response_urls.push({ block_id: b.block_id, action_id: el.action_id, channel_id: channel, response_url: c.response_url_base + id });
      }
      const res = await interactivity(payload);
      const raw = await res.text();
      note(`view_submission → HTTP ${res.status}`);
      let reply = {};
      try { reply = raw ? JSON.parse(raw) : {}; } catch { reply = {}; }
      if (reply.response_action === "errors") {
        for (const [blockId, text] of Object.entries(reply.errors || {})) {
          const e = root.querySelector(`[data-error-for="${CSS.escape(blockId)}"]`);
          if (e) { e.textContent = text; e.hidden = false; }
        }
      } else if (reply.response_action === "update" || reply.response_action === "push") {
        openModal({ ...reply.view, id: state.modal.id });
      } else if (res.status === 200) {
        close();
      }
    };
  }

  // --- App Home ----------------------------------------------------------------------------------
  async function showHome() {
    state.view = "home";
    drawAll();
    drawHome();
    const res = await signed(JSON.stringify(envelope({ type: "app_home_opened", user: state.config.reader.id, channel: "D0DEMO001", tab: "home", event_ts: newTs() })), "application/json");
    note(`app_home_opened → HTTP ${res.status}`);
  }
  function drawHome() {
    const home = $("#home");
    home.innerHTML = "";
    if (!state.home) home.innerHTML = '<div class="muted">Waiting for the bot to publish its Home tab…</div>';
    else home.appendChild(BK.render(state.home.blocks || [], blockCtx({ view: state.home })));
  }

  // --- sidebar: what to try, switches ------------------------------------------------------------
  function note(text) {
    state.log.push(text);
    const list = $("#log");
    const li = document.createElement("li");
    li.textContent = text;
    list.appendChild(li);
    while (list.children.length > 40) list.firstChild.remove();
  }
  function selectChannel(id) {
    state.view = "channel";
    state.channel = id;
    drawAll();
    const last = [...document.querySelectorAll(".msg")].filter((el) => !el.hidden).pop();
    if (last) last.scrollIntoView({ block: "end" });
  }
  async function send(text) {
    clearDraft();
    text = text.trim();
    if (!text) return;
    if (text.startsWith("/")) await slashCommand(text);
    else await postUserMessage(text);
  }
  function drawNav() {
    const nav = $("#nav-channels");
    nav.innerHTML = "";
    state.config.channels.forEach((c) => {
      const a = document.createElement("button");
      a.type = "button";
      a.className = "nav-item";
      a.dataset.nav = c.id;
      a.innerHTML = `<span class="hash">#</span> ${BK.esc(c.name)}${c.shared ? ' <span class="connect" title="Slack Connect">⇄</span>' : ""}`;
      a.onclick = () => selectChannel(c.id);
      nav.appendChild(a);
    });
    $("#nav-home").onclick = showHome;
  }
  function drawTry() {
    const box = $("#try-list");
    box.innerHTML = "";
    for (const group of state.config.scenarios) {
      const sec = document.createElement("section");
      sec.innerHTML = `<h3>${BK.esc(group.title)}</h3>${group.hint ? `<p class="hint">${BK.esc(group.hint)}</p>` : ""}`;
      for (const item of group.items) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "try-item";
        b.dataset.do = item.do;
        if (item.ticket) b.dataset.ticket = item.ticket;
        b.innerHTML = `<span class="try-label">${BK.esc(item.label)}</span><span class="try-note">${BK.esc(item.note)}</span>`;
        b.onclick = () => {
          if (item.channel) {
            const c = state.config.channels.find((x) => x.name === item.channel);
            if (c) selectChannel(c.id);
          } else if (state.view !== "channel") selectChannel(state.channel);
          if (item.do === "home") showHome();
          else if (item.do === "shortcut") messageShortcut(item.text);
          else if (item.do === "global") globalShortcut(item.callback);
          else send(item.text);
        };
        sec.appendChild(b);
      }
      box.appendChild(sec);
    }
  }
  function drawSwitches() {
    const sw = state.config.switches;
    const fault = $("#switch-fault");
    fault.innerHTML = Object.entries(sw.faults).map(([k, label]) => `<option value="${k}"${k === sw.fault ? " selected" : ""}>${BK.esc(label)}</option>`).join("");
    const tz = $("#switch-subscription-tz");
    tz.innerHTML = sw.time_zones.map((z) => `<option${z === sw.subscription_tz ? " selected" : ""}>${BK.esc(z)}</option>`).join("");
    const reader = $("#switch-reader-tz");
    const zones = [...new Set([state.tz, "UTC", "America/Los_Angeles", "America/Chicago", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"])];
    reader.innerHTML = zones.map((z) => `<option${z === state.tz ? " selected" : ""}>${BK.esc(z)}</option>`).join("");
  }
  async function setSwitch(change) {
    $("#switch-status").textContent = "Restarting the bot…";
    const res = await fetch("/demo/switch", { method: "POST", body: JSON.stringify(change) });
    state.config.switches = await res.json();
    drawSwitches();
    $("#switch-status").textContent = "Bot restarted (fresh cache).";
  }

  // The reader's Slack profile zone (what users.info answers) is the one this page draws times in.
  async function readerZone(tz) {
    await fetch("/demo/reader", { method: "POST", body: JSON.stringify({ tz }) });
  }

  async function start() {
    state.config = await (await fetch("/demo/config")).json();
    await readerZone(state.tz);
    state.seq = state.config.seq;
    state.channel = state.config.channels[0].id;
    $("#team-name").textContent = state.config.team.name;
    drawNav();
    drawTry();
    drawSwitches();
    drawAll();
    $("#composer").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = $("#composer-input");
      const text = input.value;
      input.value = "";
      send(text);
    });
    $("#composer-input").addEventListener("input", draftChanged);
    $("#switch-fault").onchange = (e) => setSwitch({ fault: e.target.value });
    $("#switch-subscription-tz").onchange = (e) => setSwitch({ subscription_tz: e.target.value });
    $("#switch-reader-tz").onchange = async (e) => {
      state.tz = e.target.value;
      await readerZone(state.tz);
      state.messages.forEach(drawMessage);
      drawAll();
    };
    document.body.dataset.ready = "true";
    poll();
  }

  return { start, state, send, selectChannel };
})();

window.addEventListener("DOMContentLoaded", () => App.start());
