/**
 * CreateAcls (30) and DeleteAcls (31) on the controller, with Kafka's
 * semantics (AclControlManager): one result per creation, in order; an
 * invalid binding INVALID_REQUEST with Kafka's message; a binding that
 * exists already (or twice in the request) succeeds and is recorded once.
 * One result per delete filter, in order: an unknown filter
 * INVALID_REQUEST; otherwise every ACL it matches, each removed once
 * however many filters match it. Beyond Kafka, what a client makes every
 * node keep is bounded: the length of names, principals and hosts, and the
 * number of ACLs (POLICY_VIOLATION); so is what one DeleteAcls makes the
 * controller list: the matches of all its filters together are at most
 * `aclsMax` (a filter beyond that POLICY_VIOLATION, deleting nothing).
 *
 * Pure: decides results and records from the image; the controller commits.
 */
import { aclFieldLengthMax, aclsMax } from '../limits.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { aclKey, filterProblem, matchesFilter, newAclProblem, type AclBinding, type AclFilter } from '../protocol/acl.ts';
import type { MetadataImage } from '../metadata/image.ts';
import type { MetadataRecord } from '../metadata/records.ts';

export interface AclCreationResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface AclDeletionResult {
  errorCode: number;
  errorMessage: string | null;
  matchingAcls: AclBinding[];
}

function creationProblem(acl: AclBinding): AclCreationResult | null {
  const invalid = newAclProblem(acl);
  if (invalid) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid };
  if (Math.max(acl.resourceName.length, acl.principal.length, acl.host.length) > aclFieldLengthMax) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `An ACL's resource name, principal and host are at most ${aclFieldLengthMax} characters each` };
  }
  return null;
}

export function planCreateAcls(image: Pick<MetadataImage, 'acls'>, creations: AclBinding[]): { results: AclCreationResult[]; records: MetadataRecord[] } {
  const results: AclCreationResult[] = [];
  const records: MetadataRecord[] = [];
  const added = new Set<string>();
  for (const acl of creations) {
    const problem = creationProblem(acl);
    if (problem) {
      results.push(problem);
      continue;
    }
    const key = aclKey(acl);
    if (!image.acls.has(key) && !added.has(key)) {
      if (image.acls.size + added.size >= aclsMax) {
        results.push({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `The cluster holds ${aclsMax} ACLs, the most it keeps: delete unused ACLs first` });
        continue;
      }
      added.add(key);
      records.push({ type: 'acl', ...acl });
    }
    results.push({ errorCode: ErrorCode.NONE, errorMessage: null });
  }
  return { results, records };
}

export function planDeleteAcls(image: Pick<MetadataImage, 'acls'>, filters: AclFilter[]): { results: AclDeletionResult[]; records: MetadataRecord[] } {
  const results: AclDeletionResult[] = [];
  const records: MetadataRecord[] = [];
  const removed = new Set<string>();
  let listed = 0;
  for (const filter of filters) {
    const problem = filterProblem(filter);
    if (problem) {
      results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] });
      continue;
    }
    const matching = [...image.acls].filter(([, acl]) => matchesFilter(acl, filter));
    if (listed + matching.length > aclsMax) {
      results.push({ errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: `The filters of one request match more than ${aclsMax} ACLs together: delete with fewer filters at once`, matchingAcls: [] });
      continue;
    }
    listed += matching.length;
    for (const [key, acl] of matching) {
      if (removed.has(key)) continue;
      removed.add(key);
      records.push({ type: 'removeAcl', ...acl });
    }
    results.push({ errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls: matching.map(([, acl]) => acl) });
  }
  return { results, records };
}
