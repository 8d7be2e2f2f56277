// The playground's web chat: one view per chat, each following its log by long polling
// /api/chats/{id}/events and acting through the small JSON API beside it (bot/playground/web.py).
// Bot text is Telegram HTML: it is rebuilt node by node keeping only Telegram's tags, never
// inserted as markup; what people typed is text.
"use strict";

const TAGS = {
  B: "b", STRONG: "b", I: "i", EM: "i", U: "u", INS: "u", S: "s", STRIKE: "s", DEL: "s",
  CODE: "code", PRE: "pre", A: "a", BLOCKQUOTE: "blockquote", "TG-SPOILER": "span", SPAN: "span",
};

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// A /command in the bot's text, as Telegram marks one: pressing it sends it.
const COMMAND = /(^|[\s(])(\/[a-zA-Z_]{2,32})(?=$|[\s.,;:!?)])/g;

function appendText(text, to, onCommand) {
  if (!onCommand) {
    to.append(document.createTextNode(text));
    return;
  }
  let last = 0;
  for (const match of text.matchAll(COMMAND)) {
    const start = match.index + match[1].length;
    to.append(document.createTextNode(text.slice(last, start)));
    const command = match[2];
    to.append(el("a", { href: "#", class: "command", onclick: (event) => {
      event.preventDefault();
      onCommand(command);
    } }, command));
    last = start + command.length;
  }
  to.append(document.createTextNode(text.slice(last)));
}

function copySafe(from, to, onCommand) {
  for (const node of from.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      appendText(node.data, to, onCommand);
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue;
    const tag = TAGS[node.tagName];
    const spoiler = node.tagName === "TG-SPOILER" ||
      (node.tagName === "SPAN" && node.classList.contains("tg-spoiler"));
    if (!tag || (tag === "span" && !spoiler)) {
      copySafe(node, to, onCommand);  // an unknown tag keeps only its text
      continue;
    }
    const made = document.createElement(tag);
    if (tag === "a") {
      const href = node.getAttribute("href") || "";
      if (/^(https?:|tg:|mailto:)/i.test(href)) {
        made.href = href;
        made.target = "_blank";
        made.rel = "noopener noreferrer";
      }
    }
    if (spoiler) {
      made.className = "spoiler";
      made.addEventListener("click", () => made.classList.add("open"));
    }
    copySafe(node, made, ["a", "code", "pre"].includes(tag) ? null : onCommand);
    to.append(made);
  }
}

function renderText(text, html, into, onCommand = null) {
  if (!html) {
    into.append(document.createTextNode(text));
    return;
  }
  // A document of its own: nothing in it runs or loads; only its nodes' text and allowed
  // tags are copied out.
  const parsed = new DOMParser().parseFromString(`<body>${text}</body>`, "text/html");
  copySafe(parsed.body, into, onCommand);
}

async function post(path, body) {
  const options = { method: "POST" };
  if (body instanceof FormData) options.body = body;
  else {
    options.body = JSON.stringify(body || {});
    options.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(path, options);
  if (!response.ok) console.warn(path, response.status, await response.text());
}

class ChatView {
  constructor(chat) {
    this.chat = chat;
    this.base = `/api/chats/${chat.id}`;
    this.next = 0;
    this.bubbles = new Map();  // the bot's message id -> its <li>
    this.list = el("ol", { class: "messages", "aria-live": "polite" });
    this.keyboard = el("div", { class: "keyboard" });
    this.input = el("input", {
      type: "text", name: "text", autocomplete: "off",
      placeholder: "Tulis pesan… / Write a message…", "aria-label": "Pesan / Message",
    });
    this.file = el("input", { type: "file", name: "file", accept: "image/*,application/pdf,video/*,.doc,.docx" });
    this.file.addEventListener("change", () => this.sendFile());
    const attach = el("label", { class: "attach", title: "Lampirkan foto/berkas / Attach a photo or file" },
      "📎", this.file);
    const form = el("form", { class: "composer" }, attach, this.input,
      el("button", { type: "submit" }, "Kirim"));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.sendText(); });
    this.root = el("div", { class: "chat", "data-chat": chat.key }, this.list, this.keyboard, form);
  }

  async sendText(text) {
    const value = (text ?? this.input.value).trim();
    if (!value) return;
    if (text === undefined) this.input.value = "";
    await post(`${this.base}/text`, { text: value });
  }

  async sendFile() {
    const chosen = this.file.files[0];
    if (!chosen) return;
    const form = new FormData();
    form.append("file", chosen, chosen.name);
    if (this.input.value.trim()) form.append("caption", this.input.value.trim());
    this.input.value = "";
    this.file.value = "";
    await post(`${this.base}/file`, form);
  }

  async follow() {
    for (;;) {
      try {
        const response = await fetch(`${this.base}/events?after=${this.next}`);
        if (!response.ok) throw new Error(String(response.status));
        const answer = await response.json();
        for (const event of answer.events) this.show(event);
        this.next = answer.next;
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  show(event) {
    if (event.kind === "delete") {
      // Deleted by the bot (a confirmation put away): gone from the chat, as in Telegram.
      this.bubbles.get(event.id)?.remove();
      this.bubbles.delete(event.id);
      return;
    }
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    if (event.kind === "edit" && this.bubbles.has(event.id)) {
      const item = this.bubbles.get(event.id);
      item.replaceChildren(...this.content(event, true));
    } else if (event.kind === "notice") {
      this.list.append(el("li", { class: "notice" }, el("div", { class: "bubble" }, event.text)));
    } else {
      const mine = event.kind === "incoming";
      const item = el("li", { class: mine ? "mine" : "bot" }, ...this.content(event, false));
      if (!mine) {
        item.dataset.messageId = event.id;
        this.bubbles.set(event.id, item);
      }
      this.list.append(item);
    }
    if (event.keyboard) this.showKeyboard(event.keyboard);
    if (event.remove_keyboard) this.keyboard.replaceChildren();
    if (atBottom || event.kind === "incoming") this.list.scrollTop = this.list.scrollHeight;
  }

  content(event, edited) {
    const bubble = el("div", { class: "bubble" });
    if (event.kind === "incoming" && this.chat.id < 0) {
      bubble.append(el("div", { class: "sender" }, event.from));
    }
    if (event.photo) bubble.append(el("img", { src: event.photo, alt: "foto / photo" }));
    if (event.document) {
      bubble.append(el("a", {
        class: "document", href: `${event.document.url}?name=${encodeURIComponent(event.document.name)}`,
        download: event.document.name,
      }, `📄 ${event.document.name}`), document.createTextNode("\n"));
    }
    const text = el("span", { class: "text" });
    renderText(event.text || "", event.html, text, (command) => this.sendText(command));
    bubble.append(text);
    if (edited) bubble.append(el("span", { class: "edited" }, "diedit / edited"));
    const parts = [bubble];
    if (event.buttons && event.buttons.length) parts.push(this.inlineButtons(event));
    return parts;
  }

  inlineButtons(event) {
    const grid = el("div", { class: "buttons" });
    for (const row of event.buttons) {
      const line = el("div", { class: "row" });
      for (const button of row) {
        if (button.url && /^https?:/i.test(button.url)) {
          line.append(el("a", { href: button.url, target: "_blank", rel: "noopener noreferrer" }, button.text));
        } else if (button.data) {
          line.append(el("button", {
            type: "button",
            onclick: () => post(`${this.base}/press`, { message_id: event.id, data: button.data }),
          }, button.text));
        }
      }
      grid.append(line);
    }
    return grid;
  }

  showKeyboard(rows) {
    this.keyboard.replaceChildren(...rows.map((row) => el("div", { class: "row" }, ...row.map(
      (button) => el("button", {
        type: "button",
        onclick: () => (button.contact ? post(`${this.base}/contact`) : this.sendText(button.text)),
      }, button.text),
    ))));
  }
}

async function start() {
  const { chats } = await (await fetch("/api/chats")).json();
  const views = new Map(chats.map((chat) => [chat.key, new ChatView(chat)]));
  document.querySelector('[data-pane="citizen"]').append(views.get("citizen").root);
  const staffPane = document.querySelector('[data-pane="staff"]');
  const switcher = staffPane.querySelector(".switch");
  for (const key of ["staff", "officer"]) {
    const view = views.get(key);
    staffPane.append(view.root);
    const tab = el("button", { type: "button", role: "tab", "data-show": key }, view.chat.title);
    tab.addEventListener("click", () => {
      for (const other of ["staff", "officer"]) {
        views.get(other).root.hidden = other !== key;
        switcher.querySelector(`[data-show="${other}"]`).setAttribute("aria-selected", String(other === key));
      }
    });
    switcher.append(tab);
  }
  switcher.querySelector('[data-show="staff"]').click();
  for (const view of views.values()) view.follow();
}

start();
