/**
 * A simulated customer or owner talking to the bot through {@link FakeTelegram}: sends updates
 * as Telegram would and reads the bot's calls addressed to this chat, in order.
 */
import type { Message, Update } from 'grammy/types';
import type { FakeTelegram, RecordedCall, StoredFile } from './server.ts';

export interface ChatUser {
  readonly id: number;
  readonly language_code?: string;
}

/** What the bot sent in answer to one message, up to and including its closing text message. */
export interface BotAnswer {
  /** Every call to this chat in the answer, in order. */
  readonly calls: readonly RecordedCall[];
  /** The final `sendMessage` (results buttons, no-match text, confirmation…). */
  readonly message: RecordedCall;
  readonly text: string;
  readonly mediaGroup: RecordedCall | undefined;
}

export class FakeChat {
  private cursor: number;
  private messageId = 1000;

  constructor(
    readonly telegram: FakeTelegram,
    readonly user: ChatUser,
  ) {
    this.cursor = telegram.calls.length;
  }

  private base(): Pick<Message, 'message_id' | 'date' | 'chat' | 'from'> {
    return {
      message_id: this.messageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: this.user.id, type: 'private', first_name: 'Test' },
      from: { id: this.user.id, is_bot: false, first_name: 'Test', ...(this.user.language_code ? { language_code: this.user.language_code } : {}) },
    };
  }

  /** Sends a photo; a tiny grey thumbnail comes first, as Telegram lists sizes smallest first. */
  sendPhoto(data: Buffer, options: { caption?: string; mediaGroupId?: string; thumbnail?: Buffer; declaredSize?: number; file?: StoredFile } = {}): number {
    // `file` re-sends a photo registered before (long runs keep memory flat).
    const large = options.file ?? this.telegram.addFile(data, options.declaredSize === undefined ? {} : { declaredSize: options.declaredSize });
    const sizes = [{ ...large, width: 640, height: 640 }];
    if (options.thumbnail) sizes.unshift({ ...this.telegram.addFile(options.thumbnail), width: 90, height: 90 });
    return this.push({
      ...this.base(),
      photo: sizes,
      ...(options.caption ? { caption: options.caption } : {}),
      ...(options.mediaGroupId ? { media_group_id: options.mediaGroupId } : {}),
    });
  }

  /** Sends a file ("send as file"), e.g. an image with MIME type image/png. */
  sendDocument(data: Buffer, mimeType: string, fileName = 'picture.png'): number {
    const file = this.telegram.addFile(data);
    return this.push({ ...this.base(), document: { ...file, mime_type: mimeType, file_name: fileName } });
  }

  sendText(text: string): number {
    const entities = text.startsWith('/') ? [{ type: 'bot_command' as const, offset: 0, length: text.split(/\s/)[0]!.length }] : undefined;
    return this.push({ ...this.base(), text, ...(entities ? { entities } : {}) });
  }

  sendSticker(): number {
    const file = this.telegram.addFile(Buffer.from('sticker'));
    return this.push({ ...this.base(), sticker: { ...file, type: 'regular', width: 512, height: 512, is_animated: false, is_video: false } });
  }

  /** Presses an inline button with `data` on the bot's message `message` (a recorded sendMessage). */
  press(data: string, message: RecordedCall): number {
    const sent = message.result as Message;
    return this.telegram.pushUpdate({
      callback_query: { id: `cb${this.messageId++}`, from: this.base().from!, chat_instance: 'ci', data, message: sent },
    });
  }

  /** The next call of this chat matching `predicate`; later calls are read from after it. */
  async next(predicate: (call: RecordedCall) => boolean = () => true, timeoutMs?: number): Promise<RecordedCall> {
    const call = await this.telegram.waitForCall((candidate) => this.isMine(candidate) && predicate(candidate), this.cursor, timeoutMs);
    this.cursor = call.index + 1;
    return call;
  }

  /** Waits for the bot's next text message to this chat and returns it with everything before it. */
  async answer(timeoutMs?: number): Promise<BotAnswer> {
    const from = this.cursor;
    const message = await this.next((call) => call.method === 'sendMessage' && !call.failed, timeoutMs);
    const calls = this.telegram.calls.slice(from, message.index + 1).filter((call) => this.isMine(call));
    return { calls, message, text: String(message.params.text), mediaGroup: calls.find((call) => call.method === 'sendMediaGroup' && !call.failed) };
  }

  /** Calls to this chat from now on are the ones {@link next} and {@link answer} see. */
  skipToNow(): void {
    this.cursor = this.telegram.calls.length;
  }

  private isMine(call: RecordedCall): boolean {
    return Number(call.params.chat_id) === this.user.id;
  }

  private push(message: Message): number {
    return this.telegram.pushUpdate({ message } as Omit<Update, 'update_id'>);
  }
}

/** Callback data of every inline button of a recorded message. */
export function buttonsOf(call: RecordedCall): { text: string; data: string }[] {
  const markup = call.params.reply_markup as { inline_keyboard?: { text: string; callback_data?: string }[][] } | undefined;
  return (markup?.inline_keyboard ?? []).flat().map((button) => ({ text: button.text, data: button.callback_data ?? '' }));
}

/** Captions of a recorded sendMediaGroup, in order. */
export function captionsOf(call: RecordedCall): string[] {
  return (call.params.media as { caption?: string }[]).map((item) => item.caption ?? '');
}
