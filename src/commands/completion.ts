/**
 * `kb completion bash`: prints the bash completion script
 * (src/cli/completion-script.ts) of this kb's commands and flags; load it
 * with `source <(kb completion bash)` (in ~/.bashrc to keep it).
 */
import { Args } from '@oclif/core';
import { KbLocalCommand } from '../cli/kb-command.ts';
import { bashCompletion } from '../cli/completion-script.ts';

export default class Completion extends KbLocalCommand {
  static override description = 'Print the shell completion script of kb (bash)';
  static override examples = ['source <(<%= config.bin %> completion bash)', '<%= config.bin %> completion bash >> ~/.bashrc'];
  static override args = { shell: Args.string({ description: 'the shell', options: ['bash'], default: 'bash' }) };

  async run(): Promise<void> {
    await this.parse(Completion);
    process.stdout.write(bashCompletion(this.config.bin, this.config.commands.filter((c) => !c.hidden)));
  }
}
