import type { CheckResult } from "../stack/check.ts";

/** What the evidence report covers besides the checks themselves. */
export interface EvidenceReport {
  generatedAt: string;
  target: string;
  stackSummary: Record<string, string>;
  checks: CheckResult[];
  /** What the pass count must be read with: the target, an emulated runtime, injected faults, skipped checks. */
  caveats?: string[];
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
const escapeMd = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The verify checks (the seed lab's evidence and what was added since) as a Markdown table. */
export function renderEvidenceMarkdown(report: EvidenceReport): string {
  const passed = report.checks.filter((c) => c.ok).length;
  const caveats = report.caveats ?? [];
  return [
    "# Image metadata pipeline: evidence",
    "",
    `Generated ${report.generatedAt} against ${report.target}: **${passed}/${report.checks.length} passed**${caveats.length ? `, with caveats: ${caveats.map(escapeMd).join("; ")}` : ""}.`,
    "",
    ...Object.entries(report.stackSummary).map(([k, v]) => `- ${k}: \`${v}\``),
    "",
    "| Evidence | Check | Result | Observed | Expected | Command |",
    "|---|---|---|---|---|---|",
    ...report.checks.map(
      (c) =>
        `| ${c.evidence} | ${escapeMd(c.title)} | ${c.ok ? "PASS" : "**FAIL**"} | ${escapeMd(c.observed)} | ${escapeMd(c.expected)} | \`${escapeMd(c.command)}\` |`,
    ),
    "",
  ].join("\n");
}

/** A self-contained HTML page (inline CSS, no external assets), light and dark by `prefers-color-scheme`. */
export function renderEvidenceHtml(report: EvidenceReport): string {
  const passed = report.checks.filter((c) => c.ok).length;
  const allOk = passed === report.checks.length;
  const caveats = report.caveats ?? [];
  const rows = report.checks
    .map(
      (
        c,
      ) => `<tr class="${c.ok ? "pass" : "fail"}" data-check="${escapeHtml(c.id)}" data-result="${c.ok ? "pass" : "fail"}">
  <td>${escapeHtml(c.evidence)}</td><td>${escapeHtml(c.title)}</td>
  <td class="result">${c.ok ? "PASS" : "FAIL"}</td>
  <td><code>${escapeHtml(c.observed)}</code></td><td><code>${escapeHtml(c.expected)}</code></td>
  <td><code>${escapeHtml(c.command)}</code></td></tr>`,
    )
    .join("\n");
  const summary = Object.entries(report.stackSummary)
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd><code>${escapeHtml(v)}</code></dd>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pipeline evidence: ${passed}/${report.checks.length} passed</title>
<style>
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--pass:#3fb950;--fail:#f85149;--warn:#d29922;--code:#161b22}}
body{font:14px/1.5 system-ui,sans-serif;background:var(--bg);color:var(--fg);margin:2rem}
h1{font-size:1.4rem;margin:0 0 .25rem}.status{font-weight:600;color:${allOk ? (caveats.length ? "var(--warn)" : "var(--pass)") : "var(--fail)"}}
.caveats{margin:.25rem 0 0;padding-left:1.2rem;color:var(--warn)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;color:var(--muted)}dd{margin:0}
table{border-collapse:collapse;width:100%;margin-top:1rem}th,td{border-bottom:1px solid var(--line);padding:.4rem .5rem;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}code{background:var(--code);padding:0 .2rem;border-radius:3px;word-break:break-word;font-size:12px}
tr.pass .result{color:var(--pass);font-weight:700}tr.fail .result{color:var(--fail);font-weight:700}
</style></head><body>
<h1>Image metadata pipeline: evidence</h1>
<p class="status" id="status">${passed}/${report.checks.length} checks passed</p>
${caveats.length ? `<ul class="caveats" id="caveats">${caveats.map((c) => `<li>${escapeHtml(c)}</li>`).join("")}</ul>` : ""}
<p>Generated ${escapeHtml(report.generatedAt)} against <code>${escapeHtml(report.target)}</code>.</p>
<dl>${summary}</dl>
<table><thead><tr><th>Evidence</th><th>Check</th><th>Result</th><th>Observed</th><th>Expected</th><th>Command-line equivalent</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}
