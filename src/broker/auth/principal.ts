/**
 * Principals as Kafka writes them, `User:<name>`: who a connection
 * authenticated as (a TLS client certificate today, SASL next), in the
 * request context for the authorizer. A connection that has not
 * authenticated is `User:ANONYMOUS`.
 */
export const anonymousPrincipal = 'User:ANONYMOUS';

export function userPrincipal(name: string): string {
  return `User:${name}`;
}
