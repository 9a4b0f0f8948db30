/**
 * Decides whether a principal, connected from a host, may do an operation
 * on a resource, with the semantics of Kafka's StandardAuthorizer:
 *
 * - a super user (`super.users`: `User:admin;User:ops`) may do anything;
 * - the ACLs that apply to a resource are those of its type whose pattern
 *   matches its name: LITERAL equal, LITERAL `*`, or PREFIXED a prefix;
 * - of those, the ones whose principal is the caller's or `User:*` and
 *   whose host is the caller's or `*` decide: any DENY for the operation
 *   (or ALL) denies; else any ALLOW for it (or ALL, or, for Describe, an
 *   ALLOW of Read, Write, Delete or Alter; for DescribeConfigs, an ALLOW of
 *   AlterConfigs) allows; a DENY implies nothing;
 * - when none decides: denied if the resource has any ACL at all, else
 *   `allow.everyone.if.no.acl.found` (default false) decides.
 *
 * `allowsSomeResource` answers Kafka's authorizeByResourceType (KIP-679:
 * idempotent producers need IdempotentWrite on the cluster or Write on some
 * topic): whether an ALLOW for the operation applies to some resource of
 * the type that no DENY pattern covers; a DENY on the LITERAL `*` covers
 * them all; with no ACL of the type at all, the no-ACL rule decides.
 *
 * Pure and immutable: built from the image's ACLs; the broker builds a new
 * one when they change. `decide` says which rule decided (for `kb acl check`
 * and denial logs); `allows` is the same answer without the explanation.
 */
import { AclOperation, AclPermission, PatternType, wildcard, wildcardPrincipal, type AclBinding } from '../../protocol/acl.ts';

export interface AuthorizerSettings {
  superUsers: ReadonlySet<string>;
  allowIfNoAcl: boolean;
}

export type Decision =
  | { allowed: true; rule: 'super-user' }
  | { allowed: boolean; rule: 'acl'; acl: AclBinding }
  | { allowed: false; rule: 'resource-has-acls' }
  | { allowed: boolean; rule: 'no-acl' };

const impliesDescribe = new Set<number>([AclOperation.DESCRIBE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER]);
const impliesDescribeConfigs = new Set<number>([AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS]);

/** Whether the ACL's operation covers the one asked for. */
function coversOperation(acl: AclBinding, operation: number): boolean {
  if (acl.operation === AclOperation.ALL || acl.operation === operation) return true;
  if (acl.permission !== AclPermission.ALLOW) return false;
  if (operation === AclOperation.DESCRIBE) return impliesDescribe.has(acl.operation);
  if (operation === AclOperation.DESCRIBE_CONFIGS) return impliesDescribeConfigs.has(acl.operation);
  return false;
}

interface ByType {
  literal: Map<string, AclBinding[]>;
  prefixed: Map<string, AclBinding[]>;
  /** Lengths of the prefixes present, so a lookup tries only those. */
  prefixLengths: number[];
}

export class Authorizer {
  private readonly settings: AuthorizerSettings;
  private readonly byType = new Map<number, ByType>();

  constructor(acls: Iterable<AclBinding>, settings: AuthorizerSettings) {
    this.settings = settings;
    for (const acl of acls) {
      let section = this.byType.get(acl.resourceType);
      if (!section) {
        section = { literal: new Map(), prefixed: new Map(), prefixLengths: [] };
        this.byType.set(acl.resourceType, section);
      }
      const map = acl.patternType === PatternType.PREFIXED ? section.prefixed : section.literal;
      const list = map.get(acl.resourceName) ?? [];
      list.push(acl);
      map.set(acl.resourceName, list);
    }
    for (const section of this.byType.values()) section.prefixLengths = [...new Set([...section.prefixed.keys()].map((p) => p.length))].sort((a, b) => a - b);
  }

  allows(principal: string, host: string, operation: number, resourceType: number, resourceName: string): boolean {
    return this.decide(principal, host, operation, resourceType, resourceName).allowed;
  }

  decide(principal: string, host: string, operation: number, resourceType: number, resourceName: string): Decision {
    if (this.settings.superUsers.has(principal)) return { allowed: true, rule: 'super-user' };
    let allow: AclBinding | null = null;
    let resourceHasAcls = false;
    for (const acl of this.resourceAcls(resourceType, resourceName)) {
      resourceHasAcls = true;
      if (acl.principal !== principal && acl.principal !== wildcardPrincipal) continue;
      if (acl.host !== wildcard && acl.host !== host) continue;
      if (!coversOperation(acl, operation)) continue;
      if (acl.permission === AclPermission.DENY) return { allowed: false, rule: 'acl', acl };
      allow ??= acl;
    }
    if (allow) return { allowed: true, rule: 'acl', acl: allow };
    if (resourceHasAcls) return { allowed: false, rule: 'resource-has-acls' };
    return { allowed: this.settings.allowIfNoAcl, rule: 'no-acl' };
  }

  allowsSomeResource(principal: string, host: string, operation: number, resourceType: number): boolean {
    if (this.settings.superUsers.has(principal)) return true;
    const section = this.byType.get(resourceType);
    if (!section) return this.settings.allowIfNoAcl;
    const applies = (acl: AclBinding) => (acl.principal === principal || acl.principal === wildcardPrincipal) && (acl.host === wildcard || acl.host === host) && coversOperation(acl, operation);
    const patterns = (permission: number) => {
      const literal = new Set<string>();
      const prefixed: string[] = [];
      for (const [map, into] of [[section.literal, literal], [section.prefixed, prefixed]] as const) {
        for (const [name, acls] of map) {
          if (!acls.some((acl) => acl.permission === permission && applies(acl))) continue;
          if (into instanceof Set) into.add(name);
          else into.push(name);
        }
      }
      return { literal, prefixed };
    };
    const deny = patterns(AclPermission.DENY);
    if (deny.literal.has(wildcard)) return false;
    const denied = (name: string) => deny.prefixed.some((prefix) => name.startsWith(prefix));
    const allow = patterns(AclPermission.ALLOW);
    for (const name of allow.literal) if (name === wildcard || (!deny.literal.has(name) && !denied(name))) return true;
    return allow.prefixed.some((name) => !denied(name));
  }

  /** The ACLs whose pattern matches the resource. */
  private *resourceAcls(resourceType: number, resourceName: string): Generator<AclBinding> {
    const section = this.byType.get(resourceType);
    if (!section) return;
    yield* section.literal.get(resourceName) ?? [];
    if (resourceName !== wildcard) yield* section.literal.get(wildcard) ?? [];
    for (const length of section.prefixLengths) {
      if (length > resourceName.length) break;
      yield* section.prefixed.get(resourceName.slice(0, length)) ?? [];
    }
  }
}

/** `super.users` as Kafka writes it: principals separated by ';'. */
export function parseSuperUsers(value: string): Set<string> {
  return new Set(
    value
      .split(';')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
  );
}
