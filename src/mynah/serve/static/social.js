// The writing tools on the page: a compose panel with a live length counter in the
// platform's own units (the server counts, as the platform does: /v1/social/count), draft
// suggestions (/v1/social/compose), and on each post card of an answer "suggest replies"
// and "summarize thread" (/v1/social/replies, /v1/social/summarize). Everything from the
// server is set as text. Functions of chat.js (headers, bubble, renderAnswer, note) are
// called at click time, after it has loaded.
"use strict";

const composeBox = document.getElementById("compose");
const draftText = document.getElementById("compose-text");
const counter = document.getElementById("compose-count");
const platformSel = document.getElementById("compose-platform");
let countTimer = null;
let countSeq = 0;

document.getElementById("compose-toggle").addEventListener("click", () => {
  composeBox.hidden = !composeBox.hidden;
  document.getElementById("compose-toggle").setAttribute("aria-expanded", String(!composeBox.hidden));
  if (!composeBox.hidden) {
    draftText.focus();
    recount();
  }
});

async function socialPost(path, body) {
  const r = await fetch("/v1/social/" + path, { method: "POST", headers: headers(), body: JSON.stringify(body) });
  const out = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(out.error ? out.error.message : r.status + " " + r.statusText);
  return out;
}

// Counted by the server a moment after typing stops; the newest answer wins.
async function recount() {
  const seq = ++countSeq;
  try {
    const c = await socialPost("count", { text: draftText.value, platform: platformSel.value });
    if (seq !== countSeq) return;
    counter.textContent = `${c.length} / ${c.limit} ${c.unit}`;
    counter.classList.toggle("over", !c.fits);
    counter.dataset.length = String(c.length);
  } catch (e) {
    counter.textContent = "could not count: " + e.message;
  }
}

function scheduleCount() {
  clearTimeout(countTimer);
  countTimer = setTimeout(recount, 150);
}
draftText.addEventListener("input", scheduleCount);
platformSel.addEventListener("change", recount);

function draftItem(d, onPick) {
  const li = document.createElement("li");
  li.className = "draft";
  const text = document.createElement("div");
  text.className = "draft-text";
  const parts = d.posts ? d.posts.map((p) => p.text) : [d.text];
  text.textContent = parts.join("\n\n");
  const meta = document.createElement("div");
  meta.className = "draft-meta";
  meta.textContent = d.posts
    ? `thread of ${d.posts.length}, each within ${d.limit} ${d.unit}`
    : `${d.length} / ${d.limit} ${d.unit}`;
  li.append(text, meta);
  if (d.refusal) li.append(" ", d.refusal);
  if (onPick) {
    li.tabIndex = 0;
    li.title = "use this draft";
    li.addEventListener("click", () => onPick(d));
  }
  return li;
}

document.getElementById("compose-suggest").addEventListener("click", async () => {
  const list = document.getElementById("compose-drafts");
  const instructions = draftText.value.trim();
  if (!instructions) {
    draftText.focus();
    return;
  }
  list.replaceChildren();
  composeBox.dataset.state = "loading";
  try {
    const out = await socialPost("compose", { instructions, platform: platformSel.value, n: 3 });
    for (const d of out.data) {
      list.appendChild(
        draftItem(d, (picked) => {
          draftText.value = picked.posts ? picked.posts.map((p) => p.text).join("\n\n") : picked.text;
          recount();
        })
      );
    }
    composeBox.dataset.state = "done";
  } catch (e) {
    const li = document.createElement("li");
    li.className = "draft error";
    li.textContent = "Error: " + e.message;
    list.appendChild(li);
    composeBox.dataset.state = "error";
  }
});

// The buttons under each post card of an answer (chat.js: citationCards calls this).
function cardActions(cell, c) {
  if (!c.id) return;
  const bar = document.createElement("div");
  bar.className = "card-actions";
  const replies = document.createElement("button");
  replies.type = "button";
  replies.className = "suggest-replies";
  replies.textContent = "Suggest replies";
  replies.addEventListener("click", () => socialAnswer("replies", c, { post_id: c.id, n: 3 }));
  const summary = document.createElement("button");
  summary.type = "button";
  summary.className = "summarize-thread";
  summary.textContent = "Summarize thread";
  summary.addEventListener("click", () => socialAnswer("summarize", c, { post_id: c.id }));
  bar.append(replies, summary);
  cell.appendChild(bar);
}

async function socialAnswer(task, c, body) {
  const label = task === "replies" ? "Reply suggestions for" : "Summary of the thread of";
  const ask = bubble("user", `${label} @${c.author || "unknown"}'s post`);
  ask.classList.add("social");
  const div = bubble("assistant", "");
  div.classList.add("social");
  div.dataset.task = task;
  div.dataset.state = "loading";
  body.platform = platformSel.value;
  try {
    const out = await socialPost(task, body);
    if (task === "summarize") {
      renderAnswer(div, out.data[0].text, out.citations, out.provenance);
      const meta = document.createElement("div");
      meta.className = "draft-meta";
      meta.textContent = `${out.data[0].length} / ${out.data[0].limit} ${out.data[0].unit}`;
      div.appendChild(meta);
    } else {
      const list = document.createElement("ul");
      list.className = "drafts";
      for (const d of out.data) list.appendChild(draftItem(d, null));
      div.replaceChildren(list);
      provenanceMark(div, out.provenance);
    }
    div.dataset.state = "done";
  } catch (e) {
    div.dataset.state = "error";
    div.classList.add("error");
    note(div, "Error: " + e.message);
  }
}
