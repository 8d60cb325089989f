// The dashboard page's script: one module per panel, bundled by page.ts into the one self-contained page.
// Every piece of data goes into the DOM through textContent, never as HTML.

import { byId } from "./dom.ts";
import { connectEventStream } from "./event-stream.ts";
import { createFailedPanel } from "./failed-panel.ts";
import { createFlowPanel } from "./flow-panel.ts";
import { showSource, showStack } from "./header.ts";
import { startHealthPanel } from "./health-panel.ts";
import { createLatencyMeter } from "./latency.ts";
import { createLogsPanel } from "./logs-panel.ts";
import { createRecordsPanel } from "./records-panel.ts";
import { startThemeToggle } from "./theme.ts";
import { startUploadPanel } from "./upload-panel.ts";

startThemeToggle();
byId("endpoint").textContent = location.origin;
byId("source-line").hidden = true;

const latency = createLatencyMeter();
const uploadStatus = byId("upload-status");
const say = (status: string) => {
  uploadStatus.textContent = status;
};
const flow = createFlowPanel(latency);
const records = createRecordsPanel();
const logs = createLogsPanel(latency);
const failed = createFailedPanel(say);
startUploadPanel(say);

connectEventStream({
  hello: (data) => {
    flow.reset(data.rows);
    showStack(data.stack);
    if (data.source) showSource(data.source, latency);
    // Anything may have happened while disconnected.
    void records.refresh();
    void failed.refresh();
  },
  row: (data) => flow.upsert(data.row, data.at),
  log: (data) =>
    logs.add(
      data.events.map((event) => ({ ...event, stream: data.stream })),
      data.at,
    ),
  records: () => records.refreshSoon(),
  failed: () => void failed.refresh(),
});
startHealthPanel();
void logs.load();
