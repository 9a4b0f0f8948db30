/**
 * `--bootstrap-user`: the first user of a cluster, created while the node
 * starts, before it serves clients, when the cluster has no SCRAM user yet
 * (so a secured cluster never has a window in which nobody can log in).
 * A cluster that has users already is left as it is (logged). The
 * credential is SCRAM-SHA-512 with the default iterations, which PLAIN
 * logins check too; the salted password is derived here and sent to the
 * active controller like any AlterUserScramCredentials, so the password
 * itself is never written anywhere. Nodes started together with the same
 * user and password may both set it: the last one's salt wins, the same
 * password works.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import { saltedPassword, scramIterationsMin, scramMechanismNamed, scramSaltBytes } from '../protocol/scram.ts';
import type { ControllerChannel } from './controller-channel.ts';

export interface BootstrapUser {
  name: string;
  password: string;
}

export async function createBootstrapUser(
  user: BootstrapUser,
  image: Pick<MetadataImage, 'scramCredentials'>,
  channel: Pick<ControllerChannel, 'request'>,
  logger: Logger,
): Promise<void> {
  if (image.scramCredentials.size > 0) {
    logger.info(`bootstrap user ${user.name} not created: the cluster has users already (kb user set-password changes a password)`);
    return;
  }
  const mechanism = scramMechanismNamed('SCRAM-SHA-512')!;
  const salt = randomBytes(scramSaltBytes);
  const salted = await saltedPassword(mechanism, user.password, salt, scramIterationsMin, { stored: true });
  const response = await channel.request(ApiKeys.AlterUserScramCredentials, 0, {
    deletions: [],
    upsertions: [{ name: user.name, mechanism: mechanism.type, iterations: scramIterationsMin, salt, saltedPassword: salted }],
  });
  const failed = response.results.find((r) => r.errorCode !== ErrorCode.NONE);
  if (failed) throw new Error(`cannot create bootstrap user ${user.name}: ${failed.errorMessage ?? errorName(failed.errorCode)}`);
  logger.info(`created bootstrap user ${user.name} (${mechanism.name})`);
}
