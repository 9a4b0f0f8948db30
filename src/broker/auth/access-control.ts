/**
 * The broker's access control: whether authorization is on
 * (`authorizer.class.name`: kb's name or Kafka's StandardAuthorizer, off
 * when empty), the authorizer (authorizer.ts) over the image's ACLs with
 * `super.users` and `allow.everyone.if.no.acl.found`, rebuilt when the ACLs
 * change, and one ConnectionAccess per connection, which handlers ask.
 *
 * A ConnectionAccess caches its decisions by operation and resource (the
 * produce and fetch path asks the same few questions over and over) and
 * drops them all when the ACLs changed since; the cache is bounded
 * (`accessCacheEntriesMax`: a client naming ever new topics cannot grow
 * it). A kb node's own requests and those on a peer listener (kb's nodes
 * only: DESIGN "Security") are a node's, which may do anything, as Kafka's
 * inter-broker principal is a super user. Every denial is logged,
 * rate-limited, with principal, host, operation and resource; a listing
 * that only leaves out what may not be described (Metadata of all topics,
 * ListGroups) asks `mayList`, which does not log, as Kafka does.
 */
import { ConfigError, type BrokerConfig } from '../config.ts';
import { Authorizer, parseSuperUsers } from './authorizer.ts';
import { describeAcl, operationName, resourceTypeName } from '../../protocol/acl.ts';
import type { MetadataImage } from '../../metadata/image.ts';

/** What `authorizer.class.name` may name: kb's authorizer, under its name and Kafka's. */
export const authorizerClassNames = ['kb.StandardAuthorizer', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'];
/** Decisions one connection caches before it starts over. */
export const accessCacheEntriesMax = 4096;

export interface AccessSettings {
  enabled: boolean;
  superUsers: ReadonlySet<string>;
  allowIfNoAcl: boolean;
}

export function accessSettings(config: Pick<BrokerConfig, 'string' | 'bool'>): AccessSettings {
  const className = config.string('authorizer.class.name');
  if (className !== '' && !authorizerClassNames.includes(className)) {
    throw new ConfigError(`authorizer.class.name=${className}: kb has one authorizer, ${authorizerClassNames.join(' (or ')}); leave it empty for none`);
  }
  return { enabled: className !== '', superUsers: parseSuperUsers(config.string('super.users')), allowIfNoAcl: config.bool('allow.everyone.if.no.acl.found') };
}

export class AccessControl {
  readonly settings: AccessSettings;
  private readonly image: Pick<MetadataImage, 'acls' | 'aclsVersion'>;
  private readonly denied: (line: string) => void;
  private built: { version: number; authorizer: Authorizer } | null = null;

  /** `denied`: logs a denial (rate-limited by the caller). */
  constructor(settings: AccessSettings, image: Pick<MetadataImage, 'acls' | 'aclsVersion'>, denied: (line: string) => void) {
    this.settings = settings;
    this.image = image;
    this.denied = denied;
  }

  /** The authorizer over the ACLs as they are now. */
  authorizer(): Authorizer {
    if (this.built?.version !== this.image.aclsVersion) {
      this.built = { version: this.image.aclsVersion, authorizer: new Authorizer(this.image.acls.values(), this.settings) };
    }
    return this.built.authorizer;
  }

  get aclsVersion(): number {
    return this.image.aclsVersion;
  }

  /** The access of a connection: `node` when it is a kb node's. */
  forConnection(principal: string, host: string, node: boolean): ConnectionAccess {
    return new ConnectionAccess(this.settings.enabled && !node ? this : null, principal, host, this.denied);
  }
}

export class ConnectionAccess {
  readonly principal: string;
  private readonly control: AccessControl | null;
  private readonly host: string;
  private readonly denied: (line: string) => void;
  private readonly cache = new Map<string, boolean>();
  private cachedVersion = -1;

  /** `control` null: everything is allowed (authorization off, or a node's connection). */
  constructor(control: AccessControl | null, principal: string, host: string, denied: (line: string) => void) {
    this.control = control;
    this.principal = principal;
    this.host = host;
    this.denied = denied;
  }

  /** Whether the connection may do `operation` on the resource; a denial is logged. */
  allows(operation: number, resourceType: number, resourceName: string): boolean {
    const allowed = this.mayList(operation, resourceType, resourceName);
    if (!allowed) {
      const decision = this.control!.authorizer().decide(this.principal, this.host, operation, resourceType, resourceName);
      const why = decision.rule === 'acl' ? `denied by ${describeAcl(decision.acl)}` : decision.rule === 'resource-has-acls' ? 'no ACL allows it' : 'the resource has no ACL';
      this.denied(`authorization denied: ${this.principal} from ${this.host} may not ${operationName(operation)} ${resourceTypeName(resourceType)} '${resourceName}' (${why})`);
    }
    return allowed;
  }

  /** Whether the connection may do `operation` on some resource of the type (authorizer.ts allowsSomeResource); not cached, a denial not logged. */
  allowsSomeResource(operation: number, resourceType: number): boolean {
    return this.control === null || this.control.authorizer().allowsSomeResource(this.principal, this.host, operation, resourceType);
  }

  /** Whether the connection may do `operation` on the resource, without logging a denial (listings leave it out). */
  mayList(operation: number, resourceType: number, resourceName: string): boolean {
    if (this.control === null) return true;
    if (this.cachedVersion !== this.control.aclsVersion || this.cache.size >= accessCacheEntriesMax) {
      this.cache.clear();
      this.cachedVersion = this.control.aclsVersion;
    }
    const key = `${operation}:${resourceType}:${resourceName}`;
    let allowed = this.cache.get(key);
    if (allowed === undefined) {
      allowed = this.control.authorizer().allows(this.principal, this.host, operation, resourceType, resourceName);
      this.cache.set(key, allowed);
    }
    return allowed;
  }
}

/** The host of a `host:port` remote address as ACLs name it (an IPv4 address without its IPv6 mapping). */
export function hostOf(remote: string): string {
  const colon = remote.lastIndexOf(':');
  const host = colon === -1 ? remote : remote.slice(0, colon);
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice('::ffff:'.length) : host;
}
