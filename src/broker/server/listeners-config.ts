/**
 * The node's listeners, decided in one place: Kafka's settings
 * (`listeners`, `advertised.listeners`, `listener.security.protocol.map`,
 * `inter.broker.listener.name`, `controller.listener.names`) or kb's
 * shorthands, checked, each with its kind.
 *
 * Shorthands (when `listeners` is not set): `--listen HOST:PORT` is
 * `CLIENT://HOST:PORT` (default 127.0.0.1:9092); a voter's own `--voters`
 * entry is its `PEER://` listener; a broker-only node (not in `--voters`)
 * gets its `PEER://` listener from `--peer-listen`; `--advertised-listener`
 * is what CLIENT advertises. A listener is a peer listener when its name is
 * `inter.broker.listener.name` or one of `controller.listener.names`,
 * a client listener otherwise.
 *
 * A node alone (no other voter) needs no peer listener. A node with other
 * voters, or a broker-only node, must have one. Every problem is a
 * ConfigError that says what to change (a ListenerUsageError, exit 2, for
 * a shorthand given with the setting it stands for): duplicate names or addresses, a
 * name missing from the security protocol map, a protocol other than
 * PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, inter-broker or controller
 * names that name no listener, a client listener on this voter's peer
 * address.
 */
import { ConfigError, type BrokerConfig } from '../config.ts';
import { formatHostPort, parseHostPort, type HostPort, type Voter } from '../../net/host-port.ts';

export interface ListenerSpec {
  name: string;
  /** Where to bind (port 0: a free port). */
  host: string;
  port: number;
  /** What other nodes and clients are told (port 0: the bound port). */
  advertised: HostPort;
  securityProtocol: string;
  /** Serves the peer APIs (Raft, registration, replication): inter-broker or controller listener. */
  peer: boolean;
}

export interface ListenerShorthands {
  nodeId: number;
  /** `--listen`: the client listener. */
  listen?: HostPort;
  /** `--peer-listen`: a broker-only node's peer listener. */
  peerListen?: HostPort;
  /** `--advertised-listener`: what the client listener advertises. */
  advertised?: HostPort;
  /** `--voters`; none: this node alone. */
  voters?: Voter[];
}

/** A listener shorthand given together with the setting it stands for (a usage error: exit 2). */
export class ListenerUsageError extends ConfigError {
  override name = 'ListenerUsageError';
}

const clientListenerName = 'CLIENT';
const peerListenerName = 'PEER';
const defaultListen: HostPort = { host: '127.0.0.1', port: 9092 };
/** Kafka's security protocols by their wire id (BrokerRegistration's listeners). */
const protocolIds = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const knownProtocols = new Set(protocolIds);

export function securityProtocolId(name: string): number {
  return protocolIds.indexOf(name);
}

/** The protocol named by a wire id; null for an id Kafka does not define. */
export function securityProtocolName(id: number): string | null {
  return protocolIds[id] ?? null;
}

/** `NAME://host:port,...` as a map from name to address, in order; `key` names the setting in errors. */
function parseListenerList(key: string, text: string): Map<string, HostPort> {
  const out = new Map<string, HostPort>();
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const match = /^([A-Za-z0-9_-]+):\/\/(.*)$/.exec(item);
    if (!match) throw new ConfigError(`${key}: "${item}" is not NAME://HOST:PORT (for example CLIENT://0.0.0.0:9092)`);
    const name = match[1].toUpperCase();
    if (out.has(name)) throw new ConfigError(`${key}: the listener name ${name} appears twice`);
    let address;
    try {
      address = parseHostPort(match[2] === '' || match[2].startsWith(':') ? `0.0.0.0${match[2]}` : match[2]);
    } catch (err) {
      throw new ConfigError(`${key}: ${(err as Error).message}`);
    }
    out.set(name, address);
  }
  return out;
}

function parseProtocolMap(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const match = /^([A-Za-z0-9_-]+):([A-Za-z_]+)$/.exec(item);
    if (!match) throw new ConfigError(`listener.security.protocol.map: "${item}" is not NAME:PROTOCOL`);
    const protocol = match[2].toUpperCase();
    if (!knownProtocols.has(protocol)) throw new ConfigError(`listener.security.protocol.map: ${protocol} is not one of ${[...knownProtocols].join(', ')}`);
    out.set(match[1].toUpperCase(), protocol);
  }
  return out;
}

const names = (text: string) => text.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
const wildcard = (host: string) => host === '0.0.0.0' || host === '::';

/** The listeners this node opens, in order (client listeners first). Throws ConfigError. */
export function resolveListeners(config: BrokerConfig, shorthands: ListenerShorthands): ListenerSpec[] {
  const { nodeId, voters = [] } = shorthands;
  const ownVoter = voters.find((v) => v.nodeId === nodeId);
  const needsPeer = voters.some((v) => v.nodeId !== nodeId);
  const explicit = config.isSet('listeners');
  if (explicit && (shorthands.listen || shorthands.peerListen)) throw new ListenerUsageError('--listen and --peer-listen are shorthands for the listeners setting: give one or the other');
  if (config.isSet('advertised.listeners') && shorthands.advertised) throw new ListenerUsageError('--advertised-listener is a shorthand for advertised.listeners: give one or the other');

  let addresses: Map<string, HostPort>;
  if (explicit) {
    addresses = parseListenerList('listeners', config.get('listeners') ?? '');
  } else {
    addresses = new Map([[clientListenerName, shorthands.listen ?? defaultListen]]);
    if (ownVoter && shorthands.peerListen) {
      throw new ListenerUsageError(`--peer-listen is for broker-only nodes: node ${nodeId} is a voter, and its peer listener is its --voters entry (${formatHostPort(ownVoter)})`);
    }
    const peer = ownVoter ? { host: ownVoter.host, port: ownVoter.port } : shorthands.peerListen;
    if (peer) addresses.set(peerListenerName, peer);
  }
  if (addresses.size === 0) throw new ConfigError('listeners: no listener given (for example CLIENT://0.0.0.0:9092,PEER://10.0.0.1:9093)');

  const advertised = config.isSet('advertised.listeners')
    ? parseListenerList('advertised.listeners', config.get('advertised.listeners') ?? '')
    : new Map(shorthands.advertised ? [[clientListenerName, shorthands.advertised]] : []);
  for (const name of advertised.keys()) if (!addresses.has(name)) throw new ConfigError(`advertised.listeners names ${name}, which is not a listener (listeners: ${[...addresses.keys()].join(', ')})`);

  const protocols = parseProtocolMap(config.get('listener.security.protocol.map') ?? '');
  const interBroker = interBrokerListenerName(config);
  const controllers = controllerListenerNames(config);
  const peerNames = new Set([interBroker, ...controllers]);

  const specs: ListenerSpec[] = [...addresses].map(([name, address]) => {
    const protocol = protocols.get(name);
    if (!protocol) throw new ConfigError(`listener ${name} is not in listener.security.protocol.map: add ${name}:PLAINTEXT to it`);
    return { name, host: address.host, port: address.port, advertised: advertised.get(name) ?? address, securityProtocol: protocol, peer: peerNames.has(name) };
  });

  const checkNamed = (key: string, name: string) => {
    if (!addresses.has(name)) throw new ConfigError(`${key}=${name} names no listener (listeners: ${[...addresses.keys()].join(', ')})`);
  };
  if (needsPeer && !specs.some((s) => s.peer)) {
    throw new ConfigError(
      ownVoter
        ? `node ${nodeId} has other voters, so it needs a peer listener (named in inter.broker.listener.name and controller.listener.names) at its --voters entry ${formatHostPort(ownVoter)}: add ${peerListenerName}://${formatHostPort(ownVoter)} to listeners`
        : `node ${nodeId} is not in --voters, so it needs a peer listener to reach the other nodes: add --peer-listen HOST:PORT (or a ${peerListenerName}:// entry in listeners)`,
    );
  }
  if (needsPeer || config.isSet('inter.broker.listener.name')) checkNamed('inter.broker.listener.name', interBroker);
  if (needsPeer || config.isSet('controller.listener.names')) for (const name of controllers) checkNamed('controller.listener.names', name);
  if (ownVoter) {
    for (const spec of specs) {
      const sameAddress = spec.port === ownVoter.port && (spec.host === ownVoter.host || wildcard(spec.host));
      if (!spec.peer && sameAddress) {
        throw new ConfigError(`client listener ${spec.name} is at ${formatHostPort(ownVoter)}, this node's --voters entry, which is its peer listener: give clients another port`);
      }
    }
  }
  const seen = new Map<string, string>();
  for (const spec of specs) {
    const at = formatHostPort(spec);
    if (spec.port !== 0 && seen.has(at)) throw new ConfigError(`listeners ${seen.get(at)} and ${spec.name} are both at ${at}: give each its own port`);
    seen.set(at, spec.name);
  }
  return [...specs.filter((s) => !s.peer), ...specs.filter((s) => s.peer)];
}

/** The listener `inter.broker.listener.name` names: peers reach this node there. */
export function interBrokerListenerName(config: BrokerConfig): string {
  return (config.get('inter.broker.listener.name') ?? '').trim().toUpperCase();
}

/** The listeners `controller.listener.names` names: the quorum speaks there. */
export function controllerListenerNames(config: BrokerConfig): string[] {
  return names(config.get('controller.listener.names') ?? '');
}
