// Live updates without reload: the server polls ClickHouse and sends a server-sent event when
// the stories change; we re-fetch the server-rendered fragment of this page ([data-partial])
// and swap it in (keeping which rows are open and where the focus is), then announce the
// change in the aria-live region. The health strip refreshes every few seconds.
// Keys on the river: j/k or arrows move, Enter expands, o opens the story, / searches.
(function () {
  "use strict";
  const region = document.querySelector("[data-partial]");
  const health = document.getElementById("health");
  const live = document.getElementById("live");
  const conn = document.getElementById("conn");
  const RECENT_MS = 5 * 60 * 1000;

  function ago(iso) {
    const secs = (Date.now() - Date.parse(iso)) / 1000;
    if (isNaN(secs)) return "unknown";
    if (secs < 0) return "in the future";
    if (secs < 60) return "just now";
    if (secs < 3600) return Math.floor(secs / 60) + " min ago";
    if (secs < 86400) return Math.floor(secs / 3600) + " h ago";
    const d = Math.floor(secs / 86400);
    return d + (d === 1 ? " day ago" : " days ago");
  }

  function refreshTimes(root) {
    root.querySelectorAll("time[data-ago]").forEach((t) => { t.textContent = ago(t.dateTime); });
    root.querySelectorAll(".row[data-changed]").forEach((r) => {
      const t = Date.parse(r.dataset.changed);
      r.classList.toggle("recent", !isNaN(t) && Date.now() - t < RECENT_MS);
    });
  }

  function setConn(state, text) { conn.dataset.state = state; conn.textContent = text; }

  async function fetchHTML(url, signal) {
    const r = await fetch(url, { signal: signal, headers: { Accept: "text/html" } });
    if (!r.ok && r.status !== 503) throw new Error("HTTP " + r.status);
    return r.text();
  }

  let inflight = null;
  async function swap(changed) {
    if (!region) return;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    let html;
    try { html = await fetchHTML(region.dataset.partial, inflight.signal); } catch (e) { return; }
    const open = new Set([...region.querySelectorAll("details[open][data-story-id]")].map((d) => d.dataset.storyId));
    const focused = document.activeElement && document.activeElement.closest("[data-story-id]");
    const focusId = focused ? focused.dataset.storyId : null;
    region.innerHTML = html;
    region.querySelectorAll("details[data-story-id]").forEach((d) => { if (open.has(d.dataset.storyId)) d.open = true; });
    if (focusId) {
      const again = region.querySelector('[data-story-id="' + CSS.escape(focusId) + '"] summary');
      if (again) again.focus({ preventScroll: true });
    }
    refreshTimes(region);
    const ids = new Set(changed || []);
    const names = [];
    region.querySelectorAll("[data-story-id]").forEach((el) => {
      if (ids.has(el.dataset.storyId)) {
        el.classList.add("fresh");
        const h = el.querySelector("h3 a, h1");
        if (h) names.push(h.textContent.trim());
      }
    });
    const when = new Date().toLocaleTimeString();
    live.textContent = ids.size
      ? "Updated " + when + ": " + ids.size + " stor" + (ids.size === 1 ? "y" : "ies") + " changed" +
        (names.length ? " — " + names.slice(0, 2).join("; ") : "") + "."
      : "Updated " + when + ".";
  }

  async function refreshHealth() {
    if (!health) return;
    try { health.innerHTML = await fetchHTML(health.dataset.health); } catch (e) { /* keep the last reading */ }
  }

  // keyboard navigation over the river rows
  function rows() { return [...document.querySelectorAll(".river details > summary")]; }
  function move(step) {
    const all = rows();
    if (!all.length) return;
    const i = all.indexOf(document.activeElement);
    const next = all[Math.max(0, Math.min(all.length - 1, i < 0 ? 0 : i + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    const inRiver = !!rows().length;
    if (e.key === "/") { const q = document.getElementById("f-q"); if (q) { e.preventDefault(); q.focus(); } }
    else if (inRiver && (e.key === "j" || e.key === "ArrowDown")) { e.preventDefault(); move(1); }
    else if (inRiver && (e.key === "k" || e.key === "ArrowUp")) { e.preventDefault(); move(-1); }
    else if (e.key === "o" && document.activeElement && document.activeElement.tagName === "SUMMARY") {
      const a = document.activeElement.querySelector("h3 a");
      if (a) a.click();
    }
  });

  // time range: presets apply at once; "custom" shows its two inputs
  const form = document.getElementById("filters");
  if (form) {
    form.querySelectorAll('input[name="range"]').forEach((r) => r.addEventListener("change", () => {
      const custom = form.querySelector(".custom");
      if (r.value === "custom") { custom.hidden = false; form.querySelector("#f-from").focus(); }
      else { custom.hidden = true; form.requestSubmit(); }
    }));
    form.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => form.requestSubmit()));
    form.addEventListener("submit", () => {  // keep the URL short: drop empty fields
      form.querySelectorAll("input, select").forEach((el) => {
        if (el.name && !el.value) el.disabled = true;
        if (el.name === "range" && el.checked && el.value === "24h") el.disabled = true;
      });
    });
  }

  if (window.EventSource) {
    const es = new EventSource("/events");
    es.addEventListener("hello", (e) => {
      const d = JSON.parse(e.data);
      setConn(d.error ? "down" : "live", d.error ? "Waiting for ClickHouse" : "Live");
    });
    es.addEventListener("change", (e) => {
      const d = JSON.parse(e.data);
      setConn("live", "Live");
      swap(d.changed);
      refreshHealth();
    });
    es.addEventListener("status", (e) => {
      const d = JSON.parse(e.data);
      setConn(d.error ? "down" : "live", d.error ? "Waiting for ClickHouse" : "Live");
      if (d.error) live.textContent = d.error; else swap([]);
      refreshHealth();
    });
    es.onerror = () => setConn("down", "Reconnecting…");
  } else {
    setConn("down", "No live updates in this browser");
  }
  refreshTimes(document);
  setInterval(() => refreshTimes(document), 30000);
  setInterval(refreshHealth, 5000);
})();
