/**
 * Kafka's fixed identifiers that several layers spell: the all-zero UUID
 * (Uuid.ZERO_UUID: "no topic id", "no directory id" on the wire) and the
 * metadata topic's name and id (Topic.CLUSTER_METADATA_TOPIC_NAME,
 * Uuid.METADATA_TOPIC_ID). The Buffers are shared: never write into them.
 */
export const zeroUuid: Buffer = Buffer.alloc(16);

export const metadataTopicName = '__cluster_metadata';
export const metadataTopicId: Buffer = Buffer.from('00000000000000000000000000000001', 'hex');
