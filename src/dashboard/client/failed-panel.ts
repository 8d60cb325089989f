import type { FailedEvent } from "../../pipeline/failed-events.ts";
import { api, messageOf, postHeaders, writable } from "./api.ts";
import { byId, h } from "./dom.ts";
import { formatTime, shortId } from "./format.ts";

/** Failed events with re-drive; what re-drive did is said in the upload panel's status line. */
export interface FailedPanel {
  refresh(): Promise<void>;
}

export function createFailedPanel(say: (status: string) => void): FailedPanel {
  const list = byId("failed-list");

  async function redrive(event: FailedEvent, button: HTMLButtonElement, what: string): Promise<void> {
    button.disabled = true;
    try {
      await api(`/api/redrive/${encodeURIComponent(event.id)}`, { method: "POST", headers: postHeaders });
      say(`Re-drove the event for ${what}: its record exists and its message is deleted.`);
    } catch (error) {
      say(`Re-drive failed: ${messageOf(error)}`);
      button.disabled = false;
    }
    void refresh();
  }

  function render(event: FailedEvent): HTMLLIElement {
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
        text: `failed ${formatTime(Date.parse(event.failedAt))} · ${event.condition} · request ${shortId(event.requestId)}`,
      }),
    );
  }

  // Refreshes overlap (stream events, a re-drive's end); only the latest one started may render.
  let latestRefresh = 0;

  async function refresh(): Promise<void> {
    const ticket = ++latestRefresh;
    try {
      const { events } = await api<{ events: FailedEvent[] }>("/api/failed");
      if (ticket !== latestRefresh) return;
      byId("failed-empty").hidden = events.length > 0;
      byId("failed-summary").textContent = events.length ? `${events.length} waiting` : "none";
      list.replaceChildren(...events.map(render));
    } catch (error) {
      if (ticket !== latestRefresh) return;
      byId("failed-summary").textContent = `could not load: ${messageOf(error)}`;
    }
  }

  return { refresh };
}
