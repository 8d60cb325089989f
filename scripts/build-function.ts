import { relative } from "node:path";
import { buildFunctionArtifact, FUNCTION_HANDLER, repoRoot } from "../src/artifact/build.ts";

// `npm run build`: typecheck runs first (package.json), then this bundles and zips the function.
const artifact = await buildFunctionArtifact();
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(
  `built ${relative(repoRoot, artifact.zipPath)}: ${kb(artifact.zip.length)} zipped (${kb(artifact.bundleBytes)} of code in ${artifact.codeFiles} files), handler ${FUNCTION_HANDLER}, CodeSha256 ${artifact.codeSha256}, ${artifact.buildMs.toFixed(0)} ms`,
);
