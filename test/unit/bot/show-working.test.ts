/**
 * "sending photo…" is shown only for answers that take a noticeable time: Telegram recommends chat
 * actions for those, and each is one more Bot API call.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { answerShowingWork, SHOW_WORKING_AFTER_MS } from '../../../src/bot/features/pictures.ts';

function fakeChat(options: { failing?: boolean } = {}) {
  const actions: string[] = [];
  const debug: string[] = [];
  return {
    actions,
    debug,
    ctx: {
      replyWithChatAction: (action: string) => {
        actions.push(action);
        return options.failing ? Promise.reject(new Error('Telegram is down')) : Promise.resolve(true as const);
      },
    },
    services: { logger: { debug: (_details: object, message: string) => debug.push(message) } },
  };
}

/** A promise with its resolve function, to hold an answer open. */
function held(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

describe('showing "sending photo…"', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('is not shown for an answer that goes out in time', async () => {
    const chat = fakeChat();
    const answer = held();
    const running = answerShowingWork(chat.ctx, chat.services as never, async (onAccepted) => {
      onAccepted();
      await answer.promise;
    });
    mock.timers.tick(SHOW_WORKING_AFTER_MS - 1);
    answer.release();
    await running;
    mock.timers.tick(SHOW_WORKING_AFTER_MS);
    assert.deepEqual(chat.actions, []);
  });

  it('is shown once when the answer is still on its way, counted from acceptance', async () => {
    const chat = fakeChat();
    const accepted = held();
    const answer = held();
    const running = answerShowingWork(chat.ctx, chat.services as never, async (onAccepted) => {
      await accepted.promise;
      onAccepted();
      onAccepted();
      await answer.promise;
    });
    mock.timers.tick(SHOW_WORKING_AFTER_MS * 2);
    assert.deepEqual(chat.actions, [], 'waiting for the rate limit shows nothing');
    accepted.release();
    await new Promise(setImmediate);
    mock.timers.tick(SHOW_WORKING_AFTER_MS);
    assert.deepEqual(chat.actions, ['upload_photo']);
    answer.release();
    await running;
    assert.deepEqual(chat.actions, ['upload_photo']);
  });

  it('is never shown after an answer that failed, and the failure reaches the caller', async () => {
    const chat = fakeChat();
    await assert.rejects(
      answerShowingWork(chat.ctx, chat.services as never, (onAccepted) => {
        onAccepted();
        return Promise.reject(new Error('send failed'));
      }),
      /send failed/,
    );
    mock.timers.tick(SHOW_WORKING_AFTER_MS * 2);
    assert.deepEqual(chat.actions, []);
  });

  it('a failed chat action is only logged at debug level and does not fail the answer', async () => {
    const chat = fakeChat({ failing: true });
    const answer = held();
    const running = answerShowingWork(chat.ctx, chat.services as never, async (onAccepted) => {
      onAccepted();
      await answer.promise;
    });
    mock.timers.tick(SHOW_WORKING_AFTER_MS);
    await new Promise(setImmediate);
    answer.release();
    await running;
    assert.deepEqual(chat.debug, ['chat action failed']);
  });
});
