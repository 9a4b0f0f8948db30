/**
 * The kafka-go 0.2.1 test program (test/interop/kafka-go/main.go), built
 * from Debian's sources in /usr/share/gocode in GOPATH mode: offline, no
 * module download. `buildKafkaGoClient(dir)` builds it once into `dir` (a
 * temporary directory the test removes; Go's build cache goes there too)
 * and returns the binary's path; `runKafkaGoClient` runs it with one JSON
 * argument and returns the JSON line it prints, failing on a non-zero exit,
 * a timeout or other output.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from './tools.ts';
import { describeRun, run } from './process.ts';

export const gopath = '/usr/share/gocode';

export async function buildKafkaGoClient(dir: string): Promise<string> {
  const binary = path.join(dir, 'kafka-go-client');
  const result = await run('go', ['build', '-o', binary, path.join(repoRoot, 'test/interop/kafka-go/main.go')], {
    timeoutMs: 300_000,
    env: { GO111MODULE: 'off', GOPATH: gopath, GOFLAGS: '', GOPROXY: 'off', GOCACHE: path.join(dir, 'go-cache'), CGO_ENABLED: '0' },
  });
  assert.equal(result.code, 0, `building the kafka-go test program failed:\n${describeRun(result)}`);
  return binary;
}

export async function runKafkaGoClient<T>(binary: string, input: unknown, timeoutMs = 90_000): Promise<T> {
  const result = await run(binary, [JSON.stringify(input)], { timeoutMs });
  assert.equal(result.code, 0, `the kafka-go test program failed:\n${describeRun(result)}`);
  const lines = result.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch {
    assert.fail(`the kafka-go test program did not end its output with a JSON line:\n${describeRun(result)}`);
  }
}
