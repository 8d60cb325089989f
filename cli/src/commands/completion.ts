import type { Command } from "commander";
import { UsageError } from "../errors.ts";

interface CommandSpec {
  path: string[];
  subcommands: string[];
  options: string[];
}

/** The command tree as completion needs it: each command's path, subcommands and long options. */
export function commandSpecs(root: Command): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const walk = (command: Command, path: string[], inherited: string[]) => {
    const own = command.options.map((o) => o.long).filter((name): name is string => Boolean(name));
    const options = [...new Set([...inherited, ...own, "--help"])];
    specs.push({ path, subcommands: command.commands.map((c) => c.name()), options });
    for (const sub of command.commands) walk(sub, [...path, sub.name()], path.length === 0 ? own : inherited);
  };
  walk(root, [], []);
  return specs;
}

/** Shell \`case\` arms that walk the words typed so far to the deepest command path (bash and zsh alike). */
function pathArms(specs: CommandSpec[]): string {
  return specs
    .filter((s) => s.path.length > 0)
    .map((s) => `      "${s.path.join(" ")}") cmdpath="${s.path.join(" ")}" ;;`)
    .join("\n");
}

function bash(specs: CommandSpec[]): string {
  const cases = specs
    .map((s) => `    "${s.path.join(" ")}") words="${[...s.subcommands, ...s.options].join(" ")}" ;;`)
    .join("\n");
  return `# bash completion for pipeline: source it, or add \`eval "$(npx pipeline completion bash)"\` to ~/.bashrc
_pipeline() {
  local cur cmdpath="" word i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case "\${cmdpath:+$cmdpath }$word" in
${pathArms(specs)}
    esac
  done
  local words
  case "$cmdpath" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _pipeline pipeline
`;
}

function zsh(specs: CommandSpec[]): string {
  return `#compdef pipeline
# zsh completion for pipeline: save as _pipeline in a directory on $fpath, or \`source <(npx pipeline completion zsh)\`
_pipeline() {
  local cmdpath="" word
  local -i i
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    [[ $word == -* ]] && continue
    case "\${cmdpath:+$cmdpath }$word" in
${pathArms(specs)}
    esac
  done
  local -a candidates
  case "$cmdpath" in
${specs.map((s) => `    "${s.path.join(" ")}") candidates=(${[...s.subcommands, ...s.options].join(" ")}) ;;`).join("\n")}
  esac
  compadd -- $candidates
  _files
}
if [[ $zsh_eval_context[-1] == loadautoload ]]; then _pipeline "$@"; else compdef _pipeline pipeline; fi
`;
}

function fish(specs: CommandSpec[]): string {
  const lines = ["# fish completion for pipeline: save as ~/.config/fish/completions/pipeline.fish"];
  for (const spec of specs) {
    const condition =
      spec.path.length === 0
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${spec.path[spec.path.length - 1]}`;
    for (const sub of spec.subcommands) lines.push(`complete -c pipeline -n '${condition}' -a ${sub}`);
    for (const option of spec.options)
      lines.push(`complete -c pipeline -n '${condition}' -l ${option.replace(/^--/, "")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `pipeline completion bash|zsh|fish`: a completion script for the verbs and options of this CLI. */
export async function completion(shell: string, root: Command): Promise<void> {
  const render = { bash, zsh, fish }[shell];
  if (!render) throw new UsageError(`unknown shell ${shell}: expected bash, zsh or fish`);
  process.stdout.write(render(commandSpecs(root)));
}
