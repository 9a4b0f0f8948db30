import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessControl, accessCacheEntriesMax, accessSettings, hostOf } from '../../../src/broker/auth/access-control.ts';
import { BrokerConfig, ConfigError } from '../../../src/broker/config.ts';
import { MetadataImage } from '../../../src/metadata/image.ts';
import { AclOperation, AclPermission, PatternType, ResourceType, type AclBinding } from '../../../src/protocol/acl.ts';

const deny: AclBinding = { resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: AclOperation.READ, permission: AclPermission.DENY };

function setup(enabled = true) {
  const image = new MetadataImage();
  const denied: string[] = [];
  const control = new AccessControl({ enabled, superUsers: new Set(), allowIfNoAcl: true }, image, (line) => denied.push(line));
  return { image, denied, control, alice: control.forConnection('User:alice', '10.0.0.1', false) };
}

describe('access control', () => {
  it("drops a connection's cached decisions when the ACLs change", () => {
    const { image, alice } = setup();
    assert.equal(alice.allows(AclOperation.READ, ResourceType.TOPIC, 'orders'), true);
    image.apply({ type: 'acl', ...deny });
    assert.equal(alice.allows(AclOperation.READ, ResourceType.TOPIC, 'orders'), false);
    image.apply({ type: 'removeAcl', ...deny });
    assert.equal(alice.allows(AclOperation.READ, ResourceType.TOPIC, 'orders'), true);
  });

  it('logs each denial with principal, host, operation, resource and the ACL, but not a listing that leaves it out', () => {
    const { image, alice, denied } = setup();
    image.apply({ type: 'acl', ...deny });
    assert.equal(alice.mayList(AclOperation.READ, ResourceType.TOPIC, 'orders'), false);
    assert.deepEqual(denied, []);
    alice.allows(AclOperation.READ, ResourceType.TOPIC, 'orders');
    assert.deepEqual(denied, ["authorization denied: User:alice from 10.0.0.1 may not READ TOPIC 'orders' (denied by DENY User:alice from * to READ TOPIC LITERAL 'orders')"]);
  });

  it('keeps a bounded cache, however many resources a client names', () => {
    const { image, alice } = setup();
    image.apply({ type: 'acl', ...deny });
    for (let i = 0; i < accessCacheEntriesMax * 3; i++) alice.mayList(AclOperation.READ, ResourceType.TOPIC, `t${i}`);
    const cache = (alice as unknown as { cache: Map<string, boolean> }).cache;
    assert.ok(cache.size <= accessCacheEntriesMax, `${cache.size} cached`);
    assert.equal(alice.allows(AclOperation.READ, ResourceType.TOPIC, 'orders'), false);
  });

  it("lets everything through when authorization is off, and a node's connection always", () => {
    const off = setup(false);
    off.image.apply({ type: 'acl', ...deny });
    assert.equal(off.alice.allows(AclOperation.READ, ResourceType.TOPIC, 'orders'), true);
    const on = setup();
    on.image.apply({ type: 'acl', ...{ ...deny, principal: 'User:*', operation: AclOperation.ALL } });
    assert.equal(on.control.forConnection('User:kb-node-2', '10.0.0.2', true).allows(AclOperation.ALL, ResourceType.TOPIC, 'orders'), true);
  });

  it("takes authorizer.class.name as kb's or Kafka's name, and refuses another", () => {
    const settings = (className: string) => {
      const config = new BrokerConfig();
      config.set('authorizer.class.name', className);
      return accessSettings(config);
    };
    assert.equal(settings('').enabled, false);
    assert.equal(settings('kb.StandardAuthorizer').enabled, true);
    assert.equal(settings('org.apache.kafka.metadata.authorizer.StandardAuthorizer').enabled, true);
    assert.throws(() => settings('kafka.security.authorizer.AclAuthorizer'), ConfigError);
  });

  it('names the host as ACLs do', () => {
    assert.equal(hostOf('10.0.0.1:5555'), '10.0.0.1');
    assert.equal(hostOf('::ffff:10.0.0.1:5555'), '10.0.0.1');
    assert.equal(hostOf('::1:5555'), '::1');
  });
});
