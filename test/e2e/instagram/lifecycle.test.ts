/**
 * Starting and stopping the Instagram channel, and keeping its token alive: shutdown waits for
 * answers in flight (bounded), refuses new deliveries with 503, and the daily token refresh stores
 * the new token for the next start.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { GraphClient } from '../../../src/instagram/graph-client.ts';
import { REFRESH_EVERY_MS, TOKEN_FILE, TokenKeeper } from '../../../src/instagram/token.ts';
import { delivery, startInstagramHarness } from '../../helpers/fake-graph/harness.ts';
import { FakeGraph } from '../../helpers/fake-graph/server.ts';

const silent = pino({ level: 'silent' });

describe('Instagram channel shutdown', () => {
  it('finishes an answer in flight, then refuses deliveries with 503', async () => {
    const harness = await startInstagramHarness();
    try {
      harness.graph.failNext({ status: 429, headers: { 'retry-after': '1' }, recipientId: '700' });
      assert.equal((await harness.deliver(delivery({ sender: '700', text: 'red dress' }))).status, 200);
      const channel = harness.instagram;
      await channel.stop();
      assert.ok(harness.graph.sendsTo('700').length > 0, 'the answer waiting for Retry-After was sent before stop() resolved');
      const refused = await harness.deliver(delivery({ sender: '701', text: 'red dress' }));
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '60');
    } finally {
      await harness.close();
    }
  });

  it('abandons answers that outlast the stop timeout instead of hanging', async () => {
    const harness = await startInstagramHarness({ channel: { stopTimeoutMs: 100 } });
    try {
      harness.graph.failNext({ status: 503, headers: { 'retry-after': '2' }, recipientId: '702' });
      await harness.deliver(delivery({ sender: '702', text: 'red dress' }));
      const started = performance.now();
      await harness.instagram.stop();
      assert.ok(performance.now() - started < 1_500, 'stop() did not wait out the 2 s retry hint');
      await new Promise((resolve) => setTimeout(resolve, 2_300));
      assert.equal(harness.graph.sendsTo('702').length, 0, 'nothing is sent after the channel stopped');
    } finally {
      await harness.close();
    }
  });
});

describe('Instagram token refresh', () => {
  let graph: FakeGraph;
  let dataDir: string;

  before(async () => {
    graph = new FakeGraph();
    await graph.start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-ig-token-'));
  });
  after(async () => {
    await graph?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refreshes a day-old token, sends with the new one, and keeps it for the next start', async () => {
    const configured = graph.token;
    let now = Date.parse('2026-11-01T10:00:00Z');
    const holder: { client?: GraphClient } = {};
    const errors: unknown[] = [];
    const keeper = await TokenKeeper.load({ configured, dataDir, refresh: (signal) => holder.client!.refreshToken(signal), logger: silent, now: () => now, onError: (error) => errors.push(error) });
    const client = (holder.client = new GraphClient({ apiRoot: graph.root, apiVersion: graph.version, accountId: 'me', token: () => keeper.current(), backoffMs: 10 }));
    assert.equal((await stat(path.join(dataDir, TOKEN_FILE))).mode & 0o777, 0o600);

    assert.equal(await keeper.refreshIfDue(), false, 'a token seen for the first time is not due yet');
    now += REFRESH_EVERY_MS + 1;
    assert.equal(await keeper.refreshIfDue(), true);
    assert.equal(graph.refreshes, 1);
    assert.notEqual(keeper.current(), configured);
    assert.equal(keeper.expiresAt(), now + 5_184_000 * 1000);

    await client.sendMessage('800', { text: 'hello' });
    assert.equal(graph.sendsTo('800')[0]!.token, keeper.current());

    const restarted = await TokenKeeper.load({ configured, dataDir, refresh: () => Promise.reject(new Error('unused')), logger: silent, now: () => now });
    assert.equal(restarted.current(), keeper.current());
    assert.equal(await restarted.refreshIfDue(), false);
    assert.deepEqual(errors, []);
    assert.doesNotMatch(await readFile(path.join(dataDir, TOKEN_FILE), 'utf8'), new RegExp(configured));
  });

  it('prefers a token the owner pasted into the settings over the stored one', async () => {
    const pasted = 'IGAA-new-token-from-the-owner-000000';
    const keeper = await TokenKeeper.load({ configured: pasted, dataDir, refresh: () => Promise.reject(new Error('unused')), logger: silent });
    assert.equal(keeper.current(), pasted);
  });

  it('reports a refused refresh and keeps the old token', async () => {
    const invalid = 'IGAA-revoked-token-0000000000000000';
    let now = Date.now();
    const errors: unknown[] = [];
    const holder: { client?: GraphClient } = {};
    const keeper = await TokenKeeper.load({
      configured: invalid, dataDir, refresh: (signal) => holder.client!.refreshToken(signal), logger: silent, now: () => now, onError: (error) => errors.push(error),
    });
    holder.client = new GraphClient({ apiRoot: graph.root, apiVersion: graph.version, accountId: 'me', token: () => keeper.current(), backoffMs: 10 });
    now += REFRESH_EVERY_MS + 1;
    assert.equal(await keeper.refreshIfDue(), false);
    assert.equal(keeper.current(), invalid);
    assert.equal(errors.length, 1);
    assert.match(String((errors[0] as Error).message), /rejected the access token.*INSTAGRAM_ACCESS_TOKEN/);
  });
});
