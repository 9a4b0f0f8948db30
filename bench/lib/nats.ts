/**
 * NATS JetStream ingest: a fresh nats-server (Debian package) with
 * JetStream file storage in a temporary dir, on a free loopback port,
 * pinned to the server core; the native Go publisher of
 * nats-publish-go/main.go (asynchronous JetStream publish) on the client
 * core. `buildNatsPublisher` compiles that publisher into `dir` with the
 * Debian Go toolchain offline (GO111MODULE=off against
 * golang-github-nats-io-go-nats-dev in /usr/share/gocode); it throws when
 * go or the package is missing. Returns the publisher's records and
 * seconds (first publish to last ack) and the CPU time of the server and of
 * the publisher over the run.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { clientCore, freePort, onCore, pin, processCpuSeconds, serverCore, startServer, timedRun, type PeerRun } from './processes.ts';

const gopath = '/usr/share/gocode';
const source = path.join(import.meta.dirname, 'nats-publish-go/main.go');

/** Builds the Go publisher into `dir` and returns its path. */
export async function buildNatsPublisher(dir: string, timeLimitMs: number): Promise<string> {
  if (!existsSync(path.join(gopath, 'src/github.com/nats-io/nats.go'))) throw new Error('golang-github-nats-io-go-nats-dev missing');
  const binary = path.join(dir, 'nats-publish');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOCACHE: path.join(dir, 'go-cache'), GOFLAGS: '' };
  await timedRun(['go', 'build', '-o', binary, source], { timeLimitMs, env, settle: false });
  return binary;
}

export async function natsJetStream(dir: string, publisher: string, records: number, recordSize: number, timeLimitMs: number): Promise<PeerRun> {
  const storeDir = await mkdtemp(path.join(dir, 'nats-'));
  const port = await freePort();
  const server = await startServer(['nats-server', '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], port);
  try {
    pin(server.process.pid!, serverCore);
    const serverCpuBefore = processCpuSeconds(server.process.pid!);
    const run = await timedRun(onCore(clientCore, [publisher, String(port), String(records), String(recordSize), String(timeLimitMs)]), { timeLimitMs: timeLimitMs + 30_000 });
    const published = JSON.parse(run.stdout) as { records: number; seconds: number };
    return { records: published.records, seconds: published.seconds, wallSeconds: run.seconds, serverCpuSeconds: processCpuSeconds(server.process.pid!) - serverCpuBefore, generatorCpuSeconds: run.cpuSeconds };
  } finally {
    await server.stop();
    await rm(storeDir, { recursive: true, force: true });
  }
}
