export { FakeTelegram, type RecordedCall, type StoredFile } from './server.ts';
export { FakeChat, buttonsOf, captionsOf, type BotAnswer, type ChatUser } from './chat.ts';
