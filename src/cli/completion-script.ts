/**
 * The bash completion script of `kb completion bash`: command words after
 * `kb` (groups, then their commands; the tables are keyed by the words so
 * far, "kb topic" for instance, as bash has no empty key), and after `-` the flags of the
 * command typed so far. Built from the command list it is given (oclif's
 * loaded commands), so it always matches this kb. Names are kb's own
 * ([a-z0-9:-]), so they are written into the script without quoting.
 */
export interface CompletableCommand {
  id: string;
  flags: Record<string, { char?: string; hidden?: boolean }>;
}

export function bashCompletion(bin: string, commands: CompletableCommand[]): string {
  const next = new Map<string, Set<string>>();
  const flags = new Map<string, string[]>();
  for (const command of commands) {
    const words = command.id.split(':');
    words.forEach((word, i) => {
      const before = [bin, ...words.slice(0, i)].join(' ');
      if (!next.has(before)) next.set(before, new Set());
      next.get(before)!.add(word);
    });
    const visible = Object.entries(command.flags).filter(([, f]) => !f.hidden);
    flags.set([bin, ...words].join(' '), visible.flatMap(([name, f]) => (f.char ? [`--${name}`, `-${f.char}`] : [`--${name}`])).sort());
  }
  const entries = (map: Map<string, Iterable<string>>) =>
    [...map].map(([path, words]) => `  ["${path}"]="${[...words].sort().join(' ')}"`).join('\n');
  const fn = `_${bin.replace(/\W/g, '_')}_complete`;
  return `# ${bin} completion for bash: source <(${bin} completion bash)
declare -A ${fn}_next=(
${entries(next)}
)
declare -A ${fn}_flags=(
${entries(flags)}
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
