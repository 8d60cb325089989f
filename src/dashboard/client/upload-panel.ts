import type { UploadResult } from "../upload.ts";
import { api, messageOf, postHeaders, writable } from "./api.ts";
import { byId } from "./dom.ts";

/** Uploads by file picker or by dropping images anywhere on the page; `say` writes the status line. */
export function startUploadPanel(say: (status: string) => void): void {
  const fileInput = byId<HTMLInputElement>("file-input");
  const dropZone = byId("drop-zone");

  async function uploadFiles(fileList: FileList): Promise<void> {
    if (!writable) {
      say("Read-only dashboard: nothing uploaded.");
      return;
    }
    const files = [...fileList];
    const images = files.filter((f) => f.type.startsWith("image/") || f.type === "");
    const ignored = files.length - images.length;
    const done: string[] = [];
    for (const file of images) {
      say(`Uploading ${file.name}…`);
      try {
        const result = await api<UploadResult>(`/api/upload?name=${encodeURIComponent(file.name)}`, {
          method: "POST",
          headers: { "content-type": file.type || "application/octet-stream", ...postHeaders },
          body: file,
        });
        done.push(result.key);
      } catch (error) {
        say(`Upload of ${file.name} failed: ${messageOf(error)}`);
        return;
      }
    }
    say(
      (done.length ? `Uploaded ${done.join(", ")}.` : "Nothing uploaded.") +
        (ignored ? ` Ignored ${ignored} file(s) that are not images.` : ""),
    );
  }

  fileInput.addEventListener("change", () => {
    if (fileInput.files?.length)
      void uploadFiles(fileInput.files).finally(() => {
        fileInput.value = "";
      });
  });
  const hasFiles = (event: DragEvent) => [...(event.dataTransfer?.types ?? [])].includes("Files");
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
    if (!hasFiles(event) || !event.dataTransfer) return;
    event.preventDefault();
    dragDepth = 0;
    document.body.classList.remove("dragging");
    void uploadFiles(event.dataTransfer.files);
  });
  dropZone.addEventListener("dragover", () => dropZone.classList.add("active"));
  dropZone.addEventListener("dragleave", () => dropZone.classList.remove("active"));
  dropZone.addEventListener("drop", () => dropZone.classList.remove("active"));

  if (!writable) {
    fileInput.disabled = true;
    dropZone.classList.add("disabled");
    byId("upload-readonly").hidden = false;
  }
}
