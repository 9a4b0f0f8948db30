/**
 * `kb profile create NAME`: saves brokers (-b) and client settings (-X,
 * -F, librdkafka's names) as a profile and puts it in use, as `rpk profile
 * create` does (-b wins over a bootstrap.servers setting). File paths are stored absolute, so the profile works from
 * any directory. A SASL password comes from --password-file (its first
 * line), a -F file, or a prompt on a TTY; without any of them the profile
 * has none and commands take it from KB_SASL_PASSWORD or ask. The settings
 * are checked (protocol, mechanism, readable certificate files) before
 * anything is saved.
 */
import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { connectionSecurity, fileKeys } from '../../cli/client-config.ts';
import { clientConfigFlags, explicitConfig } from '../../cli/client-settings.ts';
import { KbLocalCommand, UsageError, UserError } from '../../cli/kb-command.ts';
import { passwordFromFile } from '../../cli/password.ts';
import { checkProfileName, loadProfiles, profilesFile, saveProfiles } from '../../cli/profiles.ts';
import { askPassword, interactive } from '../../cli/prompts.ts';

export default class ProfileCreate extends KbLocalCommand {
  static override description = 'Create a profile (brokers and security settings) and use it';
  static override examples = [
    '<%= config.bin %> profile create prod -b kafka1:9093 -X security.protocol=SASL_SSL -X sasl.mechanism=SCRAM-SHA-512 -X sasl.username=alice -X ssl.ca.location=ca.pem --password-file pw.txt',
    '<%= config.bin %> profile create dev -b 127.0.0.1:9092 -F kcat.conf',
  ];
  static override args = { name: Args.string({ description: 'profile name', required: true }) };
  static override flags = {
    brokers: Flags.string({ char: 'b', description: 'bootstrap brokers, host:port[,host:port...]', aliases: ['bootstrap-server'] }),
    ...clientConfigFlags,
    'password-file': Flags.string({ description: 'read the SASL password from the first line of this file (on a TTY kb asks otherwise)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ProfileCreate);
    checkProfileName(args.name);
    const config = await explicitConfig(flags);
    if (flags['password-file'] !== undefined) {
      if (config['sasl.password'] !== undefined) throw new UsageError('the -F file sets sasl.password already: leave out --password-file');
      config['sasl.password'] = await passwordFromFile(flags['password-file'], '--password-file');
    }
    for (const key of fileKeys) if (config[key] !== undefined) config[key] = path.resolve(config[key]);
    const store = await loadProfiles();
    if (store.profiles[args.name]) throw new UserError(`profile ${args.name} exists already: delete it first (kb profile delete ${args.name})`);
    let withoutPassword = false;
    await connectionSecurity(config, async (username) => {
      if (!interactive()) {
        withoutPassword = true;
        return '';
      }
      config['sasl.password'] = await askPassword(`SASL password for ${username}:`);
      return config['sasl.password'];
    });
    const brokers = flags.brokers ?? config['bootstrap.servers'];
    delete config['bootstrap.servers'];
    store.profiles[args.name] = { ...(brokers === undefined ? {} : { brokers }), config };
    store.current = args.name;
    await saveProfiles(store);
    this.log(`created profile ${args.name} in ${profilesFile()}; it is in use now`);
    if (withoutPassword) this.logToStderr('note: no SASL password stored: commands will take it from KB_SASL_PASSWORD or ask on a terminal');
  }
}
