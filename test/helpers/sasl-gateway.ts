/**
 * A SASL front for a real broker, for client tests until kb's listeners
 * speak SASL themselves: each connection's ApiVersions goes to the broker
 * and comes back with SaslHandshake v0-1 and SaslAuthenticate v0-2 added;
 * SaslHandshake and SaslAuthenticate are answered by kb's own server
 * mechanisms (src/broker/auth) over the users given; once a login
 * succeeds, the connection is piped to the broker as is. A failed login
 * is answered SASL_AUTHENTICATION_FAILED with the mechanism's reason and
 * closed, as Kafka does; any other request before a login closes it.
 * With `tls` options it speaks TLS to clients (SASL_SSL). `close()` stops
 * it; register it with `after`.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { createMechanism, type ScramCredential, type ServerMechanism } from '../../src/broker/auth/mechanism.ts';
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeResponse } from '../../src/protocol/frames.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { ApiKeys } from '../../src/protocol/generated/api-keys.ts';
import type { ApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.ts';
import type { SaslAuthenticateRequest } from '../../src/protocol/generated/sasl-authenticate-request.ts';
import type { SaslHandshakeRequest } from '../../src/protocol/generated/sasl-handshake-request.ts';
import { saltedPassword, scramKeys, scramMechanisms, type ScramMechanism } from '../../src/protocol/scram.ts';

export interface SaslGateway {
  /** host:port to connect to. */
  address: string;
  port: number;
  close(): void;
}

/** Every SCRAM credential of `users` (name -> password), 4096 iterations. */
async function credentialsOf(users: Record<string, string>): Promise<Map<string, ScramCredential>> {
  const credentials = new Map<string, ScramCredential>();
  for (const [name, password] of Object.entries(users)) {
    for (const mechanism of scramMechanisms) {
      const salt = randomBytes(32);
      const salted = await saltedPassword(mechanism, password, salt, 4096, { stored: true });
      credentials.set(`${mechanism.name}:${name}`, { salt, iterations: 4096, ...scramKeys(mechanism, salted) });
    }
  }
  return credentials;
}

/** Listens on a free loopback port in front of the broker at `brokerPort()` (read per connection), offering `enabled` mechanisms. */
export async function startSaslGateway(brokerPort: () => number, users: Record<string, string>, enabled: string[], options: { tls?: tls.TlsOptions } = {}): Promise<SaslGateway> {
  const credentials = await credentialsOf(users);
  const lookup = (user: string, mechanism: ScramMechanism) => credentials.get(`${mechanism.name}:${user}`);
  const unknownUserKey = randomBytes(32);
  const serve = (client: net.Socket) => {
    const upstream = net.connect(brokerPort(), '127.0.0.1');
    let buffered = Buffer.alloc(0);
    let mechanism: ServerMechanism | null = null;
    let answered: Promise<void> = Promise.resolve();
    const upstreamFrames: ((frame: Buffer) => void)[] = [];
    let upstreamBuffered = Buffer.alloc(0);
    const onUpstream = (chunk: Buffer) => {
      upstreamBuffered = Buffer.concat([upstreamBuffered, chunk]);
      while (upstreamBuffered.length >= 4 && upstreamBuffered.length >= 4 + upstreamBuffered.readInt32BE(0)) {
        const size = upstreamBuffered.readInt32BE(0);
        upstreamFrames.shift()?.(upstreamBuffered.subarray(4, 4 + size));
        upstreamBuffered = upstreamBuffered.subarray(4 + size);
      }
    };
    const onClient = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(0, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(frame.length);
        answered = answered.then(() => handle(frame)).catch(() => {
          client.destroy();
        });
      }
    };
    const pipeThrough = () => {
      client.off('data', onClient);
      upstream.off('data', onUpstream);
      if (buffered.length > 0) upstream.write(buffered);
      client.pipe(upstream).pipe(client);
    };
    const handle = async (frame: Buffer): Promise<void> => {
      const payload = frame.subarray(4);
      const header = decodeRequestHeader(payload);
      const answer = (apiKey: number, body: unknown) => client.write(encodeResponse(apiKey, header.apiVersion, header.correlationId, body));
      if (header.apiKey === ApiKeys.ApiVersions) {
        const response = new Promise<Buffer>((resolve) => upstreamFrames.push(resolve));
        upstream.write(frame);
        const body = decodeResponse(ApiKeys.ApiVersions, header.apiVersion, await response).body as ApiVersionsResponse;
        const offered = body.apiKeys.filter((k) => k.apiKey !== ApiKeys.SaslHandshake && k.apiKey !== ApiKeys.SaslAuthenticate);
        offered.push({ apiKey: ApiKeys.SaslHandshake, minVersion: 0, maxVersion: 1 }, { apiKey: ApiKeys.SaslAuthenticate, minVersion: 0, maxVersion: 2 });
        answer(ApiKeys.ApiVersions, { ...body, apiKeys: offered });
      } else if (header.apiKey === ApiKeys.SaslHandshake) {
        const { mechanism: name } = decodeRequestBody(header.apiKey, header.apiVersion, payload, header.bodyOffset) as SaslHandshakeRequest;
        mechanism = enabled.includes(name) ? createMechanism(name, lookup, { unknownUserKey }) : null;
        answer(ApiKeys.SaslHandshake, { errorCode: mechanism ? 0 : ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled });
      } else if (header.apiKey === ApiKeys.SaslAuthenticate && mechanism) {
        const { authBytes } = decodeRequestBody(header.apiKey, header.apiVersion, payload, header.bodyOffset) as SaslAuthenticateRequest;
        const step = await mechanism.step(authBytes);
        if (step.kind === 'failure') {
          answer(ApiKeys.SaslAuthenticate, { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: step.reason, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n });
          client.end();
          return;
        }
        answer(ApiKeys.SaslAuthenticate, { errorCode: 0, errorMessage: null, authBytes: step.bytes, sessionLifetimeMs: 0n });
        if (step.kind === 'success') pipeThrough();
      } else {
        client.destroy();
      }
    };
    client.on('data', onClient);
    upstream.on('data', onUpstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
  const server = options.tls ? tls.createServer(options.tls, serve) : net.createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { address: `127.0.0.1:${port}`, port, close: () => server.close() };
}
