/** The commit failure policy's decisions: one remedy per kind of failure, in order of precedence. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RECREATES, remedyFor } from '../../src/processor/commit-policy.js';
import { PartlyCommitted } from '../../src/store/ledger.js';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const first = { size: 4, quarantined: false, recreated: 0 };

test('each failure has its remedy', () => {
  assert.equal(remedyFor(new PartlyCommitted([]), first), 'reprepare');
  assert.equal(remedyFor(pgError('23503'), first), 'drop', 'foreign key: the file is no longer registered');
  assert.equal(remedyFor(pgError('23514'), first), 'partitions', 'no partition for a row: made again');
  assert.equal(remedyFor(pgError('42P01'), first), 'stop', 'a table is missing: init-db is the administrator\'s');
  assert.equal(remedyFor(pgError('3F000'), first), 'stop', 'the schema is missing');
  assert.equal(remedyFor(pgError('42501'), first), 'stop', 'a right is missing');
  assert.equal(remedyFor(pgError('42703'), { ...first, size: 1 }), 'stop', 'a column the processor writes is missing (another release\'s schema): not the rows\' fault');
  assert.equal(remedyFor(pgError('08P01'), first), 'stop', 'binary rows the columns do not take: restart, not retry');
  assert.equal(remedyFor(pgError('22P03'), { ...first, size: 1 }), 'stop', 'nor quarantine: the rows are not at fault');
  for (const code of ['08006', '57P01', '53300', '40001', '40P01']) assert.equal(remedyFor(pgError(code), first), 'retry', code);
  assert.equal(remedyFor(new Error('connect ECONNREFUSED 127.0.0.1:5432'), first), 'retry');
  assert.equal(remedyFor(new Error('Connection terminated unexpectedly'), first), 'retry');
  assert.equal(remedyFor(pgError('22P02'), first), 'bisect', 'a batch refused: find the chunk');
  assert.equal(remedyFor(pgError('22P02'), { ...first, size: 1 }), 'quarantine', 'one chunk refused: its lines to the quarantine');
  assert.equal(remedyFor(pgError('25006'), { ...first, size: 1, quarantined: true }), 'fail', 'even the quarantine refused');
});

test('making partitions again is tried a few times, then the error is treated as any other', () => {
  assert.equal(remedyFor(pgError('23514'), { ...first, recreated: MAX_RECREATES - 1 }), 'partitions');
  assert.equal(remedyFor(pgError('23514'), { ...first, recreated: MAX_RECREATES }), 'bisect');
  assert.equal(remedyFor(pgError('23514'), { size: 1, quarantined: false, recreated: MAX_RECREATES }), 'quarantine');
});
