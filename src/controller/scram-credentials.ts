/**
 * AlterUserScramCredentials (51) on the controller, with Kafka's semantics
 * (ScramControlManager): one result per user named in the request; a user
 * named twice (deletions and upsertions together) gets DUPLICATE_RESOURCE
 * and no change; an empty name UNACCEPTABLE_CREDENTIAL; an unknown
 * mechanism UNSUPPORTED_SASL_MECHANISM; iterations outside 4096..16384
 * UNACCEPTABLE_CREDENTIAL; deleting a credential that does not exist
 * RESOURCE_NOT_FOUND. An upsertion carries the salted password (the client
 * derived it); only the stored and server keys derived from it are
 * recorded. Beyond Kafka, the bytes a client makes every node keep are
 * bounded: the name's length, the salt's, the salted password's (the
 * mechanism's key size), and the number of credentials.
 *
 * Pure: decides results and records from the image; the controller commits.
 */
import { scramCredentialsMax, scramSaltBytesMax, userNameLengthMax } from '../limits.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { scramIterationsMax, scramIterationsMin, scramKeys, scramMechanismOfType } from '../protocol/scram.ts';
import type { MetadataImage } from '../metadata/image.ts';
import type { MetadataRecord } from '../metadata/records.ts';

export interface ScramDeletion {
  name: string;
  mechanism: number;
}

export interface ScramUpsertion extends ScramDeletion {
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

export interface ScramAlterationResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

type Problem = { errorCode: number; errorMessage: string } | null;

function nameAndMechanismProblem({ name, mechanism }: ScramDeletion): Problem {
  if (name === '') return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' };
  if (name.length > userNameLengthMax) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `Username must be at most ${userNameLengthMax} characters` };
  if (!scramMechanismOfType(mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' };
  return null;
}

function upsertionProblem(upsertion: ScramUpsertion): Problem {
  const problem = nameAndMechanismProblem(upsertion);
  if (problem) return problem;
  if (upsertion.iterations < scramIterationsMin) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' };
  if (upsertion.iterations > scramIterationsMax) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' };
  if (upsertion.salt.length === 0 || upsertion.salt.length > scramSaltBytesMax) {
    return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `The salt must be 1 to ${scramSaltBytesMax} bytes` };
  }
  const { keyBytes, name } = scramMechanismOfType(upsertion.mechanism)!;
  if (upsertion.saltedPassword.length !== keyBytes) return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: `A ${name} salted password is ${keyBytes} bytes` };
  return null;
}

export function planScramAlterations(
  image: Pick<MetadataImage, 'scramCredentials' | 'scramCredential'>,
  deletions: ScramDeletion[],
  upsertions: ScramUpsertion[],
): { results: ScramAlterationResult[]; records: MetadataRecord[] } {
  const counts = new Map<string, number>();
  for (const { name } of [...deletions, ...upsertions]) counts.set(name, (counts.get(name) ?? 0) + 1);
  const results: ScramAlterationResult[] = [];
  const records: MetadataRecord[] = [];
  const reported = new Set<string>();
  const report = (user: string, problem: Problem) => {
    results.push({ user, errorCode: problem?.errorCode ?? ErrorCode.NONE, errorMessage: problem?.errorMessage ?? null });
    reported.add(user);
  };
  let credentials = [...image.scramCredentials.values()].reduce((sum, byMechanism) => sum + byMechanism.size, 0);
  for (const deletion of deletions) {
    if (reported.has(deletion.name)) continue;
    if (counts.get(deletion.name)! > 1) {
      report(deletion.name, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' });
      continue;
    }
    const problem =
      nameAndMechanismProblem(deletion) ??
      (image.scramCredential(deletion.name, deletion.mechanism) ? null : { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' });
    if (!problem) {
      records.push({ type: 'removeScramCredential', name: deletion.name, mechanism: deletion.mechanism });
      credentials--;
    }
    report(deletion.name, problem);
  }
  for (const upsertion of upsertions) {
    if (reported.has(upsertion.name)) continue;
    if (counts.get(upsertion.name)! > 1) {
      report(upsertion.name, { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' });
      continue;
    }
    let problem = upsertionProblem(upsertion);
    const isNew = !image.scramCredential(upsertion.name, upsertion.mechanism);
    if (!problem && isNew && credentials >= scramCredentialsMax) {
      problem = { errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `The cluster holds ${scramCredentialsMax} SCRAM credentials, the most it keeps: delete unused users first` };
    }
    if (!problem) {
      const { name, mechanism, salt, iterations, saltedPassword } = upsertion;
      const keys = scramKeys(scramMechanismOfType(mechanism)!, saltedPassword);
      records.push({ type: 'scramCredential', name, mechanism, salt: Buffer.from(salt), iterations, ...keys });
      if (isNew) credentials++;
    }
    report(upsertion.name, problem);
  }
  return { results, records };
}
