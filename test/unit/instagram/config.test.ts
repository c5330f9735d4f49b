import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';

const COMPLETE = {
  INSTAGRAM_ACCESS_TOKEN: 'IGAA-long-lived-token-0123456789',
  INSTAGRAM_APP_SECRET: '0123456789abcdef0123456789abcdef',
  INSTAGRAM_VERIFY_TOKEN: 'shop-verify-token',
  PUBLIC_BASE_URL: 'https://shop.example/',
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return [];
}

describe('Instagram settings', () => {
  it('leaves the channel off when nothing is set', () => {
    assert.equal(loadConfig({}).instagram, undefined);
  });

  it('turns the channel on with defaults for the account, API root and version', () => {
    const { instagram, publicBaseUrl } = loadConfig(COMPLETE);
    assert.equal(publicBaseUrl, 'https://shop.example');
    assert.deepEqual(instagram, {
      accessToken: COMPLETE.INSTAGRAM_ACCESS_TOKEN,
      appSecret: COMPLETE.INSTAGRAM_APP_SECRET,
      verifyToken: COMPLETE.INSTAGRAM_VERIFY_TOKEN,
      accountId: 'me',
      apiRoot: 'https://graph.instagram.com',
      apiVersion: 'v25.0',
      publicBaseUrl: 'https://shop.example',
    });
  });

  it('names every missing setting of a partial configuration in one problem', () => {
    const problems = problemsOf({ INSTAGRAM_ACCESS_TOKEN: COMPLETE.INSTAGRAM_ACCESS_TOKEN, SEARCH_TOP_K: '0' });
    assert.equal(problems.length, 2);
    assert.ok(problems.some((problem) => problem.startsWith('SEARCH_TOP_K')));
    const instagram = problems.find((problem) => problem.startsWith('INSTAGRAM_APP_SECRET'));
    assert.match(instagram ?? '', /^INSTAGRAM_APP_SECRET, INSTAGRAM_VERIFY_TOKEN, PUBLIC_BASE_URL: required for the Instagram channel/);
  });

  it('needs PUBLIC_BASE_URL even when the three Instagram secrets are set', () => {
    const { PUBLIC_BASE_URL: _unused, ...withoutUrl } = COMPLETE;
    assert.match(problemsOf(withoutUrl).join('\n'), /^PUBLIC_BASE_URL: required for the Instagram channel/);
  });

  it('accepts plain http only for loopback addresses', () => {
    assert.match(problemsOf({ ...COMPLETE, PUBLIC_BASE_URL: 'http://shop.example' }).join('\n'), /PUBLIC_BASE_URL: must be an https:\/\/ address/);
    for (const url of ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000']) {
      assert.equal(loadConfig({ ...COMPLETE, PUBLIC_BASE_URL: url }).publicBaseUrl, url);
    }
  });

  it('rejects a malformed account id and API version', () => {
    const problems = problemsOf({ ...COMPLETE, INSTAGRAM_ACCOUNT_ID: 'shop', INSTAGRAM_API_VERSION: '25' });
    assert.deepEqual(problems.map((problem) => problem.split(':')[0]).sort(), ['INSTAGRAM_ACCOUNT_ID', 'INSTAGRAM_API_VERSION']);
  });
});
