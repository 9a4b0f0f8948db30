/**
 * `kb completion bash|zsh|fish`: prints the shell completion script
 * (src/cli/completion-script.ts) of this kb's commands and flags; load it
 * with `source <(kb completion bash)` (bash, and zsh after compinit) or
 * `kb completion fish | source`, in the shell's startup file to keep it.
 */
import { Args } from '@oclif/core';
import { KbLocalCommand } from '../cli/kb-command.ts';
import { type CompletionShell, completionScript, completionShells } from '../cli/completion-script.ts';

export default class Completion extends KbLocalCommand {
  static override description = 'Print the shell completion script of kb (bash, zsh or fish)';
  static override examples = [
    'source <(<%= config.bin %> completion bash)',
    'source <(<%= config.bin %> completion zsh)',
    '<%= config.bin %> completion fish | source',
    '<%= config.bin %> completion bash >> ~/.bashrc',
  ];
  static override args = { shell: Args.string({ description: 'the shell', options: [...completionShells], default: 'bash' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    process.stdout.write(completionScript(args.shell as CompletionShell, this.config.bin, this.config.commands.filter((c) => !c.hidden)));
  }
}
