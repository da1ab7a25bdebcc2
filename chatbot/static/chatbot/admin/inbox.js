// The staff inbox's conversation page: inserts canned replies, and polls the staff-only
// live route every few seconds so new messages, the state and notes appear while the page
// is open. Texts are set with textContent: nothing from the chat becomes HTML.
(() => {
  const root = document.getElementById("cb-inbox");
  if (!root) return;
  const list = document.getElementById("cb-transcript");
  const notes = document.getElementById("cb-notes");
  const state = document.getElementById("cb-state");
  const contact = document.getElementById("cb-contact");
  const reply = document.getElementById("cb-reply");
  const canned = document.getElementById("cb-canned");
  const every = Math.max(1, Number(root.dataset.every) || 3) * 1000;
  let after = Number(root.dataset.after) || 0;

  if (canned && reply) {
    canned.addEventListener("change", () => {
      if (!canned.value) return;
      const at = reply.selectionStart ?? reply.value.length;
      reply.value = reply.value.slice(0, at) + canned.value + reply.value.slice(reply.selectionEnd ?? at);
      canned.value = "";
      reply.focus();
    });
  }

  function row(m) {
    const li = document.createElement("li");
    li.className = `cb-msg cb-${m.role}`;
    li.dataset.id = String(m.id);
    li.dataset.status = m.status;
    const who = document.createElement("span");
    who.className = "cb-who";
    who.textContent = m.roleLabel;
    const time = document.createElement("time");
    time.textContent = m.at;
    const text = document.createElement("div");
    text.className = "cb-text";
    text.textContent = m.text;
    li.append(who, " ", time, text);
    return li;
  }

  function showMessages(messages) {
    if (!messages.length) return;
    const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    for (const empty of list.querySelectorAll(".cb-empty")) empty.remove();
    for (const m of messages) {
      const fresh = row(m);
      const old = list.querySelector(`li[data-id="${m.id}"]`);
      if (old) old.replaceWith(fresh);
      else list.append(fresh);
    }
    if (atEnd) list.scrollTop = list.scrollHeight;
  }

  function showNotes(items) {
    notes.replaceChildren(
      ...items.map((n) => {
        const li = document.createElement("li");
        li.dataset.id = String(n.id);
        const text = document.createElement("div");
        text.className = "cb-text";
        text.textContent = n.text;
        const small = document.createElement("small");
        small.textContent = `${n.author} · ${n.at}`;
        li.append(text, small);
        return li;
      }),
    );
  }

  async function poll() {
    try {
      const url = new URL(root.dataset.liveUrl, location.href);
      url.searchParams.set("after", String(after));
      const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!res.ok) return;
      const data = await res.json();
      showMessages(data.messages || []);
      after = data.after ?? after;
      if (state && data.state) {
        state.textContent = data.stateLabel;
        state.className = `cb-state cb-${data.state}`;
        root.dataset.state = data.state;
      }
      if (contact) contact.textContent = data.contactEmail || "—";
      if (notes && Array.isArray(data.notes) && data.notes.length) showNotes(data.notes);
    } catch {
      // Offline for a moment: the next poll tries again.
    } finally {
      setTimeout(poll, document.hidden ? every * 3 : every);
    }
  }

  list.scrollTop = list.scrollHeight;
  setTimeout(poll, every);
})();
