/**
 * The settings of the classic group coordinator: `GroupConfig` carries the
 * broker settings a group obeys (Kafka's `group.min.session.timeout.ms`,
 * `group.max.session.timeout.ms`, `group.initial.rebalance.delay.ms`,
 * `group.max.size`, and kb's `group.max.groups`), with their defaults. The
 * fixed limits that keep every collection driven by clients bounded are in
 * src/limits.ts.
 */
import { groupMembersMaxDefault, groupsMaxDefault } from '../../limits.ts';

export interface GroupConfig {
  /** Smallest session timeout a member may ask for (`group.min.session.timeout.ms`). */
  minSessionTimeoutMs: number;
  /** Largest session timeout a member may ask for (`group.max.session.timeout.ms`). */
  maxSessionTimeoutMs: number;
  /** Wait for more members before the first rebalance of an empty group (`group.initial.rebalance.delay.ms`). */
  initialRebalanceDelayMs: number;
  /** Members plus members-to-be (given an id by MEMBER_ID_REQUIRED) of one group (`group.max.size`). */
  maxSize: number;
  /** Groups one coordinator holds (`group.max.groups`, kb's limit). */
  maxGroups: number;
}

export const groupConfigDefaults: GroupConfig = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  maxSize: groupMembersMaxDefault,
  maxGroups: groupsMaxDefault,
};
