/** Broker records across kb versions: one written before named listeners (host and port) reads as one endpoint named CLIENT. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { brokersOn, decodeMetadataRecord, encodeMetadataRecord, endpointOf, type BrokerRecord } from '../../src/metadata/records.ts';

const packr = new Packr({ useRecords: false, moreTypes: false });

test('a broker record without endpoints is read as one CLIENT endpoint at its host and port', () => {
  const legacy = packr.pack({ type: 'broker', nodeId: 2, host: '10.0.0.2', port: 9092, rack: null, epoch: 3, fenced: false });
  const record = decodeMetadataRecord(legacy) as BrokerRecord;
  assert.deepEqual(record, { type: 'broker', nodeId: 2, endpoints: [{ name: 'CLIENT', host: '10.0.0.2', port: 9092, securityProtocol: 'PLAINTEXT' }], rack: null, epoch: 3, fenced: false });
  assert.equal(endpointOf(record, 'PEER'), undefined);
  assert.deepEqual(brokersOn([record], 'PEER'), [], 'a broker without the listener is left out');
});

test('a broker record with endpoints round-trips', () => {
  const record: BrokerRecord = {
    type: 'broker',
    nodeId: 1,
    endpoints: [
      { name: 'CLIENT', host: 'kb1.example', port: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'PEER', host: '10.0.0.1', port: 9093, securityProtocol: 'PLAINTEXT' },
    ],
    rack: 'r1',
    epoch: 1,
    fenced: true,
  };
  assert.deepEqual(decodeMetadataRecord(encodeMetadataRecord(record)), record);
  assert.equal(endpointOf(record, 'PEER')?.port, 9093);
});
