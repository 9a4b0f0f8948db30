import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { planScramAlterations, type ScramUpsertion } from '../../src/controller/scram-credentials.ts';
import { MetadataImage } from '../../src/metadata/image.ts';
import { decodeMetadataSnapshot, encodeMetadataSnapshot } from '../../src/metadata/entries.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { scramKeys, scramMechanismOfType } from '../../src/protocol/scram.ts';
import { scramCredentialsMax } from '../../src/limits.ts';

const upsert = (name: string, mechanism = 1, extra: Partial<ScramUpsertion> = {}): ScramUpsertion => ({
  name, mechanism, iterations: 4096, salt: randomBytes(32), saltedPassword: randomBytes(mechanism === 2 ? 64 : 32), ...extra,
});

/** Plans and applies, as the controller commits and every node replays. */
function alter(image: MetadataImage, deletions: { name: string; mechanism: number }[], upsertions: ScramUpsertion[]) {
  const planned = planScramAlterations(image, deletions, upsertions);
  for (const record of planned.records) image.apply(record);
  return Object.fromEntries(planned.results.map((r) => [r.user, [r.errorCode, r.errorMessage]]));
}

describe('SCRAM credentials in the metadata', () => {
  it('records the stored and server keys derived from the salted password, never the salted password', () => {
    const image = new MetadataImage();
    const alice = upsert('alice', 2);
    assert.deepEqual(alter(image, [], [alice]), { alice: [ErrorCode.NONE, null] });
    const record = image.scramCredential('alice', 2)!;
    assert.deepEqual(
      { salt: record.salt, iterations: record.iterations, storedKey: record.storedKey, serverKey: record.serverKey },
      { salt: alice.salt, iterations: 4096, ...scramKeys(scramMechanismOfType(2)!, alice.saltedPassword) },
    );
    assert.ok(!Object.values(record).some((v) => Buffer.isBuffer(v) && v.equals(alice.saltedPassword)));
  });

  it("answers with Kafka's error codes, per user", () => {
    const image = new MetadataImage();
    alter(image, [], [upsert('alice'), upsert('carol', 2)]);
    const results = alter(
      image,
      [{ name: 'bob', mechanism: 1 }, { name: 'carol', mechanism: 1 }, { name: 'dave', mechanism: 1 }, { name: '', mechanism: 1 }, { name: 'erin', mechanism: 7 }],
      [upsert('dave'), upsert('few', 1, { iterations: 4095 }), upsert('many', 1, { iterations: 16385 }), upsert('odd', 0), upsert('twice'), upsert('twice', 2)],
    );
    assert.deepEqual(results, {
      bob: [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
      carol: [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
      dave: [ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'],
      '': [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty'],
      erin: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
      few: [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations'],
      many: [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations'],
      odd: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
      twice: [ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'],
    });
    assert.deepEqual([...image.scramCredentials.keys()].sort(), ['alice', 'carol'], 'nothing failed changed anything');
  });

  it('bounds what a client makes every node keep: name, salt and salted password sizes', () => {
    const image = new MetadataImage();
    const results = alter(image, [], [upsert('x'.repeat(257)), upsert('salty', 1, { salt: randomBytes(129) }), upsert('nosalt', 1, { salt: Buffer.alloc(0) }), upsert('short', 1, { saltedPassword: randomBytes(31) })]);
    assert.deepEqual(Object.values(results).map(([code]) => code), Array(4).fill(ErrorCode.UNACCEPTABLE_CREDENTIAL));
    assert.equal(image.scramCredentials.size, 0);
  });

  it('deletes one mechanism of a user, and the user with its last one; a snapshot carries the credentials', () => {
    const image = new MetadataImage();
    alter(image, [], [upsert('alice')]);
    alter(image, [], [upsert('alice', 2)]);
    alter(image, [], [upsert('bob', 2)]);
    assert.deepEqual(alter(image, [{ name: 'alice', mechanism: 1 }], []), { alice: [ErrorCode.NONE, null] });
    assert.deepEqual([...image.scramCredentials.get('alice')!.keys()], [2]);
    const restored = new MetadataImage();
    for (const record of decodeMetadataSnapshot(encodeMetadataSnapshot(image.toRecords()))) restored.apply(record);
    assert.deepEqual(restored.scramCredentials, image.scramCredentials);
    alter(image, [{ name: 'alice', mechanism: 2 }], []);
    assert.deepEqual([...image.scramCredentials.keys()], ['bob']);
  });

  it('refuses a new credential beyond scramCredentialsMax, and still lets one be replaced or deleted', () => {
    const image = new MetadataImage();
    alter(image, [], [upsert('alice'), upsert('bob')]);
    // The count is what matters: pad bob's mechanisms up to the cap.
    const bob = image.scramCredentials.get('bob')!;
    for (let i = 100; bob.size + 1 < scramCredentialsMax; i++) bob.set(i, bob.get(1)!);
    assert.deepEqual(alter(image, [], [upsert('carol')]).carol[0], ErrorCode.POLICY_VIOLATION);
    assert.deepEqual(alter(image, [], [upsert('alice')]), { alice: [ErrorCode.NONE, null] }, 'replacing adds nothing');
    assert.deepEqual(alter(image, [{ name: 'alice', mechanism: 1 }], [upsert('carol')]), { alice: [ErrorCode.NONE, null], carol: [ErrorCode.NONE, null] }, 'a deletion makes room');
  });
});
