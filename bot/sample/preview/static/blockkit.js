// Block Kit and mrkdwn, drawn the way Slack draws them. Pure functions of (JSON, options) -> DOM.
// Anything this file cannot draw is shown visibly and marked with a `data-unknown` attribute.
"use strict";

const BK = (() => {
  const EMOJI = {
    smile: "😄", slightly_smiling_face: "🙂", wave: "👋", tada: "🎉", warning: "⚠️", lock: "🔒",
    hourglass: "⌛", hourglass_flowing_sand: "⏳", ticket: "🎫", office: "🏢", mag: "🔍",
    white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", eyes: "👀", thinking_face: "🤔",
    information_source: "ℹ️", bar_chart: "📊", chart_with_upwards_trend: "📈",
    chart_with_downwards_trend: "📉", calendar: "📅", date: "📅", clock3: "🕒", bust_in_silhouette: "👤",
    busts_in_silhouette: "👥", page_facing_up: "📄", memo: "📝", link: "🔗", rocket: "🚀", fire: "🔥",
    star: "⭐", bell: "🔔", pushpin: "📌", sparkles: "✨", point_right: "👉", thumbsup: "👍", "+1": "👍",
    thumbsdown: "👎", speech_balloon: "💬", email: "📧", envelope: "✉️", globe_with_meridians: "🌐",
    computer: "💻", iphone: "📱", key: "🔑", no_entry: "⛔", stopwatch: "⏱️", arrow_right: "➡️",
    arrow_left: "⬅️", arrow_up: "⬆️", arrow_down: "⬇️", red_circle: "🔴", large_green_circle: "🟢",
    large_yellow_circle: "🟡", large_blue_circle: "🔵", zzz: "💤", hammer_and_wrench: "🛠️", gear: "⚙️",
    compass: "🧭", package: "📦", moneybag: "💰", credit_card: "💳", scroll: "📜", books: "📚",
  };

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  // Slack escapes only &, < and > in mrkdwn; undo those before escaping for HTML.
  function unslack(text) {
    return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }
  function emoji(html) {
    return html.replace(/:([a-z0-9_+-]+):/g, (m, name) => (EMOJI[name] ? EMOJI[name] : m));
  }

  // --- <!date^…> in the reader's time zone -------------------------------------------------------
  function ordinal(n) {
    const s = ["th", "st", "nd", "rd"], v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }
  function parts(date, tz) {
    const f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz, year: "numeric", month: "long", day: "numeric", weekday: "long",
      hour: "numeric", minute: "2-digit", second: "2-digit", hour12: true,
    });
    const out = {};
    for (const p of f.formatToParts(date)) out[p.type] = p.value;
    return out;
  }
  function dayKey(date, tz) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
  }
  function formatDate(ts, fmt, tz, now) {
    const d = new Date(ts * 1000);
    const p = parts(d, tz);
    const monthShort = p.month.slice(0, 3);
    const pretty = (base) => {
      const today = dayKey(now, tz), key = dayKey(d, tz);
      if (key === today) return "Today";
      if (key === dayKey(new Date(now.getTime() - 86400000), tz)) return "Yesterday";
      if (key === dayKey(new Date(now.getTime() + 86400000), tz)) return "Tomorrow";
      return base;
    };
    const tokens = {
      date_num: dayKey(d, tz),
      date: `${p.month} ${ordinal(+p.day)}, ${p.year}`,
      date_short: `${monthShort} ${p.day}, ${p.year}`,
      date_long: `${p.weekday}, ${p.month} ${ordinal(+p.day)}, ${p.year}`,
      time: `${p.hour}:${p.minute} ${p.dayPeriod}`,
      time_secs: `${p.hour}:${p.minute}:${p.second} ${p.dayPeriod}`,
      ago: ago(d, now),
    };
    tokens.date_pretty = pretty(tokens.date);
    tokens.date_short_pretty = pretty(tokens.date_short);
    tokens.date_long_pretty = pretty(tokens.date_long);
    tokens.day_divider_pretty = pretty(`${p.weekday}, ${p.month} ${ordinal(+p.day)}`);
    return fmt.replace(/\{(\w+)\}/g, (m, name) => (name in tokens ? tokens[name] : m));
  }
  function ago(d, now) {
    const s = Math.round((now - d) / 1000), future = s < 0, a = Math.abs(s);
    const [n, unit] = a < 60 ? [a, "second"] : a < 3600 ? [Math.floor(a / 60), "minute"]
      : a < 86400 ? [Math.floor(a / 3600), "hour"] : [Math.floor(a / 86400), "day"];
    const word = `${n} ${unit}${n === 1 ? "" : "s"}`;
    return future ? `in ${word}` : `${word} ago`;
  }

  // --- mrkdwn ------------------------------------------------------------------------------------
  // Control sequences (<…>) and code spans become placeholders first, so formatting can span them
  // while their insides stay untouched.
  function mrkdwn(text, opts) {
    const held = [];
    const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
    let s = String(text);
    s = s.replace(/```([\s\S]*?)```/g, (m, code) => hold(`<pre class="mk-pre">${esc(unslack(code)).replace(/^\n/, "")}</pre>`));
    s = s.replace(/<([^<>\n]+)>/g, (m, inner) => hold(control(inner, opts)));
    s = s.replace(/`([^`\n]+)`/g, (m, code) => hold(`<code class="mk-code">${restore(esc(unslack(code)), held)}</code>`));
    s = esc(unslack(s));
    s = s.replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, "$1<b>$2</b>");
    s = s.replace(/(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g, "$1<i>$2</i>");
    s = s.replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])/g, "$1<s>$2</s>");
    s = s.split("\n").map((line) => line.startsWith("&gt; ") ? `<span class="mk-quote">${line.slice(5)}</span>` : line).join("\n");
    s = emoji(s).replace(/\n/g, "<br>");
    return restore(s, held);
  }
  function restore(s, held) {
    let prev;
    do { prev = s; s = s.replace(/\u0000(\d+)\u0000/g, (m, i) => held[+i]); } while (s !== prev);
    return s;
  }
  function control(inner, opts) {
    const [target, ...rest] = inner.split("|");
    const label = rest.join("|");
    if (target.startsWith("@")) {
      const id = target.slice(1);
      const name = label || (opts.users && opts.users[id]) || id;
      return `<span class="mk-mention" data-user="${esc(id)}">@${esc(unslack(name))}</span>`;
    }
    if (target.startsWith("#")) {
      const id = target.slice(1);
      const name = label || (opts.channels && opts.channels[id]) || id;
      return `<span class="mk-mention mk-channel" data-channel="${esc(id)}">#${esc(unslack(name))}</span>`;
    }
    if (target.startsWith("!date^")) {
      const bits = target.split("^");
      const ts = parseInt(bits[1], 10), fmt = bits[2] || "{date}", link = bits[3];
      if (!Number.isFinite(ts)) return esc(unslack(label || inner));
      const shown = esc(formatDate(ts, fmt, opts.tz, opts.now || new Date()));
      const title = esc(new Date(ts * 1000).toISOString());
      const body = `<time class="mk-date" datetime="${title}" title="${title}" data-format="${esc(fmt)}" data-tz="${esc(opts.tz)}">${shown}</time>`;
      return link ? `<a href="${esc(link)}" target="_blank" rel="noopener">${body}</a>` : body;
    }
    if (target.startsWith("!subteam^")) return `<span class="mk-mention">${esc(unslack(label || "@group"))}</span>`;
    if (target.startsWith("!")) return `<span class="mk-mention mk-broadcast">@${esc(target.slice(1))}</span>`;
    const url = unslack(target);
    if (!/^(https?:|mailto:|tel:)/i.test(url)) return esc(unslack("<" + inner + ">"));
    const shown = label ? esc(unslack(label)) : esc(url.replace(/^mailto:/, ""));
    return `<a class="mk-link" href="${esc(url)}" target="_blank" rel="noopener">${shown}</a>`;
  }
  function textObject(obj, opts) {
    if (!obj || typeof obj !== "object") return `<span class="bk-unknown" data-unknown="text:${esc(typeof obj)}">?</span>`;
    if (obj.type === "mrkdwn") return mrkdwn(obj.verbatim ? obj.text : obj.text, opts);
    if (obj.type === "plain_text") {
      const html = esc(obj.text).replace(/\n/g, "<br>");
      return obj.emoji === false ? html : emoji(html);
    }
    return `<span class="bk-unknown" data-unknown="text:${esc(obj.type)}">${esc(obj.text || "")}</span>`;
  }
  function plainOf(obj) {
    return obj && typeof obj === "object" ? String(obj.text || "") : "";
  }

  // --- elements ----------------------------------------------------------------------------------
  function h(tag, attrs, html) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      el.setAttribute(k, v === true ? "" : String(v));
    }
    if (html !== undefined) el.innerHTML = html;
    return el;
  }
  function unknown(kind, type) {
    return h("div", { class: "bk-unknown", "data-unknown": `${kind}:${type}` }, `Cannot draw ${esc(kind)} <code>${esc(type)}</code>`);
  }
  function optionText(o) {
    return o && o.text ? plainOf(o.text) : "";
  }
  function optionOut(o) {
    const out = { text: o.text, value: o.value };
    if (o.description) out.description = o.description;
    return out;
  }
  function allOptions(el) {
    if (Array.isArray(el.options)) return el.options;
    if (Array.isArray(el.option_groups)) return el.option_groups.flatMap((g) => g.options || []);
    return [];
  }

  // Each element returns a DOM node; `ctx.act(el, blockId, extra)` sends a block_actions payload.
  // Stateful elements register a getter in ctx.state so block_actions and view_submission carry state.values.
  const ELEMENTS = {
    button(el, ctx, blockId) {
      const b = h("button", {
        class: `bk-button${el.style ? " bk-" + el.style : ""}`, type: "button",
        "data-action-id": el.action_id, "data-el": "button", title: el.url || null,
        "aria-label": el.accessibility_label || null,
      }, textObject(el.text, ctx.opts));
      b.addEventListener("click", () => {
        if (el.url) window.open(el.url, "_blank", "noopener");
        if (el.confirm && !window.confirm(plainOf(el.confirm.text) || "Are you sure?")) return;
        const extra = { text: el.text };
        if (el.value !== undefined) extra.value = el.value;
        if (el.style) extra.style = el.style;
        if (el.url) extra.url = el.url;
        ctx.act(el, blockId, extra, b);
      });
      return b;
    },
    datepicker(el, ctx, blockId) {
      const wrap = h("label", { class: "bk-datepicker", "data-el": "datepicker" });
      const input = h("input", { type: "date", "data-action-id": el.action_id, value: el.initial_date || "" });
      if (!el.initial_date && el.placeholder) input.title = plainOf(el.placeholder);
      wrap.appendChild(input);
      ctx.state(blockId, el.action_id, () => ({ type: "datepicker", selected_date: input.value || null }));
      input.addEventListener("change", () => {
        if (ctx.inModalInput) return;
        ctx.act(el, blockId, { selected_date: input.value || null, initial_date: el.initial_date || null }, input);
      });
      return wrap;
    },
    timepicker(el, ctx, blockId) {
      const input = h("input", { type: "time", class: "bk-timepicker", "data-el": "timepicker", "data-action-id": el.action_id, value: el.initial_time || "" });
      ctx.state(blockId, el.action_id, () => ({ type: "timepicker", selected_time: input.value || null }));
      input.addEventListener("change", () => {
        if (!ctx.inModalInput) ctx.act(el, blockId, { selected_time: input.value || null, initial_time: el.initial_time || null }, input);
      });
      return input;
    },
    static_select(el, ctx, blockId) {
      return select(el, ctx, blockId, allOptions(el), "static_select");
    },
    external_select(el, ctx, blockId) {
      return select(el, ctx, blockId, el.initial_option ? [el.initial_option] : [], "external_select");
    },
    users_select(el, ctx, blockId) {
      const opts = Object.entries(ctx.opts.users || {}).map(([id, name]) => ({ text: { type: "plain_text", text: name }, value: id }));
      return select(el, ctx, blockId, opts, "users_select", (o) => ({ selected_user: o ? o.value : null }), el.initial_user);
    },
    conversations_select(el, ctx, blockId) {
      const opts = Object.entries(ctx.opts.channels || {}).map(([id, name]) => ({ text: { type: "plain_text", text: "#" + name }, value: id }));
      return select(el, ctx, blockId, opts, "conversations_select", (o) => ({ selected_conversation: o ? o.value : null }), el.initial_conversation);
    },
    channels_select(el, ctx, blockId) {
      const opts = Object.entries(ctx.opts.channels || {}).map(([id, name]) => ({ text: { type: "plain_text", text: "#" + name }, value: id }));
      return select(el, ctx, blockId, opts, "channels_select", (o) => ({ selected_channel: o ? o.value : null }), el.initial_channel);
    },
    multi_static_select(el, ctx, blockId) {
      const s = h("select", { class: "bk-select", multiple: true, "data-el": "multi_static_select", "data-action-id": el.action_id });
      const initial = new Set((el.initial_options || []).map((o) => o.value));
      const options = allOptions(el);
      options.forEach((o, i) => s.appendChild(h("option", { value: i, selected: initial.has(o.value) }, esc(optionText(o)))));
      const chosen = () => [...s.selectedOptions].map((x) => optionOut(options[+x.value]));
      ctx.state(blockId, el.action_id, () => ({ type: "multi_static_select", selected_options: chosen() }));
      s.addEventListener("change", () => { if (!ctx.inModalInput) ctx.act(el, blockId, { selected_options: chosen() }, s); });
      return s;
    },
    overflow(el, ctx, blockId) {
      const wrap = h("span", { class: "bk-overflow", "data-el": "overflow" });
      const b = h("button", { class: "bk-button bk-overflow-button", type: "button", "data-action-id": el.action_id, "aria-label": "More actions" }, "⋯");
      const menu = h("div", { class: "bk-menu", hidden: true });
      (el.options || []).forEach((o) => {
        const item = h("button", { type: "button", class: "bk-menu-item", "data-value": o.value }, textObject(o.text, ctx.opts));
        item.addEventListener("click", () => {
          menu.hidden = true;
          if (o.url) window.open(o.url, "_blank", "noopener");
          ctx.act(el, blockId, { selected_option: optionOut(o) }, b);
        });
        menu.appendChild(item);
      });
      b.addEventListener("click", () => { menu.hidden = !menu.hidden; });
      wrap.append(b, menu);
      return wrap;
    },
    image(el, ctx) {
      return h("img", { class: "bk-el-image", "data-el": "image", src: el.image_url || (el.slack_file && el.slack_file.url) || "", alt: el.alt_text || "", title: el.alt_text || "" });
    },
    plain_text_input(el, ctx, blockId) {
      const attrs = { class: "bk-input", "data-el": "plain_text_input", "data-action-id": el.action_id, placeholder: el.placeholder ? plainOf(el.placeholder) : null, maxlength: el.max_length || null };
      const input = el.multiline ? h("textarea", attrs, esc(el.initial_value || "")) : h("input", { ...attrs, type: "text", value: el.initial_value || "" });
      ctx.state(blockId, el.action_id, () => ({ type: "plain_text_input", value: input.value || null }));
      if (el.dispatch_action) input.addEventListener("change", () => ctx.act(el, blockId, { value: input.value }, input));
      return input;
    },
    checkboxes(el, ctx, blockId) { return choices(el, ctx, blockId, "checkbox"); },
    radio_buttons(el, ctx, blockId) { return choices(el, ctx, blockId, "radio"); },
  };
  ELEMENTS.number_input = (el, ctx, blockId) => {
    const input = h("input", { class: "bk-input", type: "number", "data-el": "number_input", "data-action-id": el.action_id, value: el.initial_value || "" });
    ctx.state(blockId, el.action_id, () => ({ type: "number_input", value: input.value || null }));
    return input;
  };
  ELEMENTS.email_text_input = (el, ctx, blockId) => {
    const input = h("input", { class: "bk-input", type: "email", "data-el": "email_text_input", "data-action-id": el.action_id, value: el.initial_value || "" });
    ctx.state(blockId, el.action_id, () => ({ type: "email_text_input", value: input.value || null }));
    return input;
  };
  ELEMENTS.url_text_input = (el, ctx, blockId) => {
    const input = h("input", { class: "bk-input", type: "url", "data-el": "url_text_input", "data-action-id": el.action_id, value: el.initial_value || "" });
    ctx.state(blockId, el.action_id, () => ({ type: "url_text_input", value: input.value || null }));
    return input;
  };

  function select(el, ctx, blockId, options, type, shape, initialValue) {
    const s = h("select", { class: "bk-select", "data-el": type, "data-action-id": el.action_id });
    s.appendChild(h("option", { value: "" }, esc(el.placeholder ? plainOf(el.placeholder) : "Select an item")));
    const initial = initialValue || (el.initial_option && el.initial_option.value);
    options.forEach((o, i) => s.appendChild(h("option", { value: i, selected: o.value === initial }, esc(optionText(o)))));
    const current = () => (s.value === "" ? null : options[+s.value]);
    const out = shape || ((o) => ({ selected_option: o ? optionOut(o) : null }));
    ctx.state(blockId, el.action_id, () => ({ type, ...out(current()) }));
    s.addEventListener("change", () => { if (!ctx.inModalInput) ctx.act(el, blockId, out(current()), s); });
    return s;
  }
  function choices(el, ctx, blockId, kind) {
    const wrap = h("div", { class: "bk-choices", "data-el": el.type, "data-action-id": el.action_id });
    const name = `${blockId}-${el.action_id}-${Math.random().toString(36).slice(2)}`;
    const initial = new Set((el.initial_options || (el.initial_option ? [el.initial_option] : [])).map((o) => o.value));
    const inputs = (el.options || []).map((o) => {
      const input = h("input", { type: kind, name, checked: initial.has(o.value) });
      const label = h("label", { class: "bk-choice" });
      label.append(input, h("span", {}, textObject(o.text, ctx.opts)));
      wrap.appendChild(label);
      return [input, o];
    });
    const picked = () => inputs.filter(([i]) => i.checked).map(([, o]) => optionOut(o));
    const out = () => (kind === "radio" ? { selected_option: picked()[0] || null } : { selected_options: picked() });
    ctx.state(blockId, el.action_id, () => ({ type: el.type, ...out() }));
    wrap.addEventListener("change", () => { if (!ctx.inModalInput) ctx.act(el, blockId, out(), wrap); });
    return wrap;
  }
  function element(el, ctx, blockId) {
    const draw = el && ELEMENTS[el.type];
    if (!draw) return unknown("element", el && el.type);
    const node = draw(el, ctx, blockId);
    node.classList.add("bk-el");
    return node;
  }

  // --- blocks ------------------------------------------------------------------------------------
  const BLOCKS = {
    header(b, ctx) {
      return h("div", { class: "bk-header" }, textObject(b.text, ctx.opts));
    },
    section(b, ctx, id) {
      const row = h("div", { class: "bk-section" });
      const body = h("div", { class: "bk-section-body" });
      if (b.text) body.appendChild(h("div", { class: "bk-text" }, textObject(b.text, ctx.opts)));
      if (Array.isArray(b.fields)) {
        const grid = h("div", { class: "bk-fields" });
        b.fields.forEach((f) => grid.appendChild(h("div", { class: "bk-field" }, textObject(f, ctx.opts))));
        body.appendChild(grid);
      }
      row.appendChild(body);
      if (b.accessory) {
        const acc = h("div", { class: "bk-accessory" });
        acc.appendChild(element(b.accessory, ctx, id));
        row.appendChild(acc);
      }
      return row;
    },
    context(b, ctx) {
      const row = h("div", { class: "bk-context" });
      (b.elements || []).forEach((e) => {
        if (e && e.type === "image") row.appendChild(h("img", { class: "bk-context-image", src: e.image_url || "", alt: e.alt_text || "", title: e.alt_text || "" }));
        else if (e && (e.type === "mrkdwn" || e.type === "plain_text")) row.appendChild(h("span", { class: "bk-context-text" }, textObject(e, ctx.opts)));
        else row.appendChild(unknown("element", e && e.type));
      });
      return row;
    },
    divider() {
      return h("hr", { class: "bk-divider" });
    },
    image(b, ctx) {
      const fig = h("figure", { class: "bk-image" });
      if (b.title) fig.appendChild(h("figcaption", {}, textObject(b.title, ctx.opts)));
      fig.appendChild(h("img", { src: b.image_url || (b.slack_file && b.slack_file.url) || "", alt: b.alt_text || "", title: b.alt_text || "" }));
      return fig;
    },
    actions(b, ctx, id) {
      const row = h("div", { class: "bk-actions" });
      (b.elements || []).forEach((e) => row.appendChild(element(e, ctx, id)));
      return row;
    },
    input(b, ctx, id) {
      const wrap = h("div", { class: "bk-input-block" });
      wrap.appendChild(h("label", { class: "bk-label" }, textObject(b.label, ctx.opts) + (b.optional ? ' <span class="bk-optional">(optional)</span>' : "")));
      const inner = { ...ctx, inModalInput: !b.dispatch_action };
      wrap.appendChild(element(b.element, inner, id));
      if (b.hint) wrap.appendChild(h("div", { class: "bk-hint" }, textObject(b.hint, ctx.opts)));
      wrap.appendChild(h("div", { class: "bk-error", "data-error-for": id, hidden: true }));
      return wrap;
    },
    markdown(b) {
      const html = esc(b.text || "").replace(/\*\*(.+?)\*\*/g, "<b>$1</b>").replace(/\[([^\]]+)\]\((https?:[^)]+)\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>').replace(/\n/g, "<br>");
      return h("div", { class: "bk-markdown" }, html);
    },
    rich_text(b, ctx) {
      const wrap = h("div", { class: "bk-rich-text" });
      (b.elements || []).forEach((part) => wrap.appendChild(richPart(part, ctx)));
      return wrap;
    },
  };
  function richInline(items, ctx) {
    return (items || []).map((t) => {
      if (t.type === "text") {
        let s = esc(t.text || "").replace(/\n/g, "<br>");
        const st = t.style || {};
        if (st.code) s = `<code class="mk-code">${s}</code>`;
        if (st.bold) s = `<b>${s}</b>`;
        if (st.italic) s = `<i>${s}</i>`;
        if (st.strike) s = `<s>${s}</s>`;
        return s;
      }
      if (t.type === "link") return `<a class="mk-link" href="${esc(t.url)}" target="_blank" rel="noopener">${esc(t.text || t.url)}</a>`;
      if (t.type === "user") return control("@" + t.user_id, ctx.opts);
      if (t.type === "channel") return control("#" + t.channel_id, ctx.opts);
      if (t.type === "emoji") return EMOJI[t.name] || `:${esc(t.name)}:`;
      if (t.type === "date") return control(`!date^${t.timestamp}^${t.format || "{date}"}|${t.fallback || ""}`, ctx.opts);
      if (t.type === "broadcast") return control("!" + t.range, ctx.opts);
      return `<span class="bk-unknown" data-unknown="rich:${esc(t.type)}">?</span>`;
    }).join("");
  }
  function richPart(part, ctx) {
    if (part.type === "rich_text_section") return h("div", {}, richInline(part.elements, ctx));
    if (part.type === "rich_text_preformatted") return h("pre", { class: "mk-pre" }, richInline(part.elements, ctx));
    if (part.type === "rich_text_quote") return h("div", { class: "mk-quote" }, richInline(part.elements, ctx));
    if (part.type === "rich_text_list") {
      const list = h(part.style === "ordered" ? "ol" : "ul", {});
      (part.elements || []).forEach((s) => list.appendChild(h("li", {}, richInline(s.elements, ctx))));
      return list;
    }
    return unknown("rich_text", part.type);
  }

  let counter = 0;
  // Draw `blocks` into a container. ctx: {opts: {tz, users, channels, now}, act, state}.
  function render(blocks, ctx) {
    const root = h("div", { class: "bk-blocks" });
    if (!Array.isArray(blocks)) {
      root.appendChild(unknown("blocks", typeof blocks));
      return root;
    }
    blocks.forEach((b, i) => {
      const type = b && b.type;
      const id = (b && b.block_id) || `blk-${++counter}-${i}`;
      const draw = BLOCKS[type];
      const node = draw ? draw(b, ctx, id) : unknown("block", type);
      const wrap = h("div", { class: "bk-block", "data-block-type": type || "?", "data-block-id": id });
      wrap.appendChild(node);
      root.appendChild(wrap);
    });
    return root;
  }

  return { render, mrkdwn, textObject, formatDate, esc, plainOf, EMOJI, BLOCK_TYPES: Object.keys(BLOCKS), ELEMENT_TYPES: Object.keys(ELEMENTS) };
})();
