/**
 * SASLprep (RFC 4013, the stringprep profile of RFC 3454) for SCRAM and
 * PLAIN user names and passwords, by @mongodb-js/saslprep (the MongoDB
 * drivers' implementation, with the RFC's tables as data): non-ASCII
 * spaces map to U+0020, the "commonly mapped to nothing" characters are
 * dropped, the result is NFKC normalized, and prohibited output and strings
 * breaking the bidi rule are refused. This module only turns the library's
 * errors into SaslprepError and names the stored/query distinction.
 */
import prepare from '@mongodb-js/saslprep';

/** Why a string cannot be prepared. */
export class SaslprepError extends Error {
  override name = 'SaslprepError';
}

/**
 * The prepared form of `text`. `stored`: the string is being stored (a new
 * password), so unassigned code points are refused too, as RFC 4013 asks;
 * a string being checked against a stored one (a login) may hold them.
 */
export function saslprep(text: string, options: { stored: boolean }): string {
  try {
    return prepare(text, { allowUnassigned: !options.stored });
  } catch (err) {
    throw new SaslprepError((err as Error).message);
  }
}
