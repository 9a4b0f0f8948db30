import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Authorizer, parseSuperUsers } from '../../../src/broker/auth/authorizer.ts';
import { AclOperation as Op, AclPermission, PatternType, ResourceType, filterProblem, matchesFilter, newAclProblem, type AclBinding, type AclFilter } from '../../../src/protocol/acl.ts';

function acl(fields: Partial<AclBinding>): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permission: AclPermission.ALLOW, ...fields };
}

function authorizer(acls: AclBinding[], settings: { superUsers?: string[]; allowIfNoAcl?: boolean } = {}) {
  return new Authorizer(acls, { superUsers: new Set(settings.superUsers ?? []), allowIfNoAcl: settings.allowIfNoAcl ?? false });
}

const topic = (a: Authorizer, principal: string, op: number, name: string, host = '10.0.0.1') => a.allows(principal, host, op, ResourceType.TOPIC, name);

describe('authorizer (StandardAuthorizer semantics)', () => {
  it('allows what a literal ACL allows, for its principal, and nothing else', () => {
    const a = authorizer([acl({})]);
    assert.equal(topic(a, 'User:alice', Op.READ, 'orders'), true);
    assert.equal(topic(a, 'User:bob', Op.READ, 'orders'), false);
    assert.equal(topic(a, 'User:alice', Op.WRITE, 'orders'), false);
    assert.equal(topic(a, 'User:alice', Op.READ, 'orders2'), false);
    assert.equal(a.allows('User:alice', '10.0.0.1', Op.READ, ResourceType.GROUP, 'orders'), false);
  });

  it('matches prefixed patterns by prefix and the literal * wildcard by any name', () => {
    const a = authorizer([acl({ resourceName: 'ord', patternType: PatternType.PREFIXED }), acl({ resourceName: '*', principal: 'User:bob', operation: Op.WRITE })]);
    assert.equal(topic(a, 'User:alice', Op.READ, 'orders'), true);
    assert.equal(topic(a, 'User:alice', Op.READ, 'ord'), true);
    assert.equal(topic(a, 'User:alice', Op.READ, 'or'), false);
    assert.equal(topic(a, 'User:bob', Op.WRITE, 'anything'), true);
    // A literal ACL named like a prefix of the resource does not match it.
    const literal = authorizer([acl({ resourceName: 'ord' })]);
    assert.equal(topic(literal, 'User:alice', Op.READ, 'orders'), false);
  });

  it('lets User:* match every principal and host * every host; another host does not match', () => {
    const a = authorizer([acl({ principal: 'User:*' }), acl({ principal: 'User:carol', host: '10.0.0.9', operation: Op.WRITE })]);
    assert.equal(topic(a, 'User:zed', Op.READ, 'orders'), true);
    assert.equal(topic(a, 'User:carol', Op.WRITE, 'orders', '10.0.0.9'), true);
    assert.equal(topic(a, 'User:carol', Op.WRITE, 'orders', '10.0.0.8'), false);
  });

  it('lets a deny win over any allow, whichever pattern each comes from', () => {
    const a = authorizer([
      acl({ resourceName: '*', principal: 'User:*', operation: Op.ALL }),
      acl({ resourceName: 'orders-secret', permission: AclPermission.DENY }),
      acl({ resourceName: 'pay', patternType: PatternType.PREFIXED, principal: 'User:*', operation: Op.ALL, permission: AclPermission.DENY }),
    ]);
    assert.equal(topic(a, 'User:alice', Op.READ, 'orders'), true);
    assert.equal(topic(a, 'User:alice', Op.READ, 'orders-secret'), false);
    assert.equal(topic(a, 'User:alice', Op.WRITE, 'orders-secret'), true);
    assert.equal(topic(a, 'User:alice', Op.DESCRIBE, 'payments'), false);
    const decision = a.decide('User:alice', 'h', Op.READ, ResourceType.TOPIC, 'orders-secret');
    assert.equal(decision.rule, 'acl');
    assert.equal(decision.rule === 'acl' && decision.acl.permission, AclPermission.DENY);
  });

  it('implies Describe from an allow of Read, Write, Delete or Alter, and DescribeConfigs from AlterConfigs, never from a deny', () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) assert.equal(topic(authorizer([acl({ operation: op })]), 'User:alice', Op.DESCRIBE, 'orders'), true, `${op}`);
    for (const op of [Op.CREATE, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE]) assert.equal(topic(authorizer([acl({ operation: op })]), 'User:alice', Op.DESCRIBE, 'orders'), false, `${op}`);
    assert.equal(topic(authorizer([acl({ operation: Op.ALTER_CONFIGS })]), 'User:alice', Op.DESCRIBE_CONFIGS, 'orders'), true);
    assert.equal(topic(authorizer([acl({ operation: Op.ALTER })]), 'User:alice', Op.DESCRIBE_CONFIGS, 'orders'), false);
    const denyRead = authorizer([acl({ operation: Op.ALL }), acl({ operation: Op.READ, permission: AclPermission.DENY })]);
    assert.equal(topic(denyRead, 'User:alice', Op.DESCRIBE, 'orders'), true);
    assert.equal(topic(denyRead, 'User:alice', Op.READ, 'orders'), false);
  });

  it('lets super users do anything, even against a deny', () => {
    const a = authorizer([acl({ principal: 'User:admin', operation: Op.ALL, permission: AclPermission.DENY })], { superUsers: ['User:admin'] });
    assert.equal(topic(a, 'User:admin', Op.ALTER, 'orders'), true);
    assert.equal(a.decide('User:admin', 'h', Op.ALTER, ResourceType.CLUSTER, 'kafka-cluster').rule, 'super-user');
  });

  it('falls back to allow.everyone.if.no.acl.found only for a resource without any ACL', () => {
    const open = authorizer([acl({})], { allowIfNoAcl: true });
    assert.equal(topic(open, 'User:bob', Op.READ, 'other'), true);
    assert.deepEqual(open.decide('User:bob', 'h', Op.READ, ResourceType.TOPIC, 'other'), { allowed: true, rule: 'no-acl' });
    assert.equal(topic(open, 'User:bob', Op.READ, 'orders'), false, "alice's ACL on orders makes it a resource with ACLs");
    assert.deepEqual(open.decide('User:bob', 'h', Op.READ, ResourceType.TOPIC, 'orders'), { allowed: false, rule: 'resource-has-acls' });
    assert.equal(topic(authorizer([]), 'User:bob', Op.READ, 'other'), false);
  });

  it('reads super.users as Kafka writes them', () => {
    assert.deepEqual([...parseSuperUsers(' User:admin;User:ops ;;')], ['User:admin', 'User:ops']);
    assert.deepEqual([...parseSuperUsers('')], []);
  });
});

describe('ACL filters (AclBindingFilter semantics)', () => {
  const any: AclFilter = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permission: AclPermission.ANY };
  const literal = acl({});
  const prefixed = acl({ resourceName: 'ord', patternType: PatternType.PREFIXED });
  const star = acl({ resourceName: '*' });

  it('matches everything with ANY and nulls, and each field when given', () => {
    for (const a of [literal, prefixed, star]) assert.equal(matchesFilter(a, any), true);
    assert.equal(matchesFilter(literal, { ...any, principal: 'User:bob' }), false);
    assert.equal(matchesFilter(literal, { ...any, operation: Op.WRITE }), false);
    assert.equal(matchesFilter(literal, { ...any, permission: AclPermission.DENY }), false);
    assert.equal(matchesFilter(literal, { ...any, resourceType: ResourceType.GROUP }), false);
    assert.equal(matchesFilter(literal, { ...any, host: '10.0.0.1' }), false);
  });

  it('takes a name literally for LITERAL, PREFIXED and ANY, and as the resource for MATCH', () => {
    assert.deepEqual([literal, prefixed, star].map((a) => matchesFilter(a, { ...any, resourceName: 'ord' })), [false, true, false]);
    assert.deepEqual([literal, prefixed, star].map((a) => matchesFilter(a, { ...any, resourceName: 'ord', patternType: PatternType.LITERAL })), [false, false, false]);
    assert.deepEqual([literal, prefixed, star].map((a) => matchesFilter(a, { ...any, resourceName: 'orders', patternType: PatternType.MATCH })), [true, true, true]);
    assert.deepEqual([literal, prefixed, star].map((a) => matchesFilter(a, { ...any, resourceName: 'other', patternType: PatternType.MATCH })), [false, false, true]);
    assert.deepEqual([literal, prefixed, star].map((a) => matchesFilter(a, { ...any, patternType: PatternType.PREFIXED })), [false, true, false]);
  });

  it('refuses unknown filters and invalid bindings with Kafka messages', () => {
    assert.equal(filterProblem(any), null);
    assert.equal(filterProblem({ ...any, patternType: 0 }), 'Unknown patternFilter.');
    assert.equal(filterProblem({ ...any, operation: 99 }), 'Unknown entryFilter.');
    assert.equal(newAclProblem(literal), null);
    assert.match(newAclProblem(acl({ resourceType: ResourceType.ANY }))!, /Invalid resourceType/);
    assert.match(newAclProblem(acl({ patternType: PatternType.MATCH }))!, /Invalid patternType/);
    assert.match(newAclProblem(acl({ operation: Op.ANY }))!, /Invalid operation/);
    assert.match(newAclProblem(acl({ permission: AclPermission.ANY }))!, /Invalid permissionType/);
    assert.match(newAclProblem(acl({ resourceName: '' }))!, /should not be empty/);
    assert.match(newAclProblem(acl({ principal: 'alice' }))!, /Could not parse principal/);
  });
});

describe('authorizing by resource type (KIP-679: Write on some topic)', () => {
  const some = (acls: AclBinding[], principal = 'User:alice', settings: { allowIfNoAcl?: boolean } = {}) => authorizer(acls, settings).allowsSomeResource(principal, '10.0.0.1', Op.WRITE, ResourceType.TOPIC);

  it('allows when an allow applies to some topic no deny covers', () => {
    assert.equal(some([acl({ operation: Op.WRITE })]), true);
    assert.equal(some([acl({ operation: Op.WRITE, resourceName: 'p', patternType: PatternType.PREFIXED })]), true);
    assert.equal(some([acl({ operation: Op.READ })]), false, 'Read is not Write');
    assert.equal(some([acl({ operation: Op.WRITE })], 'User:bob'), false);
  });

  it('denies when the denies cover every allowed pattern, or a deny on * covers all', () => {
    assert.equal(some([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, permission: AclPermission.DENY })]), false);
    assert.equal(some([acl({ operation: Op.WRITE, resourceName: 'orders' }), acl({ operation: Op.WRITE, resourceName: 'or', patternType: PatternType.PREFIXED, permission: AclPermission.DENY })]), false);
    assert.equal(some([acl({ operation: Op.WRITE, resourceName: '*' }), acl({ operation: Op.ALL, resourceName: '*', permission: AclPermission.DENY })]), false);
    assert.equal(some([acl({ operation: Op.WRITE, resourceName: 'a' }), acl({ operation: Op.WRITE, resourceName: 'b', permission: AclPermission.DENY })]), true);
  });

  it('falls back to allow.everyone.if.no.acl.found when the type has no ACL', () => {
    assert.equal(some([], 'User:alice', { allowIfNoAcl: true }), true);
    assert.equal(some([]), false);
  });
});
