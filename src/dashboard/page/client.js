// The dashboard page's script, inlined by page.ts. Plain browser JavaScript, no build step and no external
// assets; every piece of data goes into the DOM through textContent, never as HTML.
(() => {
  // The page is served at `<base>/`: `/_pipeline/` on the engine, `/` by `pipeline ui`.
  const base = location.pathname.replace(/\/[^/]*$/, "");
  // Rendered by the server: a read-only dashboard (pipeline ui on AWS, or with --read-only) offers no writes.
  const writable = document.body.dataset.writable !== "false";
  const byId = (id) => document.getElementById(id);
  const clock = () => performance.timeOrigin + performance.now();

  /** Creates an element with attributes (`class`, `data-*`, properties) and children (nodes or text). */
  function h(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("data-") || name.startsWith("aria-") || name === "role" || name === "title")
        node.setAttribute(name, String(value));
      else node[name] = value;
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const formatMs = (ms) =>
    ms === undefined || ms === null || Number.isNaN(ms)
      ? ""
      : ms < 10
        ? `${ms.toFixed(1)} ms`
        : ms < 10_000
          ? `${Math.round(ms)} ms`
          : `${(ms / 1000).toFixed(1)} s`;
  const formatBytes = (bytes) =>
    bytes === undefined
      ? ""
      : bytes < 1024
        ? `${bytes} B`
        : bytes < 1024 * 1024
          ? `${(bytes / 1024).toFixed(1)} KB`
          : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const formatTime = (epochMs) =>
    epochMs ? new Date(epochMs).toLocaleTimeString([], { hour12: false }) : "";
  const shortId = (id) => (id ? id.slice(0, 8) : "");

  async function api(path, init) {
    const response = await fetch(`${base}${path}`, init);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
    return body;
  }

  /** Coalesces calls made within `ms` into one. */
  function debounce(fn, ms) {
    let timer;
    return () => {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // ---- Theme -------------------------------------------------------------------------------------------
  const themeButton = byId("theme-toggle");
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)");
  const currentTheme = () =>
    document.documentElement.dataset.theme ?? (systemDark.matches ? "dark" : "light");
  function showTheme() {
    const dark = currentTheme() === "dark";
    themeButton.textContent = dark ? "Light theme" : "Dark theme";
    themeButton.setAttribute("aria-label", dark ? "Switch to the light theme" : "Switch to the dark theme");
  }
  themeButton.addEventListener("click", () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem("pipeline-dashboard-theme", next);
    } catch {}
    showTheme();
  });
  systemDark.addEventListener("change", showTheme);
  showTheme();
  byId("endpoint").textContent = location.origin;
  byId("source-line").hidden = true;

  // ---- Update latency (engine emit time -> DOM updated) -------------------------------------------------
  const latencies = [];
  const latencyText = byId("latency");
  let latencyLabel = "Live update latency";
  function recordLatency(emittedAt) {
    if (typeof emittedAt !== "number") return;
    latencies.push(clock() - emittedAt);
    if (latencies.length > 1000) latencies.shift();
    showLatency();
  }
  const showLatency = debounce(() => {
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = sorted[Math.floor((sorted.length - 1) / 2)];
    const max = sorted[sorted.length - 1];
    latencyText.textContent = `${latencyLabel}: p50 ${formatMs(p50)}, max ${formatMs(max)} over ${sorted.length} updates`;
  }, 200);
  // Tests read these to measure update latency.
  window.pipelineDashboard = { latencies };

  // ---- Flow --------------------------------------------------------------------------------------------
  const flowList = byId("flow-rows");
  const rows = new Map();
  const maxRows = 200;

  const statusTone = (status) =>
    status === "written"
      ? "ok"
      : status === "duplicate"
        ? "warn"
        : status === "failed" || status === "dropped"
          ? "bad"
          : status.startsWith("skipped")
            ? "idle"
            : status === "uploaded"
              ? "idle"
              : "info";

  const step = (label, latency, extra) =>
    h(
      "span",
      { class: "step", ...extra },
      label,
      latency ? h("span", { class: "lat", text: latency }) : null,
    );
  const arrow = () => h("span", { class: "arrow", "aria-hidden": "true", text: "→" });

  function deliveryChain(row, delivery, index) {
    const parts = [];
    if (index === 0 && row.uploadedAt) parts.push(step("uploaded", "", { "data-step": "uploaded" }), arrow());
    const sourceLabel =
      delivery.source === "redrive"
        ? "re-driven"
        : delivery.source === "invoke"
          ? "direct invoke"
          : `delivered${delivery.copy && delivery.copy > 1 ? ` (copy ${delivery.copy})` : ""}`;
    const since = delivery.source === "s3" && row.uploadedAt ? delivery.queuedAt - row.uploadedAt : undefined;
    parts.push(
      step(sourceLabel, since === undefined ? "" : `+${formatMs(since)}`, {
        "data-step": "delivered",
        title: "Time from the upload to the event being queued for the function",
      }),
    );
    const invocations = delivery.invocations ?? [];
    const last = invocations[invocations.length - 1];
    if (last) {
      const first = invocations[0];
      const bits = [
        `invocation ${shortId(delivery.requestId)}`,
        invocations.length > 1 ? `attempt ${invocations.length}` : "",
        last.cold ? "cold" : "warm",
        last.endedAt === undefined ? "running…" : formatMs(last.durationMs),
        last.outcome && last.outcome !== "success" ? last.outcome : "",
      ].filter(Boolean);
      parts.push(
        arrow(),
        step(bits.join(" · "), `+${formatMs(first.startedAt - delivery.queuedAt)}`, {
          "data-step": "invocation",
          title: last.error ?? "Time from queued to the first attempt starting; then the run's duration",
        }),
      );
    }
    if (delivery.retry) {
      parts.push(
        arrow(),
        step(`retry after attempt ${delivery.retry.attempt} in ${formatMs(delivery.retry.delayMs)}`, "", {
          "data-step": "retry",
          title: delivery.retry.error,
        }),
      );
    }
    const outcome = delivery.failed
      ? { label: `failed after ${delivery.failed.attempts} attempts`, at: delivery.failed.at, tone: "bad" }
      : delivery.record
        ? {
            label: delivery.record.outcome,
            at: delivery.record.at,
            tone: statusTone(delivery.record.outcome),
          }
        : undefined;
    if (outcome) {
      const from = invocations[0]?.startedAt ?? delivery.queuedAt;
      parts.push(
        arrow(),
        h(
          "span",
          { class: "step", "data-step": "outcome", "data-outcome": delivery.record?.outcome ?? "failed" },
          h("span", { class: `badge ${outcome.tone}`, text: outcome.label }),
          h("span", { class: "lat", text: `+${formatMs(outcome.at - from)}` }),
        ),
      );
    }
    if (delivery.redrivenAs) parts.push(h("span", { class: "flow-meta", text: "(re-driven)" }));
    return h(
      "li",
      { class: "chain", "data-request-id": delivery.requestId, "data-state": delivery.state },
      parts,
    );
  }

  function renderRow(row) {
    const written = row.deliveries.find((d) => d.record?.outcome === "written");
    const endToEnd = written && row.uploadedAt ? written.record.at - row.uploadedAt : undefined;
    const meta = [
      formatBytes(row.size),
      row.uploadedAt ? `uploaded ${formatTime(row.uploadedAt)}` : "",
      endToEnd !== undefined ? `upload → record ${formatMs(endToEnd)}` : "",
    ].filter(Boolean);
    return h(
      "li",
      { class: "flow-row", "data-row-id": row.id, "data-status": row.status, "data-key": row.key },
      h(
        "div",
        { class: "flow-head" },
        h("span", { class: `badge ${statusTone(row.status)}`, "data-role": "status", text: row.status }),
        h("span", { class: "flow-key", text: row.key }),
        h("span", { class: "flow-meta", text: meta.join(" · ") }),
        row.duplicates > 0
          ? h("span", {
              class: "badge warn",
              "data-role": "duplicates",
              text: `${row.duplicates} duplicate${row.duplicates > 1 ? "s" : ""}`,
            })
          : null,
        row.dropped ? h("span", { class: "badge bad", text: `dropped: ${row.dropped.reason}` }) : null,
      ),
      row.deliveries.length
        ? h(
            "ol",
            { class: "deliveries", "aria-label": `Deliveries of ${row.key}` },
            row.deliveries.map((d, i) => deliveryChain(row, d, i)),
          )
        : null,
    );
  }

  const rowOrder = (row) => Number(String(row.id).slice(1)) || 0;

  function upsertRow(row, emittedAt) {
    const previous = rows.get(row.id);
    const node = renderRow(row);
    if (previous) {
      previous.node.replaceWith(node);
    } else {
      node.classList.add("fresh");
      // Newest first: before the first row that is older.
      const next = [...rows.values()]
        .filter((r) => rowOrder(r.row) < rowOrder(row))
        .sort((a, b) => rowOrder(b.row) - rowOrder(a.row))[0];
      flowList.insertBefore(node, next ? next.node : null);
    }
    rows.set(row.id, { row, node });
    if (rows.size > maxRows) {
      const oldest = [...rows.values()].sort((a, b) => rowOrder(a.row) - rowOrder(b.row))[0];
      oldest.node.remove();
      rows.delete(oldest.row.id);
    }
    recordLatency(emittedAt);
    showFlowSummary();
  }

  function showFlowSummary() {
    const all = [...rows.values()].map((r) => r.row);
    byId("flow-empty").hidden = all.length > 0;
    const count = (s) => all.filter((r) => r.status === s).length;
    byId("flow-summary").textContent = all.length
      ? `${all.length} objects · ${count("written")} written · ${count("failed")} failed`
      : "no uploads yet";
  }

  function resetFlow(snapshot) {
    flowList.replaceChildren();
    rows.clear();
    for (const row of [...snapshot].reverse()) upsertRow(row);
    showFlowSummary();
  }

  // ---- Live events -------------------------------------------------------------------------------------
  const connection = byId("connection");
  function connect() {
    const source = new EventSource(`${base}/events`);
    source.addEventListener("open", () => {
      connection.dataset.state = "live";
      connection.textContent = "Live";
    });
    source.addEventListener("error", () => {
      connection.dataset.state = "lost";
      connection.textContent = "Reconnecting…";
      // EventSource gives up on an error status (engine stopping); keep trying, as the engine may come back.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    });
    source.addEventListener("hello", (message) => {
      const data = JSON.parse(message.data);
      resetFlow(data.rows);
      const s = data.stack;
      byId("stack-line").textContent =
        `s3://${s.bucket}/${s.uploadPrefix} → λ ${s.functionName} → DynamoDB ${s.table} (${s.region})`;
      byId("upload-prefix").textContent = s.uploadPrefix;
      byId("logs-group").textContent = s.logGroup;
      if (data.source) showSource(data.source);
      // Anything may have happened while disconnected.
      refreshRecords();
      refreshFailed();
    });
    source.addEventListener("row", (message) => {
      const data = JSON.parse(message.data);
      upsertRow(data.row, data.at);
    });
    source.addEventListener("log", (message) => {
      const data = JSON.parse(message.data);
      addLogLines(
        data.events.map((e) => ({ ...e, stream: data.stream })),
        data.at,
      );
    });
    source.addEventListener("records", refreshRecordsSoon);
    source.addEventListener("failed", refreshFailed);
  }

  /** Where the data comes from and how fresh it can be: live engine events, or polling of the AWS APIs. */
  function showSource(source) {
    byId("endpoint").textContent = source.label;
    byId("source-line").hidden = false;
    const access = source.writable ? "" : " Read-only.";
    byId("source-line").textContent = source.pollMs
      ? `Reading ${source.label} through the AWS APIs, polled every ${formatMs(source.pollMs)}: updates lag by up to that, plus the time logs take to arrive; upload times are S3's LastModified.${access}`
      : `Live from the ${source.label}.${access}`;
    if (source.pollMs) {
      latencyLabel = `Update latency (event → page, polling every ${formatMs(source.pollMs)})`;
      if (!latencies.length) latencyText.textContent = `${latencyLabel}: waiting for events`;
    }
    if (source.failedNote) byId("failed-note").textContent = source.failedNote;
  }

  // ---- Stack health ------------------------------------------------------------------------------------
  const checksList = byId("health-checks");
  const healthButton = byId("health-refresh");
  let healthTimer;
  async function refreshHealth() {
    clearTimeout(healthTimer);
    healthButton.disabled = true;
    try {
      const report = await api("/api/health");
      const open = new Set(
        [...checksList.querySelectorAll("details[open]")].map((d) => d.closest("li").dataset.checkId),
      );
      byId("health-error").hidden = !report.error;
      byId("health-error").textContent = report.error ? `Could not read the stack: ${report.error}` : "";
      // Which Node runs the function: an emulated runtime is said in words, never left to be guessed.
      const runtimeLine = byId("health-runtime");
      runtimeLine.hidden = !report.runtime;
      runtimeLine.dataset.emulated = String(Boolean(report.runtime?.emulated));
      runtimeLine.textContent = report.runtime?.description ?? "";
      byId("health-summary").textContent = report.total
        ? `${report.passed} of ${report.total} pass · ${formatTime(Date.parse(report.checkedAt))}`
        : "not available";
      checksList.replaceChildren(
        ...report.checks.map((check) =>
          h(
            "li",
            { class: "check", "data-check-id": check.id, "data-ok": String(check.ok) },
            h(
              "details",
              { open: open.has(check.id) },
              h(
                "summary",
                {},
                h("span", {
                  class: `verdict ${check.ok ? "pass" : "fail"}`,
                  text: check.ok ? "PASS" : "FAIL",
                }),
                h("span", { text: check.title }),
              ),
              h(
                "dl",
                {},
                h("dt", { text: "Observed" }),
                h("dd", { text: check.observed }),
                h("dt", { text: "Expected" }),
                h("dd", { text: check.expected }),
                h("dt", { text: "AWS CLI" }),
                h("dd", {}, h("code", { text: check.command })),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      byId("health-error").hidden = false;
      byId("health-error").textContent = `Health check failed: ${error.message}`;
    } finally {
      healthButton.disabled = false;
      healthTimer = setTimeout(refreshHealth, 5000);
    }
  }
  healthButton.addEventListener("click", refreshHealth);

  // ---- Records -----------------------------------------------------------------------------------------
  let records = [];
  let recordsTotal = 0;
  let recordsComplete = true;
  const sort = { key: "processedAt", direction: "descending" };
  const recordsBody = byId("records-body");
  const recordsFilter = byId("records-filter");
  let recordsGeneration = 0;

  async function refreshRecords() {
    const generation = ++recordsGeneration;
    try {
      const body = await api("/api/records");
      if (generation !== recordsGeneration) return;
      records = body.records;
      recordsTotal = body.total;
      recordsComplete = body.complete !== false;
      renderRecords();
    } catch (error) {
      byId("records-summary").textContent = `could not load records: ${error.message}`;
    }
  }
  const refreshRecordsSoon = debounce(refreshRecords, 250);

  function renderRecords() {
    const needle = recordsFilter.value.trim().toLowerCase();
    const shown = records
      .filter(
        (r) => !needle || [r.key, r.sk, r.contentType, r.pk].some((v) => v.toLowerCase().includes(needle)),
      )
      .sort((a, b) => {
        const x = a[sort.key];
        const y = b[sort.key];
        const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
        return sort.direction === "ascending" ? order : -order;
      });
    for (const th of document.querySelectorAll("th[data-sort]")) {
      if (th.dataset.sort === sort.key) th.setAttribute("aria-sort", sort.direction);
      else th.removeAttribute("aria-sort");
    }
    recordsBody.replaceChildren(
      ...shown.map((r) =>
        h(
          "tr",
          { "data-pk": r.pk, "data-key": r.key },
          h(
            "td",
            {},
            r.thumbnailUrl
              ? h("img", {
                  class: "thumb",
                  src: r.thumbnailUrl,
                  alt: `Thumbnail of ${r.key}`,
                  width: 56,
                  height: 56,
                  decoding: "async",
                })
              : h("span", { class: "flow-meta", text: "no preview" }),
          ),
          h("td", {}, h("span", { class: "flow-key", text: r.key })),
          h("td", { class: "mono col-sk", text: r.sk }),
          h("td", { class: "num", text: formatBytes(r.size) }),
          h("td", { class: "col-type", text: r.contentType }),
          h("td", { class: "num when", text: new Date(r.processedAt).toLocaleString([], { hour12: false }) }),
        ),
      ),
    );
    byId("records-empty").hidden = shown.length > 0;
    byId("records-empty").textContent = records.length ? "No records match the filter." : "No records yet.";
    byId("records-summary").textContent =
      recordsTotal > records.length
        ? `${shown.length} of the newest ${records.length} (${recordsTotal}${recordsComplete ? "" : "+"} in the table${recordsComplete ? "" : `; the scan stops after ${recordsTotal}, so "newest" is of those`})`
        : `${shown.length} of ${records.length}`;
  }
  recordsFilter.addEventListener("input", renderRecords);
  for (const th of document.querySelectorAll("th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.sort;
      sort.direction =
        sort.key === key && sort.direction === "ascending"
          ? "descending"
          : sort.key === key
            ? "ascending"
            : key === "processedAt" || key === "size"
              ? "descending"
              : "ascending";
      sort.key = key;
      renderRecords();
    });
  }

  // ---- Logs --------------------------------------------------------------------------------------------
  const logList = byId("log-lines");
  const logsFilter = byId("logs-filter");
  const seenLogs = new Set();
  const maxLogLines = 500;

  function parseJsonLine(message) {
    const text = message.trim();
    if (!text.startsWith("{")) return undefined;
    try {
      const value = JSON.parse(text);
      return value && typeof value === "object" ? value : undefined;
    } catch {
      return undefined;
    }
  }

  function renderLogLine(event) {
    const json = parseJsonLine(event.message);
    const runtime = /^(START|END|REPORT|INIT_START|INIT_REPORT) /.exec(event.message);
    const level =
      json?.level ?? (runtime ? runtime[1] : /\t(ERROR|WARN|INFO|DEBUG)\t/.exec(event.message)?.[1]);
    const tone = level === "ERROR" ? "bad" : level === "WARN" ? "warn" : level === "INFO" ? "info" : "idle";
    const headline = json
      ? [json.message, json.outcome, json.key].filter(Boolean).join(" · ")
      : event.message.split("\n")[0];
    return h(
      "li",
      { class: "log-line", "data-search": event.message.toLowerCase() },
      h(
        "div",
        { class: "log-head" },
        h("span", { class: "log-time", text: formatTime(event.timestamp) }),
        level ? h("span", { class: `badge ${tone}`, text: level }) : null,
        h("span", { class: json ? "" : "log-plain", text: headline }),
      ),
      json ? h("pre", { text: JSON.stringify(json, null, 2) }) : null,
    );
  }

  function addLogLines(events, emittedAt) {
    let added = false;
    for (const event of events) {
      const id = `${event.timestamp}|${event.stream}|${event.message}`;
      if (seenLogs.has(id)) continue;
      seenLogs.add(id);
      const node = renderLogLine(event);
      applyLogFilter(node);
      logList.prepend(node);
      added = true;
    }
    while (logList.children.length > maxLogLines) logList.lastElementChild.remove();
    if (seenLogs.size > maxLogLines * 4) seenLogs.clear();
    byId("logs-empty").hidden = logList.children.length > 0;
    if (added) recordLatency(emittedAt);
  }

  function applyLogFilter(node) {
    const needle = logsFilter.value.trim().toLowerCase();
    node.hidden = Boolean(needle) && !node.dataset.search.includes(needle);
  }
  logsFilter.addEventListener("input", () => {
    for (const node of logList.children) applyLogFilter(node);
  });

  async function loadLogs() {
    try {
      const body = await api("/api/logs");
      byId("logs-group").textContent = body.group;
      addLogLines(body.events);
    } catch (error) {
      byId("logs-group").textContent = `could not load logs: ${error.message}`;
    }
  }

  // ---- Failed events -----------------------------------------------------------------------------------
  const failedList = byId("failed-list");
  async function refreshFailed() {
    try {
      const { events } = await api("/api/failed");
      byId("failed-empty").hidden = events.length > 0;
      byId("failed-summary").textContent = events.length ? `${events.length} waiting` : "none";
      failedList.replaceChildren(
        ...events.map((event) => {
          const what = event.keys.length ? event.keys.join(", ") : event.functionName;
          const button = h("button", {
            type: "button",
            class: "button small",
            text: "Re-drive",
            "aria-label": `Re-drive the failed event for ${what}`,
            "data-action": "redrive",
            disabled: !writable,
            title: writable ? undefined : "Read-only dashboard: re-drive is off",
          });
          button.addEventListener("click", () => redrive(event, button, what));
          return h(
            "li",
            { class: "failed-item", "data-failed-id": event.id },
            h(
              "div",
              { class: "failed-top" },
              h("span", { class: "flow-key", text: what }),
              h("span", { class: "badge bad", text: `${event.attempts} attempts` }),
              button,
            ),
            h("p", { class: "failed-error", text: `${event.errorType}: ${event.errorMessage}` }),
            h("span", {
              class: "flow-meta",
              text: `failed ${formatTime(Date.parse(event.failedAt))} · request ${event.requestIds.map(shortId).join(", ")}`,
            }),
          );
        }),
      );
    } catch (error) {
      byId("failed-summary").textContent = `could not load: ${error.message}`;
    }
  }

  async function redrive(event, button, what) {
    button.disabled = true;
    try {
      await api(`/api/redrive/${encodeURIComponent(event.id)}`, {
        method: "POST",
        headers: { "x-pipeline-dashboard": "1" },
      });
      uploadStatus.textContent = `Re-drove the event for ${what}; follow it in the flow.`;
    } catch (error) {
      uploadStatus.textContent = `Re-drive failed: ${error.message}`;
      button.disabled = false;
    }
    refreshFailed();
  }

  // ---- Upload ------------------------------------------------------------------------------------------
  const uploadStatus = byId("upload-status");
  const fileInput = byId("file-input");
  const dropZone = byId("drop-zone");

  async function uploadFiles(fileList) {
    if (!writable) {
      uploadStatus.textContent = "Read-only dashboard: nothing uploaded.";
      return;
    }
    const files = [...fileList];
    const images = files.filter((f) => f.type.startsWith("image/") || f.type === "");
    const ignored = files.length - images.length;
    const done = [];
    for (const file of images) {
      uploadStatus.textContent = `Uploading ${file.name}…`;
      try {
        const result = await api(`/api/upload?name=${encodeURIComponent(file.name)}`, {
          method: "POST",
          headers: { "content-type": file.type || "application/octet-stream", "x-pipeline-dashboard": "1" },
          body: file,
        });
        done.push(result.key);
      } catch (error) {
        uploadStatus.textContent = `Upload of ${file.name} failed: ${error.message}`;
        return;
      }
    }
    uploadStatus.textContent =
      (done.length ? `Uploaded ${done.join(", ")}.` : "Nothing uploaded.") +
      (ignored ? ` Ignored ${ignored} file(s) that are not images.` : "");
  }

  fileInput.addEventListener("change", () => {
    if (fileInput.files?.length) uploadFiles(fileInput.files).finally(() => (fileInput.value = ""));
  });
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  let dragDepth = 0;
  document.addEventListener("dragenter", (event) => {
    if (!hasFiles(event) || !writable) return;
    dragDepth += 1;
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) document.body.classList.remove("dragging");
  });
  document.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  document.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    document.body.classList.remove("dragging");
    uploadFiles(event.dataTransfer.files);
  });
  dropZone.addEventListener("dragover", () => dropZone.classList.add("active"));
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("active"));
  dropZone.addEventListener("drop", () => dropZone.classList.remove("active"));

  if (!writable) {
    fileInput.disabled = true;
    dropZone.classList.add("disabled");
    byId("upload-readonly").hidden = false;
  }

  // ---- Start -------------------------------------------------------------------------------------------
  connect();
  refreshHealth();
  loadLogs();
  // Presigned thumbnail URLs expire after 5 minutes; fetch fresh ones well before.
  setInterval(refreshRecords, 60_000);
})();
