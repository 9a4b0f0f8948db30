/**
 * A broker's Prometheus endpoint in tests: its URL, read from the line the
 * broker logs at start ("metrics on http://HOST:PORT/metrics"), and one
 * scrape parsed into samples to look up by metric name and labels.
 */
import assert from 'node:assert/strict';

export type Labels = Record<string, string | number>;

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class Scrape {
  readonly samples: Sample[];

  constructor(samples: Sample[]) {
    this.samples = samples;
  }

  /** Samples of `name` whose labels include `labels`. */
  matching(name: string, labels: Labels = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === String(v)));
  }

  /** The one sample of `name` with `labels`; fails when there is none. */
  value(name: string, labels: Labels = {}): number {
    const found = this.matching(name, labels);
    assert.equal(found.length, 1, `one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
    return found[0].value;
  }
}

/** The metrics URL a broker logged (its stderr so far). */
export function metricsUrl(log: string): string {
  const match = /metrics on (http:\/\/\S+)/.exec(log);
  assert.ok(match, `the broker logged no metrics address:\n${log}`);
  return match[1];
}

const sampleLine = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/;
const labelPair = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** GETs `url` and parses the text exposition format; fails unless it answers 200. */
export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = sampleLine.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(labelPair)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return new Scrape(samples);
}
