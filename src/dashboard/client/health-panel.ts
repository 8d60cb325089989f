import type { HealthReport } from "../health.ts";
import { api, messageOf } from "./api.ts";
import { byId, h } from "./dom.ts";
import { formatTime } from "./format.ts";

const refreshMs = 5000;

/** Stack health: `verify`'s checks, refreshed every 5 s and on demand; open details stay open. */
export function startHealthPanel(): void {
  const checksList = byId("health-checks");
  const button = byId<HTMLButtonElement>("health-refresh");
  const errorText = byId("health-error");
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function refresh(): Promise<void> {
    clearTimeout(timer);
    button.disabled = true;
    try {
      const report = await api<HealthReport>("/api/health");
      const open = new Set(
        [...checksList.querySelectorAll("details[open]")].map(
          (details) => details.closest("li")?.dataset.checkId,
        ),
      );
      errorText.hidden = !report.error;
      errorText.textContent = report.error ? `Could not read the stack: ${report.error}` : "";
      // Which Node runs the function: an emulated runtime is said in words, never left to be guessed.
      const runtimeLine = byId("health-runtime");
      runtimeLine.hidden = !report.runtime;
      runtimeLine.dataset.emulated = String(Boolean(report.runtime?.emulated));
      runtimeLine.textContent = report.runtime?.description ?? "";
      // One count everywhere: these are verify's stack checks; the live ones write, so only verify runs them.
      byId("health-summary").textContent = report.total
        ? `${report.passed} of ${report.total} pass · ${report.verifyTotal} in pipeline verify (${report.verifyTotal - report.total} live) · ${formatTime(Date.parse(report.checkedAt))}`
        : "not available";
      const faultsLine = byId("health-faults");
      faultsLine.hidden = !report.faults;
      faultsLine.textContent = report.faults ?? "";
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
      errorText.hidden = false;
      errorText.textContent = `Health check failed: ${messageOf(error)}`;
    } finally {
      button.disabled = false;
      timer = setTimeout(refresh, refreshMs);
    }
  }

  button.addEventListener("click", refresh);
  void refresh();
}
