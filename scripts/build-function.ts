import { relative } from "node:path";
import { buildFunctionArtifact, bundleTarget, FUNCTION_HANDLER, repoRoot } from "../src/artifact/build.ts";
import { DEFAULT_RUNTIME, settingsFromEnvironment } from "../src/stack/spec.ts";

// `npm run build`: typecheck runs first (package.json), then this bundles and zips the function for the runtime
// the stack uses (PIPELINE_RUNTIME, default nodejs24.x).
const runtime = settingsFromEnvironment(process.env).runtime ?? DEFAULT_RUNTIME;
const artifact = await buildFunctionArtifact({ runtime });
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(
  `built ${relative(repoRoot, artifact.zipPath)}: ${kb(artifact.zip.length)} zipped (${kb(artifact.bundleBytes)} of code in ${artifact.codeFiles} files), handler ${FUNCTION_HANDLER}, target ${bundleTarget(runtime)}, CodeSha256 ${artifact.codeSha256}, ${artifact.buildMs.toFixed(0)} ms`,
);
