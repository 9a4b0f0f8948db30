/**
 * An unknown command through the real CLI: a usage error (exit 2) in kb's
 * one error style, naming the closest command or command group when the
 * words look like a typo of one, and --help in every case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKb } from '../helpers/cli.ts';

test('an unknown command exits 2 with "Error: unknown command", suggesting the closest command when there is one', async () => {
  const cases: [string[], string][] = [
    [['topc', 'list'], 'Error: unknown command "kb topc list": did you mean "kb topic list"? (kb --help lists the commands)\n'],
    [['topic', 'lst'], 'Error: unknown command "kb topic lst": did you mean "kb topic list"? (kb --help lists the commands)\n'],
    [['group', 'lagg'], 'Error: unknown command "kb group lagg": did you mean "kb group lag"? (kb --help lists the commands)\n'],
    [['topc'], 'Error: unknown command "kb topc": did you mean "kb topic"? (kb --help lists the commands)\n'],
    [['xyzzy'], 'Error: unknown command "kb xyzzy" (kb --help lists the commands)\n'],
  ];
  const results = await Promise.all(cases.map(([args]) => runKb(args)));
  results.forEach((r, i) => {
    assert.deepEqual([r.code, r.stderr, r.stdout], [2, cases[i][1], ''], `kb ${cases[i][0].join(' ')}`);
  });
});
