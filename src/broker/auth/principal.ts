/**
 * Principals as Kafka writes them, `User:<name>`: who a connection
 * authenticated as (a SASL login, or a TLS client certificate), in the
 * request context for the authorizer. A connection that has not
 * authenticated is `User:ANONYMOUS`; a kb node is `User:kb-node-<id>`.
 */
export const anonymousPrincipal = 'User:ANONYMOUS';

export function userPrincipal(name: string): string {
  return `User:${name}`;
}

/** The principal of a kb node (its own requests, and a peer's on a peer listener; null: a peer not authenticated, with peer.authentication=none). */
export function nodePrincipal(nodeId: number | null): string {
  return `User:kb-node${nodeId === null ? '' : `-${nodeId}`}`;
}
