import type { RecordsPage, RecordView } from "../records.ts";
import { api, messageOf } from "./api.ts";
import { byId, debounce, h } from "./dom.ts";
import { formatBytes } from "./format.ts";

/** The records table: the newest records with thumbnails, filtered and sorted in the page. */
export interface RecordsPanel {
  refresh(): Promise<void>;
  /** Coalesces a burst of `records` events into one refresh. */
  refreshSoon(): void;
}

type SortKey = keyof RecordView;

/** Presigned thumbnail URLs expire after 5 minutes; fetch fresh ones well before. */
const thumbnailRefreshMs = 60_000;

export function createRecordsPanel(): RecordsPanel {
  let records: RecordView[] = [];
  let total = 0;
  let complete = true;
  const sort: { key: SortKey; direction: "ascending" | "descending" } = {
    key: "processedAt",
    direction: "descending",
  };
  const body = byId("records-body");
  const filter = byId<HTMLInputElement>("records-filter");
  const headers = () => document.querySelectorAll<HTMLTableCellElement>("th[data-sort]");
  let generation = 0;

  function render(): void {
    const needle = filter.value.trim().toLowerCase();
    const shown = records
      .filter(
        (r) => !needle || [r.key, r.sk, r.contentType, r.pk].some((v) => v.toLowerCase().includes(needle)),
      )
      .sort((a, b) => {
        const x = a[sort.key];
        const y = b[sort.key];
        const order =
          typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return sort.direction === "ascending" ? order : -order;
      });
    for (const th of headers()) {
      if (th.dataset.sort === sort.key) th.setAttribute("aria-sort", sort.direction);
      else th.removeAttribute("aria-sort");
    }
    body.replaceChildren(
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
    const empty = byId("records-empty");
    empty.hidden = shown.length > 0;
    empty.textContent = records.length ? "No records match the filter." : "No records yet.";
    byId("records-summary").textContent =
      total > records.length
        ? `${shown.length} of the newest ${records.length} (${total}${complete ? "" : "+"} in the table${complete ? "" : `; the scan stops after ${total}, so "newest" is of those`})`
        : `${shown.length} of ${records.length}`;
  }

  async function refresh(): Promise<void> {
    const mine = ++generation;
    try {
      const page = await api<RecordsPage>("/api/records");
      // A slower, older refresh must not overwrite a newer one.
      if (mine !== generation) return;
      records = page.records;
      total = page.total;
      complete = page.complete !== false;
      render();
    } catch (error) {
      byId("records-summary").textContent = `could not load records: ${messageOf(error)}`;
    }
  }

  filter.addEventListener("input", render);
  for (const th of headers()) {
    th.querySelector("button")?.addEventListener("click", () => {
      const key = th.dataset.sort as SortKey;
      sort.direction =
        sort.key === key && sort.direction === "ascending"
          ? "descending"
          : sort.key === key
            ? "ascending"
            : key === "processedAt" || key === "size"
              ? "descending"
              : "ascending";
      sort.key = key;
      render();
    });
  }
  setInterval(refresh, thumbnailRefreshMs);
  return { refresh, refreshSoon: debounce(refresh, 250) };
}
