/** `gpt completion <bash|zsh|fish>`: a completion script generated from the commands and flags themselves. */
import type { Command } from 'commander';

interface Spec {
  name: string;
  description: string;
  flags: string[];
  choices: Record<string, string[]>;
}

function specs(program: Command): { globals: string[]; commands: Spec[] } {
  const flagsOf = (cmd: Command) => cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  const commands = program.commands.map((cmd) => {
    const choices: Record<string, string[]> = {};
    for (const o of cmd.options) if (o.long && o.argChoices) choices[o.long] = o.argChoices;
    return { name: cmd.name(), description: cmd.description().split(';')[0]!.replace(/'/g, ''), flags: flagsOf(cmd), choices };
  });
  return { globals: [...flagsOf(program), '--help', '--version'], commands };
}

function bash({ globals, commands }: ReturnType<typeof specs>): string {
  const cases = commands.map((c) => `    ${c.name}) opts="${[...c.flags, ...globals].join(' ')}" ;;`).join('\n');
  const choiceCases = commands
    .flatMap((c) => Object.entries(c.choices).map(([flag, values]) => `    ${flag}) COMPREPLY=( $(compgen -W "${values.join(' ')}" -- "$cur") ); return ;;`))
    .filter((line, i, all) => all.indexOf(line) === i)
    .join('\n');
  return `# gpt bash completion: eval "$(gpt completion bash)" in ~/.bashrc
_gpt() {
  local cur prev cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  case "$prev" in
${choiceCases}
    -p|--profile) COMPREPLY=( $(compgen -W "openai cometapi openrouter ollama simulate" -- "$cur") ); return ;;
    completion) COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") ); return ;;
  esac
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands.map((c) => c.name).join(' ')} ${globals.join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    *) opts="${globals.join(' ')}" ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "$opts" -- "$cur") ); else COMPREPLY=( $(compgen -f -- "$cur") ); fi
}
complete -o default -F _gpt gpt
`;
}

function zsh({ globals, commands }: ReturnType<typeof specs>): string {
  const list = commands.map((c) => `    '${c.name}:${c.description}'`).join('\n');
  const cases = commands.map((c) => `      ${c.name}) _arguments '*:file:_files' ${[...new Set([...c.flags, ...globals])].map((f) => `'${f}'`).join(' ')} ;;`).join('\n');
  return `#compdef gpt
# gpt zsh completion: gpt completion zsh > "\${fpath[1]}/_gpt"
_gpt() {
  local -a commands
  commands=(
${list}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
${cases}
  esac
}
compdef _gpt gpt
`;
}

function fish({ globals, commands }: ReturnType<typeof specs>): string {
  const lines = ['# gpt fish completion: gpt completion fish > ~/.config/fish/completions/gpt.fish', 'complete -c gpt -f'];
  const names = commands.map((c) => c.name).join(' ');
  for (const c of commands) lines.push(`complete -c gpt -n "not __fish_seen_subcommand_from ${names}" -a ${c.name} -d '${c.description}'`);
  for (const flag of globals.filter((f) => f.startsWith('--'))) lines.push(`complete -c gpt -l ${flag.slice(2)}`);
  for (const c of commands) {
    for (const flag of c.flags.filter((f) => f.startsWith('--'))) {
      const values = c.choices[flag];
      lines.push(`complete -c gpt -n "__fish_seen_subcommand_from ${c.name}" -l ${flag.slice(2)}${values ? ` -xa "${values.join(' ')}"` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The program comes in from the caller (no import of program.ts: that would be a cycle). */
export async function run(positional: unknown[], _options: unknown, program: Command): Promise<number> {
  const shell = positional[0] as 'bash' | 'zsh' | 'fish';
  const spec = specs(program);
  process.stdout.write(shell === 'bash' ? bash(spec) : shell === 'zsh' ? zsh(spec) : fish(spec));
  return 0;
}
