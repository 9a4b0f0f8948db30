import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planCreateAcls, planDeleteAcls } from '../../src/controller/acls.ts';
import { MetadataImage } from '../../src/metadata/image.ts';
import { decodeMetadataSnapshot, encodeMetadataSnapshot } from '../../src/metadata/entries.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { AclOperation, AclPermission, PatternType, ResourceType, type AclBinding, type AclFilter } from '../../src/protocol/acl.ts';
import { aclFieldLengthMax, aclsMax } from '../../src/limits.ts';

const acl = (fields: Partial<AclBinding> = {}): AclBinding => ({
  resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: AclOperation.READ, permission: AclPermission.ALLOW, ...fields,
});
const anyFilter: AclFilter = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permission: AclPermission.ANY };

/** Plans and applies, as the controller commits and every node replays. */
function create(image: MetadataImage, acls: AclBinding[]) {
  const planned = planCreateAcls(image, acls);
  planned.records.forEach((r) => image.apply(r));
  return planned;
}
function remove(image: MetadataImage, filters: AclFilter[]) {
  const planned = planDeleteAcls(image, filters);
  planned.records.forEach((r) => image.apply(r));
  return planned;
}

describe('ACLs in the metadata', () => {
  it('creates each binding once, however often it is asked for, and refuses invalid ones with INVALID_REQUEST', () => {
    const image = new MetadataImage();
    const { results, records } = create(image, [acl(), acl(), acl({ operation: AclOperation.ANY }), acl({ resourceName: 'x'.repeat(aclFieldLengthMax + 1) })]);
    assert.deepEqual(results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    assert.equal(records.length, 1);
    assert.equal(create(image, [acl()]).records.length, 0, 'an existing binding is not recorded again');
    assert.deepEqual([...image.acls.values()], [acl()]);
  });

  it('deletes what each filter matches, reporting it per filter and removing it once', () => {
    const image = new MetadataImage();
    create(image, [acl(), acl({ principal: 'User:bob' }), acl({ resourceType: ResourceType.GROUP, resourceName: 'g', principal: 'User:carol' })]);
    const { results, records } = remove(image, [{ ...anyFilter, resourceType: ResourceType.TOPIC }, { ...anyFilter, principal: 'User:alice' }, { ...anyFilter, operation: 0 }]);
    assert.deepEqual(results.map((r) => [r.errorCode, r.matchingAcls.length]), [[ErrorCode.NONE, 2], [ErrorCode.NONE, 1], [ErrorCode.INVALID_REQUEST, 0]]);
    assert.equal(records.length, 2);
    assert.deepEqual([...image.acls.values()].map((a) => a.resourceName), ['g']);
  });

  it('bounds what one DeleteAcls lists: filters whose matches pass aclsMax together delete nothing', () => {
    const image = new MetadataImage();
    const half = aclsMax / 2 + 1;
    for (let i = 0; i < half; i++) image.apply({ type: 'acl', ...acl({ resourceName: `t${i}` }) });
    const { results, records } = planDeleteAcls(image, [anyFilter, anyFilter]);
    assert.deepEqual(results.map((r) => [r.errorCode, r.matchingAcls.length]), [[ErrorCode.NONE, half], [ErrorCode.POLICY_VIOLATION, 0]]);
    assert.equal(records.length, half);
  });

  it('keeps ACLs in snapshots and counts every change', () => {
    const image = new MetadataImage();
    const before = image.aclsVersion;
    create(image, [acl(), acl({ patternType: PatternType.PREFIXED, resourceName: 'ord', permission: AclPermission.DENY })]);
    assert.ok(image.aclsVersion > before);
    const restored = new MetadataImage();
    for (const record of decodeMetadataSnapshot(encodeMetadataSnapshot(image.toRecords()))) restored.apply(record);
    assert.deepEqual([...restored.acls.values()], [...image.acls.values()]);
  });
});
