/**
 * The completion scripts of `kb completion bash|zsh|fish`: command words
 * after `kb` (groups, then their commands; the tables are keyed by the
 * words so far, "kb topic" for instance), and after `-` the flags of the
 * command typed so far. Words before the cursor that start with `-` are
 * skipped, and the first word that is no command word ends the command
 * (`kb topic create orders --p` completes create's flags). Built from the
 * command list it is given (oclif's loaded commands), so it always
 * matches this kb. Names are kb's own ([a-z0-9:-]), so they are written
 * into the scripts without quoting.
 */
export interface CompletableCommand {
  id: string;
  flags: Record<string, { char?: string; hidden?: boolean }>;
}

export const completionShells = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof completionShells)[number];

interface Flag {
  name: string;
  char?: string;
}

interface Tables {
  /** The words that may follow each path of command words ("kb", "kb topic"), sorted. */
  next: Map<string, string[]>;
  /** The visible flags of each command's path ("kb topic create"). */
  flags: Map<string, Flag[]>;
}

function tablesOf(bin: string, commands: CompletableCommand[]): Tables {
  const next = new Map<string, Set<string>>();
  const flags = new Map<string, Flag[]>();
  for (const command of commands) {
    const words = command.id.split(':');
    words.forEach((word, i) => {
      const before = [bin, ...words.slice(0, i)].join(' ');
      if (!next.has(before)) next.set(before, new Set());
      next.get(before)!.add(word);
    });
    const visible = Object.entries(command.flags).filter(([, f]) => !f.hidden);
    flags.set([bin, ...words].join(' '), visible.map(([name, f]) => ({ name, char: f.char })).sort((a, b) => a.name.localeCompare(b.name)));
  }
  return { next: new Map([...next].map(([path, words]) => [path, [...words].sort()])), flags };
}

/** `--name -c` words of flags, sorted. */
const flagWords = (flags: Flag[]) => flags.flatMap((f) => (f.char ? [`--${f.name}`, `-${f.char}`] : [`--${f.name}`])).sort();

export function completionScript(shell: CompletionShell, bin: string, commands: CompletableCommand[]): string {
  const tables = tablesOf(bin, commands);
  const fn = `_${bin.replace(/\W/g, '_')}_complete`;
  return { bash: bashScript, zsh: zshScript, fish: fishScript }[shell](bin, fn, tables);
}

/** Lines of `["path"]="word word"` for an associative array. */
function entries(map: Map<string, string[]>): string {
  return [...map].map(([path, words]) => `  ["${path}"]="${words.join(' ')}"`).join('\n');
}

function flagTable(tables: Tables): Map<string, string[]> {
  return new Map([...tables.flags].map(([path, flags]) => [path, flagWords(flags)]));
}

function bashScript(bin: string, fn: string, tables: Tables): string {
  return `# ${bin} completion for bash: source <(${bin} completion bash)
declare -A ${fn}_next=(
${entries(tables.next)}
)
declare -A ${fn}_flags=(
${entries(flagTable(tables))}
)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path=${bin} w
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    [[ $w == -* ]] && continue
    local longer="$path $w"
    if [[ -n "\${${fn}_next[$longer]+x}" || -n "\${${fn}_flags[$longer]+x}" ]]; then path="$longer"; else break; fi
  done
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "\${${fn}_flags[$path]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "\${${fn}_next[$path]}" -- "$cur"))
  fi
}
complete -o default -F ${fn} ${bin}
`;
}

/** zsh (compsys): words[1] is the command, words[CURRENT] the word being completed; `path` is zsh's $PATH array, hence `cmd`. */
function zshScript(bin: string, fn: string, tables: Tables): string {
  return `#compdef ${bin}
# ${bin} completion for zsh (after compinit): source <(${bin} completion zsh)
typeset -gA ${fn}_next ${fn}_flags
${fn}_next=(
${entries(tables.next)}
)
${fn}_flags=(
${entries(flagTable(tables))}
)
${fn}() {
  local cmd=${bin} w
  for w in "\${(@)words[2,CURRENT-1]}"; do
    [[ $w == -* ]] && continue
    if (( \${+${fn}_next[$cmd $w]} || \${+${fn}_flags[$cmd $w]} )); then cmd="$cmd $w"; else break; fi
  done
  if [[ $PREFIX == -* ]]; then
    compadd -- \${=${fn}_flags[$cmd]}
  elif (( \${+${fn}_next[$cmd]} )); then
    compadd -- \${=${fn}_next[$cmd]}
  else
    _files
  fi
}
compdef ${fn} ${bin}
`;
}

/** fish: one \`complete\` line per command path, on the condition that the words so far are that path. */
function fishScript(bin: string, fn: string, tables: Tables): string {
  const paths = [...new Set([...tables.next.keys(), ...tables.flags.keys()])].filter((p) => p !== bin);
  const when = (path: string) => `-n "test (${fn}_path) = '${path}'"`;
  const words = [...tables.next].map(([path, next]) => `complete -c ${bin} -f ${when(path)} -a '${next.join(' ')}'`);
  const flags = [...tables.flags].flatMap(([path, list]) => list.map((f) => `complete -c ${bin} ${when(path)} -l ${f.name}${f.char ? ` -s ${f.char}` : ''}`));
  return `# ${bin} completion for fish: ${bin} completion fish | source
set -g ${fn}_paths ${paths.map((p) => `'${p}'`).join(' ')}
function ${fn}_path
  set -l cmd ${bin}
  for w in (commandline -opc)[2..-1]
    string match -q -- '-*' $w; and continue
    contains -- "$cmd $w" $${fn}_paths; and set cmd "$cmd $w"; or break
  end
  echo $cmd
end
${words.join('\n')}
${flags.join('\n')}
`;
}
