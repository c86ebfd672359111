// The web chat: type as several people, see what moodmoji makes of every message.
// Plain ES module, no build step; talks to this server's JSON API only.

import { MOOD_COLORS, drawMoodChart, valence } from "./chart.js";

const TOKEN_KEY = "moodmoji.token";
const PALETTE = ["#4f6df5", "#e0662b", "#17a07a", "#a257d6", "#d6417a", "#7a8794", "#c99a06"];
const NAMES = ["Alex", "Sam", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Robin"];
const MAX_RETRIES = 3;

const state = {
  people: [
    { name: NAMES[0], color: PALETTE[0] },
    { name: NAMES[1], color: PALETTE[1] },
  ],
  speaker: 0,
  messages: [], // {id, person, text, decision?, error?}
  chatId: `web-${Math.random().toString(36).slice(2, 10)}`,
  nextId: 1,
};

const $ = (id) => document.getElementById(id);

class ApiFailure extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

// ------------------------------------------------------------------ the API

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function request(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json", ...authHeaders() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) {
      const data = await response.json().catch(() => null);
      const hadToken = Boolean(sessionStorage.getItem(TOKEN_KEY));
      const given = await askForToken(hadToken ? "That token was refused. Try again." : null);
      if (!given) throw new ApiFailure(401, data?.detail || "a token is needed");
      continue;
    }
    if (response.status === 503 && attempt < MAX_RETRIES) {
      const wait = Number(response.headers.get("Retry-After") || "1");
      setStatus(`busy — retrying in ${wait}s`, "warn");
      await new Promise((resolve) => setTimeout(resolve, Math.max(wait, 0.2) * 1000));
      continue;
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiFailure(response.status, data?.detail || response.statusText);
    }
    return data;
  }
}

function askForToken(reason) {
  const dialog = $("token-dialog");
  $("token-reason").textContent = reason || "This server asks for its bearer token.";
  $("token-input").value = "";
  return new Promise((resolve) => {
    const finish = (value) => {
      $("token-form").onsubmit = null;
      $("token-cancel").onclick = null;
      dialog.oncancel = null;
      if (dialog.open) dialog.close();
      resolve(value);
    };
    $("token-form").onsubmit = (event) => {
      event.preventDefault();
      const token = $("token-input").value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      finish(true);
    };
    $("token-cancel").onclick = () => finish(false);
    dialog.oncancel = () => finish(false);
    dialog.showModal();
    $("token-input").focus();
  });
}

function setStatus(text, kind = "ok") {
  const status = $("status");
  status.textContent = text;
  status.dataset.kind = kind;
}

// ------------------------------------------------------------------ speakers

function renderSpeakers() {
  const list = $("speakers");
  list.replaceChildren();
  state.people.forEach((person, index) => {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "speaker";
    chip.setAttribute("role", "radio");
    chip.setAttribute("aria-checked", String(index === state.speaker));
    chip.dataset.index = String(index);
    chip.style.setProperty("--person", person.color);
    chip.title = "Click to speak as this person; double-click to rename";
    const dot = document.createElement("span");
    dot.className = "initial";
    dot.textContent = person.name.slice(0, 1).toUpperCase();
    const name = document.createElement("span");
    name.className = "speaker-name";
    name.textContent = person.name;
    chip.append(dot, name);
    chip.addEventListener("click", () => selectSpeaker(index));
    chip.addEventListener("dblclick", () => renameSpeaker(index, chip));
    list.appendChild(chip);
  });
  $("input").placeholder = `Message as ${state.people[state.speaker].name}…`;
}

function selectSpeaker(index) {
  state.speaker = index;
  renderSpeakers();
  $("input").focus();
}

function renameSpeaker(index, chip) {
  const field = document.createElement("input");
  field.className = "rename";
  field.value = state.people[index].name;
  field.maxLength = 24;
  field.setAttribute("aria-label", "Name");
  chip.replaceWith(field);
  field.focus();
  field.select();
  const done = () => {
    const name = field.value.trim();
    if (name) state.people[index].name = name;
    renderSpeakers();
    renderAll();
  };
  field.addEventListener("blur", done, { once: true });
  field.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      field.blur();
    }
  });
}

function addPerson() {
  const index = state.people.length;
  const used = new Set(state.people.map((p) => p.name));
  const name = NAMES.find((n) => !used.has(n)) || `Person ${index + 1}`;
  state.people.push({ name, color: PALETTE[index % PALETTE.length] });
  selectSpeaker(index);
}

// ------------------------------------------------------------------ messages

function chip(className, text, title) {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  if (title) node.title = title;
  return node;
}

// The confidence gate in words, as the terminal chat shows it (bot.decision.Gate.describe):
// "reader would react 0.98 ≥ threshold 0.85 (passed)".
function describeGate(gate) {
  const what = gate.basis === "trigger" ? "reader would react" : "best candidate";
  const digits = !gate.passed && Number(gate.score.toFixed(2)) === gate.threshold ? 4 : 2;
  const sign = gate.passed ? "≥" : "<";
  const verdict = gate.passed ? "passed" : "not passed";
  return `${what} ${gate.score.toFixed(digits)} ${sign} threshold ${gate.threshold} (${verdict})`;
}

function renderAnalysis(container, message) {
  container.replaceChildren();
  if (message.error) {
    container.appendChild(chip("error", `Could not analyse: ${message.error}`));
    return;
  }
  const decision = message.decision;
  if (!decision) {
    container.appendChild(chip("pending", "analysing…"));
    return;
  }
  if (decision.why && decision.why.skipped) {
    container.appendChild(chip("muted", `not analysed (${decision.why.skipped})`));
    return;
  }
  const reactions = document.createElement("div");
  reactions.className = "reactions";
  // The gate (the value compared with the reaction threshold) is not a reaction's own score.
  const gate = decision.gate ? describeGate(decision.gate) : null;
  if (decision.reactions.length) {
    for (const reaction of decision.reactions) {
      const title = [`reaction: candidate score ${reaction.score.toFixed(2)}`];
      if (gate) title.push(`gate: ${gate}`);
      const node = chip("reaction", reaction.emoji, title.join("\n"));
      if (decision.gate) node.dataset.gate = String(decision.gate.score);
      reactions.appendChild(node);
    }
  } else {
    const title = gate ? `moodmoji abstains here; gate: ${gate}` : "moodmoji abstains here";
    reactions.appendChild(chip("abstain", "no reaction", title));
  }
  const moods = document.createElement("div");
  moods.className = "moods";
  for (const mood of decision.moods.filter((m, i) => i === 0 || m.score >= 0.12).slice(0, 3)) {
    const node = chip(`chip mood mood-${mood.label}`, `${mood.label} ${Math.round(mood.score * 100)}%`);
    node.style.setProperty("--mood", MOOD_COLORS[mood.label] || MOOD_COLORS.neutral);
    moods.appendChild(node);
  }
  for (const emotion of decision.emotions.slice(0, 3)) {
    moods.appendChild(chip("chip emotion", emotion.label, `emotion, ${emotion.score.toFixed(2)}`));
  }
  const top = document.createElement("div");
  top.className = "analysis-row";
  top.append(reactions, moods);
  container.appendChild(top);

  if (decision.suggestions.length) {
    const suggestions = document.createElement("div");
    suggestions.className = "suggestions";
    for (const suggestion of decision.suggestions) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "suggestion";
      button.textContent = suggestion.text;
      button.title = `suggested reply (${suggestion.intent}); click to use it`;
      button.addEventListener("click", () => useSuggestion(message, suggestion.text));
      suggestions.appendChild(button);
    }
    container.appendChild(suggestions);
  }

  const why = document.createElement("details");
  why.className = "why";
  const summary = document.createElement("summary");
  summary.textContent = "why?";
  const list = document.createElement("ul");
  const candidates = decision.why.candidates
    .slice(0, 5)
    .map((c) => `${c.emoji} ${c.score.toFixed(2)}`)
    .join(", ");
  const first = document.createElement("li");
  first.textContent = `candidates: ${candidates || "none"}`;
  list.appendChild(first);
  if (gate) {
    const item = document.createElement("li");
    item.className = "gate";
    item.textContent = `gate: ${gate}`;
    list.appendChild(item);
  }
  for (const step of decision.why.steps) {
    const item = document.createElement("li");
    item.textContent = `${step.rule}: ${step.detail}`;
    list.appendChild(item);
  }
  why.append(summary, list);
  container.appendChild(why);
}

function renderMessage(message) {
  const person = state.people[message.person];
  let item = document.querySelector(`li.msg[data-id="${message.id}"]`);
  if (!item) {
    item = document.createElement("li");
    item.className = "msg";
    item.dataset.id = String(message.id);
    const avatar = document.createElement("div");
    avatar.className = "avatar";
    const body = document.createElement("div");
    body.className = "body";
    const meta = document.createElement("div");
    meta.className = "meta";
    const author = document.createElement("span");
    author.className = "author";
    const time = document.createElement("time");
    time.textContent = message.time;
    meta.append(author, time);
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.dir = "auto";
    bubble.textContent = message.text || "\u00a0";
    const analysis = document.createElement("div");
    analysis.className = "analysis";
    body.append(meta, bubble, analysis);
    item.append(avatar, body);
    $("messages").appendChild(item);
  }
  item.style.setProperty("--person", person.color);
  item.dataset.person = String(message.person);
  item.querySelector(".avatar").textContent = person.name.slice(0, 1).toUpperCase();
  item.querySelector(".author").textContent = person.name;
  renderAnalysis(item.querySelector(".analysis"), message);
}

function useSuggestion(message, text) {
  // Replying to someone else's message: speak as the next person if the author is speaking.
  if (state.speaker === message.person && state.people.length > 1) {
    selectSpeaker((message.person + 1) % state.people.length);
  }
  const input = $("input");
  input.value = text;
  input.focus();
  input.setSelectionRange(text.length, text.length);
}

// ------------------------------------------------------------------ the side panel

function renderChart() {
  const points = state.messages
    .filter((m) => m.decision && !m.decision.why?.skipped && m.decision.moods.length)
    .map((m) => ({
      valence: valence(m.decision.moods),
      mood: m.decision.mood,
      score: m.decision.moods[0]?.score || 0,
      person: m.person,
    }));
  drawMoodChart($("mood-chart"), points, state.people);
  const legend = $("chart-legend");
  legend.replaceChildren();
  for (const person of state.people) {
    const entry = chip("legend-person", person.name);
    entry.style.setProperty("--person", person.color);
    legend.appendChild(entry);
  }
  const trend = chip("legend-trend", "running mood");
  legend.appendChild(trend);
}

function renderMix() {
  const mix = $("mix");
  const analysed = state.messages.filter((m) => m.decision && m.decision.mood);
  mix.replaceChildren();
  if (!analysed.length) {
    const none = document.createElement("p");
    none.className = "muted";
    none.textContent = "No messages yet.";
    mix.appendChild(none);
    return;
  }
  const rows = [{ label: "Everyone", color: "#333", messages: analysed }];
  state.people.forEach((person, index) => {
    const own = analysed.filter((m) => m.person === index);
    if (own.length) rows.push({ label: person.name, color: person.color, messages: own });
  });
  for (const row of rows) {
    const counts = {};
    for (const m of row.messages) counts[m.decision.mood] = (counts[m.decision.mood] || 0) + 1;
    const line = document.createElement("div");
    line.className = "mix-row";
    const label = chip("mix-label", `${row.label} (${row.messages.length})`);
    label.style.setProperty("--person", row.color);
    const bar = document.createElement("div");
    bar.className = "mix-bar";
    for (const [mood, count] of Object.entries(counts).sort((a, b) => b[1] - a[1])) {
      const part = document.createElement("span");
      part.className = "mix-part";
      part.style.flexGrow = String(count);
      part.style.background = MOOD_COLORS[mood] || MOOD_COLORS.neutral;
      part.title = `${mood}: ${count}`;
      part.textContent = count / row.messages.length >= 0.2 ? mood : "";
      bar.appendChild(part);
    }
    line.append(label, bar);
    mix.appendChild(line);
  }
}

function renderAll() {
  for (const message of state.messages) renderMessage(message);
  renderChart();
  renderMix();
}

// ------------------------------------------------------------------ sending

async function send(text) {
  const message = {
    id: state.nextId++,
    person: state.speaker,
    text,
    time: new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
  };
  state.messages.push(message);
  $("empty")?.remove();
  renderMessage(message);
  scrollToEnd();
  try {
    message.decision = await request("POST", "/v1/analyze", {
      text,
      platform: $("platform").value,
      chat_id: state.chatId,
      author_id: `web-${message.person}`,
      message_id: String(message.id),
      explicit: true,
    });
    setStatus("ready");
  } catch (error) {
    message.error = error.message;
    setStatus(error.status === 401 ? "token needed" : "error", "error");
  }
  renderMessage(message);
  renderChart();
  renderMix();
  scrollToEnd();
}

function scrollToEnd() {
  const list = $("messages");
  list.scrollTop = list.scrollHeight;
}

async function checkReady() {
  try {
    const response = await fetch("/readyz");
    const data = await response.json();
    setStatus(data.ready ? "ready" : "loading the model…", data.ready ? "ok" : "warn");
    if (!data.ready) setTimeout(checkReady, 1000);
  } catch {
    setStatus("server unreachable", "error");
    setTimeout(checkReady, 3000);
  }
}

function start() {
  renderSpeakers();
  renderChart();
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("input");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    send(text);
  });
  $("add-person").addEventListener("click", addPerson);
  $("new-chat").addEventListener("click", () => {
    state.messages = [];
    state.chatId = `web-${Math.random().toString(36).slice(2, 10)}`;
    $("messages").replaceChildren();
    renderChart();
    renderMix();
    $("input").focus();
  });
  $("input").focus();
  checkReady();
}

start();
