// seamline ui: live updates by server-sent events, and small conveniences. No dependency.
(function () {
  "use strict";
  const page = document.body.dataset.page;

  // Select-all on the inbox's batch form.
  const all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll('input[name="approval"]').forEach((box) => { box.checked = all.checked; });
    });
  }

  function banner(text) {
    const live = document.getElementById("live");
    if (!live) return;
    live.hidden = false;
    live.textContent = text + " ";
    const reload = document.createElement("a");
    reload.href = window.location.href;
    reload.textContent = "Reload";
    live.appendChild(reload);
  }

  if (!window.EventSource) return;

  // One event stream per page at most: browsers allow six connections per site, shared
  // by every tab. A run's page follows its run; the lists follow the whole store.
  const body = document.getElementById("run-body");
  if (!body && page !== "inbox" && page !== "runs") return;
  if (!body) {
    followStore();
  } else {
    followRun(body);
  }

  function followStore() {
    let fresh = 0;
    const events = new EventSource("/api/events");
    events.addEventListener("approval", (message) => {
      fresh += 1;
      const badge = document.getElementById("inbox-badge");
      if (badge) { badge.hidden = false; badge.textContent = "+" + fresh; }
      if (page === "inbox") banner(fresh + " new approval" + (fresh > 1 ? "s" : "") + " arrived.");
    });
    events.addEventListener("run", () => {
      if (page === "runs") banner("Runs changed.");
    });
  }

  // A run's page redraws itself as its log grows, until the run stops.
  function followRun(body) {
    const runId = body.dataset.run;
    const stream = new EventSource("/api/runs/" + encodeURIComponent(runId) + "/stream");
    stream.addEventListener("progress", async (message) => {
      const data = JSON.parse(message.data);
      if (["succeeded", "failed", "cancelled"].includes(data.status)) stream.close();
      if (String(data.events) === body.dataset.events && data.status === body.dataset.status) return;
      const answer = await fetch("/runs/" + encodeURIComponent(runId) + "/body", { credentials: "same-origin" });
      if (!answer.ok) return;
      body.innerHTML = await answer.text();
      body.dataset.events = String(data.events);
      body.dataset.status = data.status;
    });
  }
})();
