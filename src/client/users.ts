/**
 * Users with SCRAM credentials, shaped for the CLI: list them with their
 * mechanisms and iterations (DescribeUserScramCredentials), set a password
 * (AlterUserScramCredentials: the salted password is derived here, with a
 * fresh salt, so the password never leaves this process) and delete a
 * user's credentials. Both go to the active controller, whose metadata is
 * the most recent. Kafka errors become ClientErrors naming the user.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.ts';
import { ApiKeys } from '../protocol/generated/api-keys.ts';
import { saltedPassword, scramMechanismOfType, scramSaltBytes, type ScramMechanism } from '../protocol/scram.ts';
import { check } from './admin.ts';
import type { Cluster } from './cluster.ts';

export interface UserCredentials {
  name: string;
  mechanisms: { mechanism: string; iterations: number }[];
}

export class Users {
  private readonly cluster: Cluster;

  constructor(cluster: Cluster) {
    this.cluster = cluster;
  }

  /** Every user (`names` null) or the users named; a named user without credentials is an error unless `missingOk`. */
  async describe(names: string[] | null, options: { missingOk?: boolean } = {}): Promise<UserCredentials[]> {
    const controller = await this.cluster.controller();
    const response = await controller.request(ApiKeys.DescribeUserScramCredentials, 0, { users: names?.map((name) => ({ name })) ?? null });
    check(response.errorCode, response.errorMessage, 'listing users');
    const users: UserCredentials[] = [];
    for (const result of response.results) {
      if (result.errorCode === ErrorCode.RESOURCE_NOT_FOUND && options.missingOk) continue;
      check(result.errorCode, result.errorMessage, `user '${result.user}'`);
      const mechanisms = result.credentialInfos.map((c) => ({ mechanism: scramMechanismOfType(c.mechanism)?.name ?? `unknown (${c.mechanism})`, iterations: c.iterations }));
      users.push({ name: result.user, mechanisms });
    }
    return users.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Sets `name`'s password for `mechanism` (creating the credential). Throws SaslprepError for a password SASLprep refuses. */
  async setPassword(name: string, mechanism: ScramMechanism, password: string, iterations: number): Promise<void> {
    const salt = randomBytes(scramSaltBytes);
    const salted = await saltedPassword(mechanism, password, salt, iterations, { stored: true });
    await this.alter({ deletions: [], upsertions: [{ name, mechanism: mechanism.type, iterations, salt, saltedPassword: salted }] }, name);
  }

  async delete(name: string, mechanism: ScramMechanism): Promise<void> {
    await this.alter({ deletions: [{ name, mechanism: mechanism.type }], upsertions: [] }, name);
  }

  private async alter(body: { deletions: { name: string; mechanism: number }[]; upsertions: { name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }[] }, name: string): Promise<void> {
    const controller = await this.cluster.controller();
    const response = await controller.request(ApiKeys.AlterUserScramCredentials, 0, body);
    for (const result of response.results) check(result.errorCode, result.errorMessage, `user '${name}'`);
  }
}
