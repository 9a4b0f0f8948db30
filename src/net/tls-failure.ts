/**
 * What went wrong in a client's TLS connection, in words an operator can
 * act on: Node's error (its code and message) followed by the likely cause
 * and the client setting (librdkafka's names, as `kb -X` takes them) that
 * fixes it; null for errors that are not about TLS (a refused connect).
 */

const untrustedCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** `err` (from a TLS socket to `address`) with what it most likely means, or null when it is no TLS failure. */
export function explainTlsFailure(error: NodeJS.ErrnoException, address: string): string | null {
  const err = { code: error.code, message: reason(error.message) };
  const code = err.code ?? '';
  if (untrustedCodes.has(code)) {
    return `the certificate of broker ${address} is not trusted (${err.message}): set ssl.ca.location to the CA certificate that signed it`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `the certificate of broker ${address} is not valid now (${err.message})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the certificate of broker ${address} is not issued for that name (${err.message}): connect by a name or address the certificate lists, or turn the check off with ssl.endpoint.identification.algorithm=none`;
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /disconnected before secure TLS connection/.test(err.message)) {
    return `broker ${address} closed the connection during the TLS handshake: if it is a plaintext listener, connect with security.protocol=PLAINTEXT (or SASL_PLAINTEXT)`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return `broker ${address} does not speak TLS (${err.message}): if it is a plaintext listener, connect with security.protocol=PLAINTEXT (or SASL_PLAINTEXT)`;
  }
  if (/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/.test(code)) {
    return `broker ${address} requires a client certificate (${err.message}): set ssl.certificate.location and ssl.key.location`;
  }
  if (/BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|DECRYPT_ERROR/.test(code)) {
    return `broker ${address} does not accept the client certificate (${err.message}): it must be signed by a CA the broker trusts (its ssl.truststore.location)`;
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return `TLS with broker ${address} failed: ${err.message}`;
  return null;
}

/** OpenSSL's reason alone ("tlsv13 alert certificate required"), without its error queue's codes and source paths. */
function reason(message: string): string {
  return /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message.split('\n', 1)[0];
}
