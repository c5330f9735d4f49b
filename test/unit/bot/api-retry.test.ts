/**
 * The retry policy per failure and method: what is repeated, what never is, and that deadlines
 * and shutdown end retries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from 'grammy';
import { ApiRetryPolicy, IDEMPOTENT_METHODS, type RetryPolicyOptions } from '../../../src/bot/services/api-retry.ts';

type Answer = { ok: true; result: unknown } | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };

/** Runs `method` through the policy against a scripted sequence of answers (or thrown errors). */
async function callWith(method: string, script: (Answer | Error)[], options: RetryPolicyOptions = {}, policy = new ApiRetryPolicy({ baseDelayMs: 5, maxDelayMs: 20, ...options })) {
  let calls = 0;
  const prev = (() => {
    const step = script[Math.min(calls, script.length - 1)]!;
    calls++;
    return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
  }) as unknown as Parameters<ApiRetryPolicy['transformer']>[0];
  const outcome = await (policy.transformer(prev, method as 'sendMessage', {} as never) as Promise<Answer>).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  return { calls, outcome };
}

const ok: Answer = { ok: true, result: true };
const badGateway: Answer = { ok: false, error_code: 502, description: 'Bad Gateway' };
const tooMany: Answer = { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 0 } };
const badRequest: Answer = { ok: false, error_code: 400, description: 'Bad Request: chat not found' };
const networkError = (code: string) => new HttpError('Network request failed', Object.assign(new Error(code), { code }));

describe('API retry policy', () => {
  it('never repeats a sending method after a 5xx (Telegram may have delivered it)', async () => {
    for (const method of ['sendMessage', 'sendMediaGroup', 'sendPhoto']) {
      const { calls, outcome } = await callWith(method, [badGateway, ok]);
      assert.equal(calls, 1, method);
      assert.deepEqual(outcome, { result: badGateway });
    }
  });

  it('repeats idempotent methods after a 5xx', async () => {
    assert.ok(IDEMPOTENT_METHODS.has('getFile'));
    const { calls, outcome } = await callWith('getFile', [badGateway, badGateway, ok]);
    assert.equal(calls, 3);
    assert.deepEqual(outcome, { result: ok });
  });

  it('repeats any method after a 429 and after a connection that never carried the request', async () => {
    assert.equal((await callWith('sendMediaGroup', [tooMany, ok])).calls, 2);
    assert.equal((await callWith('sendMediaGroup', [networkError('ECONNREFUSED'), ok])).calls, 2);
  });

  it('does not repeat a send after a connection dropped mid-request, but does repeat a read', async () => {
    const send = await callWith('sendMessage', [networkError('ECONNRESET'), ok]);
    assert.equal(send.calls, 1);
    assert.ok('error' in send.outcome && send.outcome.error instanceof HttpError);
    assert.equal((await callWith('getFile', [networkError('ECONNRESET'), ok])).calls, 2);
  });

  it('never repeats other 4xx answers', async () => {
    assert.equal((await callWith('getFile', [badRequest, ok])).calls, 1);
  });

  it('stops after maxAttempts', async () => {
    assert.equal((await callWith('getFile', [badGateway], { maxAttempts: 3 })).calls, 3);
  });

  it('starts no retry that would end after the answer deadline', async () => {
    // Back-offs 40, 80, 160 ms: only the first fits in a 100 ms budget.
    const { calls } = await callWith('getFile', [badGateway], { answerBudgetMs: 100, baseDelayMs: 40, maxDelayMs: 1000, maxAttempts: 10 });
    assert.equal(calls, 2);
  });

  it('a final attempt (the apology) is made once', async () => {
    const policy = new ApiRetryPolicy({ baseDelayMs: 5 });
    const { calls } = await policy.finalAttempt(() => callWith('getFile', [badGateway, ok], {}, policy));
    assert.equal(calls, 1);
  });

  it('shutdown cancels a pending back-off at once and no retry starts afterwards', async () => {
    const policy = new ApiRetryPolicy({ baseDelayMs: 60_000, maxDelayMs: 60_000, answerBudgetMs: 300_000 });
    const started = performance.now();
    const pending = callWith('getFile', [badGateway, ok], {}, policy);
    setTimeout(() => policy.beginShutdown(), 50);
    const { calls, outcome } = await pending;
    assert.equal(calls, 1);
    assert.ok('error' in outcome);
    assert.ok(performance.now() - started < 30_000, 'did not wait out the 60 s back-off');
    assert.equal((await callWith('getFile', [badGateway, ok], {}, policy)).calls, 1);
  });
});
