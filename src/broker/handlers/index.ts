/**
 * The handler registry: every API key this broker serves, one file each.
 * ApiVersions advertises exactly this list. Add a handler file and list it
 * here.
 */
import type { Handler } from './handler.ts';
import produce from './00-produce.ts';
import fetch from './01-fetch.ts';
import listOffsets from './02-list-offsets.ts';
import metadata from './03-metadata.ts';
import apiVersions from './18-api-versions.ts';
import createTopics from './19-create-topics.ts';
import deleteTopics from './20-delete-topics.ts';
import deleteRecords from './21-delete-records.ts';
import initProducerId from './22-init-producer-id.ts';
import describeConfigs from './32-describe-configs.ts';
import alterConfigs from './33-alter-configs.ts';
import describeLogDirs from './35-describe-log-dirs.ts';
import createPartitions from './37-create-partitions.ts';
import incrementalAlterConfigs from './44-incremental-alter-configs.ts';
import describeCluster from './60-describe-cluster.ts';

const all: Handler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  describeConfigs,
  alterConfigs,
  describeLogDirs,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
];

export const handlers: ReadonlyMap<number, Handler> = new Map(all.map((h) => [h.apiKey, h]));
