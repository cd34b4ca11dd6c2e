// Live updates without reload: the server polls ClickHouse and sends a server-sent event
// when the stories change; we re-fetch the server-rendered fragment of this page
// ([data-partial]) and swap it in, then announce the change in the aria-live region.
(function () {
  "use strict";
  const region = document.querySelector("[data-partial]");
  const live = document.getElementById("live");
  const conn = document.getElementById("conn");

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
  }

  function setConn(state, text) { conn.dataset.state = state; conn.textContent = text; }

  let inflight = null;
  async function swap(changed) {
    if (!region) return;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    let html;
    try {
      const r = await fetch(region.dataset.partial, { signal: inflight.signal, headers: { Accept: "text/html" } });
      if (!r.ok) return;
      html = await r.text();
    } catch (e) { return; }
    region.innerHTML = html;
    refreshTimes(region);
    const ids = new Set(changed || []);
    const names = [];
    region.querySelectorAll("[data-story-id]").forEach((el) => {
      if (ids.has(el.dataset.storyId)) {
        el.classList.add("fresh");
        const h = el.querySelector("h3 a");
        if (h) names.push(h.textContent.trim());
      }
    });
    const when = new Date().toLocaleTimeString();
    if (ids.size) {
      live.textContent = "Updated " + when + ": " + ids.size + " stor" + (ids.size === 1 ? "y" : "ies") +
        " changed" + (names.length ? " — " + names.slice(0, 2).join("; ") : "") + ".";
    } else {
      live.textContent = "Updated " + when + ".";
    }
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
    });
    es.addEventListener("status", (e) => {
      const d = JSON.parse(e.data);
      setConn(d.error ? "down" : "live", d.error ? "Waiting for ClickHouse" : "Live");
      if (d.error) live.textContent = d.error; else swap([]);
    });
    es.onerror = () => setConn("down", "Reconnecting…");
  } else {
    setConn("down", "No live updates in this browser");
  }
  refreshTimes(document);
  setInterval(() => refreshTimes(document), 30000);
})();
