/**
 * `kb cluster down`: stops the local cluster recorded in --data-dir (by
 * `kb cluster up`): SIGTERM to the process running each node (the recorded
 * pid, or one started by hand on the node's data dir: see supervisor.ts),
 * SIGKILL to those not gone after --timeout (said on stderr), then removes
 * cluster.json. The nodes' data stays unless --purge, which also removes
 * the node-<id>/ directories, the cluster secret they shared and what
 * `up --secure` made (secure/: the CA, certificates, the first user's
 * password), and the directory itself when that leaves it empty.
 * Exit 1 when nothing is recorded there (--purge still purges) or a node
 * survived SIGKILL (the record is kept so `down` can be retried).
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { KbLocalCommand, UserError } from '../../cli/kb-command.ts';
import { clusterSecretName, defaultClusterDir, readClusterRecord, removeClusterRecord } from '../../cli/local-cluster/record.ts';
import { secureDirName } from '../../cli/local-cluster/secure.ts';
import { stopNodes, type StoppedNode } from '../../cli/local-cluster/supervisor.ts';
import { int32Max } from '../../protocol/wire-limits.ts';

interface DownResult {
  dataDir: string;
  nodes: StoppedNode[];
  purged: boolean;
}

export default class ClusterDown extends KbLocalCommand {
  static override description = 'Stop the local cluster started by `kb cluster up` (data stays unless --purge)';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> cluster down', '<%= config.bin %> cluster down --data-dir /tmp/kb3 --purge'];

  static override flags = {
    'data-dir': Flags.string({ description: 'the directory given to `kb cluster up`', default: defaultClusterDir }),
    timeout: Flags.integer({ description: 'milliseconds to wait after SIGTERM before SIGKILL', default: 30_000, min: 1, max: int32Max }),
    purge: Flags.boolean({ description: 'also delete the nodes\' data and logs', default: false }),
  };

  async run(): Promise<DownResult> {
    const { flags } = await this.parse(ClusterDown);
    const dir = flags['data-dir'];
    const record = await readClusterRecord(dir); // an unreadable record: exit 1 naming the file
    if (!record && !flags.purge) throw new UserError(`no cluster is recorded in ${dir} (no cluster.json): nothing to stop`);

    const nodes = await stopNodes(record?.nodes ?? [], flags.timeout);
    for (const n of nodes) {
      if (n.outcome === 'killed') this.warn(`node ${n.nodeId} (pid ${n.pid}) did not stop within ${flags.timeout} ms of SIGTERM: killed with SIGKILL`);
      this.log(`node ${n.nodeId} (pid ${n.pid}): ${n.outcome}`);
    }
    const survivors = nodes.filter((n) => n.outcome === 'still running');
    if (survivors.length > 0) {
      throw new UserError(`${survivors.map((n) => `node ${n.nodeId} (pid ${n.pid})`).join(', ')} still running after SIGKILL; cluster.json kept`);
    }
    await removeClusterRecord(dir);
    if (flags.purge) {
      await purge(dir);
      this.log(`removed the nodes' data in ${path.resolve(dir)}`);
    }
    return { dataDir: path.resolve(dir), nodes, purged: flags.purge };
  }
}

/** Removes the node-<id> directories, the cluster secret and secure/ of `dir`, and `dir` when nothing else is left in it. */
async function purge(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const ours = entries.filter((e) => /^node-\d+$/.test(e) || e === clusterSecretName || e === secureDirName);
  await Promise.all(ours.map((e) => rm(path.join(dir, e), { recursive: true, force: true })));
  await rmdir(dir).catch(() => undefined); // not empty (or gone): leave it
}
