/**
 * Customer-facing texts live in `en.json` / `ru.json`; this picks the customer's language from
 * Telegram's `language_code` and fills `{placeholders}`. English is the fallback for every
 * other language and for any key a translation lacks.
 */
import en from './en.json' with { type: 'json' };
import ru from './ru.json' with { type: 'json' };

/** A text id: every key of the English file. */
export type MessageKey = keyof typeof en;

/** Languages with a translation file. */
export type Language = 'en' | 'ru';

/** Values for `{name}` placeholders. */
export type MessageParams = Readonly<Record<string, string | number>>;

/** Returns the text `key` in one language with its placeholders filled. */
export type Translate = (key: MessageKey, params?: MessageParams) => string;

const CATALOGS: Readonly<Record<Language, Partial<Record<MessageKey, string>>>> = { en, ru };

/** Every supported language, English first. */
export const LANGUAGES: readonly Language[] = ['en', 'ru'];

/** Maps Telegram's IETF `language_code` (`ru`, `ru-RU`, `en-GB`, undefined) to a supported language. */
export function languageOf(languageCode: string | undefined): Language {
  const base = languageCode?.toLowerCase().split('-')[0];
  return base === 'ru' ? 'ru' : 'en';
}

/** A {@link Translate} function for one language. */
export function translator(language: Language): Translate {
  return (key, params = {}) => fill(CATALOGS[language][key] ?? en[key], params);
}

function fill(template: string, params: MessageParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
