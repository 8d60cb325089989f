/**
 * Examples shown under each verb's `--help`, by command path. Kept apart from the command table so the table stays a
 * list of options; every verb has at least one.
 */
const examples: Record<string, string[]> = {
  "": [
    "npx pipeline up                      # engine on :4566, stack provisioned, dashboard on /_pipeline/",
    "npx pipeline upload fixtures --wait  # upload images, wait for their records",
    "npx pipeline verify                  # the checks, live",
    "npx pipeline status                  # what answers where",
  ],
  up: [
    "npx pipeline up",
    "npx pipeline up --port 4630          # 4566 busy? then: export PIPELINE_ENDPOINT=http://127.0.0.1:4630",
    "PIPELINE_PORT=4630 npx pipeline up",
    "npx pipeline up --persist .data --region eu-west-1",
    "npx pipeline up --inspect            # the function under the Node inspector on 127.0.0.1:9229 (docs/debugging.md)",
    "npx pipeline --endpoint aws up --yes # real AWS, the account your profile names",
  ],
  upload: [
    "npx pipeline upload fixtures --wait",
    "npx pipeline upload 'photos/**/*.jpg' --prefix uploads/2024/",
    "npx pipeline upload photos --skip-existing   # resume an interrupted upload",
  ],
  watch: ["npx pipeline watch", "npx pipeline watch ./inbox --debounce 500"],
  verify: [
    "npx pipeline verify",
    "npx pipeline verify --skip-probe --json",
    "npx pipeline verify --report evidence/",
  ],
  status: ["npx pipeline status", "npx pipeline status --json", "PIPELINE_PORT=4630 npx pipeline status"],
  invoke: [
    "npx pipeline invoke --key uploads/cat.jpg",
    "npx pipeline invoke --event event.json",
    "cat event.json | npx pipeline invoke",
    "npx pipeline invoke --key uploads/cat.jpg --print-event > event.json",
  ],
  logs: ["npx pipeline logs", "npx pipeline logs --follow", "npx pipeline logs --since 2h --filter ERROR"],
  reconcile: ["npx pipeline reconcile --dry-run", "npx pipeline reconcile"],
  failed: ["npx pipeline failed", "npx pipeline failed --redrive-all"],
  down: ["npx pipeline down", "npx pipeline down --keep-data"],
  ui: [
    "npx pipeline ui                      # http://127.0.0.1:4567/",
    "npx pipeline --endpoint aws ui --read-only",
  ],
  runtimes: ["npx pipeline runtimes", "npx pipeline runtimes install nodejs24.x"],
  "runtimes list": ["npx pipeline runtimes list --json"],
  "runtimes install": ["npx pipeline runtimes install nodejs22.x nodejs24.x"],
  stack: ["npx pipeline stack env"],
  "stack env": ['eval "$(npx pipeline stack env)"'],
  completion: [
    "npx pipeline completion bash > ~/.pipeline-completion.bash  # then: source it from ~/.bashrc",
    "npx pipeline completion zsh > ~/.zfunc/_pipeline   # with fpath+=(~/.zfunc) in ~/.zshrc",
    "npx pipeline completion fish > ~/.config/fish/completions/pipeline.fish",
  ],
};

/** The examples for a command path (`verify`, `runtimes install`; "" is the program). */
export function examplesFor(path: string): string[] | undefined {
  return examples[path] ?? (path ? [`npx pipeline ${path}`] : undefined);
}
