/**
 * `kb acl check PRINCIPAL OPERATION RESOURCE-TYPE NAME`: whether the
 * principal may do the operation on the resource, and why: the ACL that
 * allowed or denied it, super.users, or that no ACL matched and what
 * allow.everyone.if.no.acl.found then decides. The decision is the broker's
 * authorizer's own code (broker/auth/authorizer.ts) over the ACLs that
 * apply to the resource (DescribeAcls, pattern MATCH) and the broker's
 * settings (DescribeConfigs); --host for a client's address (by default
 * only ACLs for any host, *, count). Exit 0 when allowed, 1 when denied.
 */
import { Args, Flags } from '@oclif/core';
import { Acls } from '../../client/acls.ts';
import { Admin } from '../../client/admin.ts';
import { chooseBroker } from '../../cli/broker-id.ts';
import { KbCommand, UsageError } from '../../cli/kb-command.ts';
import { operationCode, resourceTypeCode } from '../../cli/acl-flags.ts';
import { Authorizer, parseSuperUsers, type Decision } from '../../broker/auth/authorizer.ts';
import { AclOperation, AclPermission, PatternType, clusterResourceName, describeAcl, operationName, resourceTypeName, ResourceType } from '../../protocol/acl.ts';
import { ClientError } from '../../net/connection.ts';
import { ErrorCode } from '../../protocol/errors.ts';

interface CheckResult {
  allowed: boolean;
  reason: string;
  acl: string | null;
}

export default class AclCheck extends KbCommand {
  static override description = 'Explain whether a principal may do an operation on a resource';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> acl check User:alice read topic orders',
    '<%= config.bin %> acl check alice write topic orders --host 10.0.0.7',
    '<%= config.bin %> acl check User:alice alter cluster',
  ];
  static override args = {
    principal: Args.string({ description: 'principal, User:NAME (User: when left out)', required: true }),
    operation: Args.string({ description: 'operation: read, write, create, delete, alter, describe, cluster-action, describe-configs, alter-configs, idempotent-write', required: true }),
    resourceType: Args.string({ description: 'topic, group, cluster, transactional-id', required: true }),
    name: Args.string({ description: 'resource name (none for the cluster)' }),
  };
  static override flags = {
    host: Flags.string({ description: "the client's address (default: only ACLs for any host count)" }),
  };

  async run(): Promise<CheckResult> {
    const { args, flags } = await this.parse(AclCheck);
    const principal = args.principal.includes(':') ? args.principal : `User:${args.principal}`;
    const operation = operationCode(args.operation);
    const resourceType = resourceTypeCode(args.resourceType);
    const name = resourceType === ResourceType.CLUSTER ? clusterResourceName : args.name;
    if (name === undefined) throw new UsageError(`name the ${args.resourceType}: kb acl check ${args.principal} ${args.operation} ${args.resourceType} NAME`);
    const cluster = await this.cluster();
    const what = `${principal} ${operationName(operation)} ${resourceTypeName(resourceType)} '${name}'`;
    const settings = new Map((await new Admin(cluster).describeBrokerConfigs(await chooseBroker(cluster, undefined))).map((c) => [c.name, c.value ?? '']));
    let result: CheckResult;
    try {
      const acls = await new Acls(cluster).list({ resourceType, resourceName: name, patternType: PatternType.MATCH, principal: null, host: null, operation: AclOperation.ANY, permission: AclPermission.ANY });
      const allowIfNoAcl = settings.get('allow.everyone.if.no.acl.found') === 'true';
      const authorizer = new Authorizer(acls, { superUsers: parseSuperUsers(settings.get('super.users') ?? ''), allowIfNoAcl });
      result = explain(authorizer.decide(principal, flags.host ?? '', operation, resourceType, name), allowIfNoAcl);
    } catch (err) {
      if (!(err instanceof ClientError && err.cause === ErrorCode.SECURITY_DISABLED)) throw err;
      result = { allowed: true, reason: 'the brokers authorize nothing (authorizer.class.name is not set)', acl: null };
    }
    this.log(`${result.allowed ? 'ALLOWED' : 'DENIED'}: ${what}: ${result.reason}`);
    if (!result.allowed && !this.jsonEnabled()) this.exit(1);
    return result;
  }
}

function explain(decision: Decision, allowIfNoAcl: boolean): CheckResult {
  switch (decision.rule) {
    case 'super-user':
      return { allowed: true, reason: 'a super user (super.users)', acl: null };
    case 'acl':
      return { allowed: decision.allowed, reason: `${decision.allowed ? 'allowed' : 'denied'} by ACL ${describeAcl(decision.acl)}`, acl: describeAcl(decision.acl) };
    case 'resource-has-acls':
      return { allowed: false, reason: 'no ACL allows it (the resource has ACLs, none for this principal, host and operation)', acl: null };
    case 'no-acl':
      return { allowed: decision.allowed, reason: `no ACL applies to the resource, and allow.everyone.if.no.acl.found=${allowIfNoAcl}`, acl: null };
  }
}
