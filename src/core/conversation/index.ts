/**
 * The conversation core: what every channel (Telegram, web chat, Instagram) says to customers and
 * owners. Channels translate their transport into these calls and render the typed answers.
 */
export type { Asker, ChannelName, FailureAnswer, NextPage, OwnerAnswer, PictureBytes, PictureSource, ProductCard, ProductChange, SearchAnswer, TrainingEvents } from './answers.ts';
export { addArguments } from './add-caption.ts';
export { AlbumCollector } from './album-collector.ts';
export { Conversation, MAX_TEXT_QUERY_LENGTH, personKey, type ConversationDependencies, type PhotoOptions, type UnmetDemandRecorder } from './conversation.ts';
export { describeError, failureKind, imageRejectionIn } from './failures.ts';
export { formatMegabytes, formatPrice } from './format.ts';
export { InboundLedger, type InboundLedgerOptions, type InboundStore } from './inbound-ledger.ts';
export { LANGUAGES, languageOf, translator, type Language, type MessageKey, type Translate } from './i18n/translator.ts';
export { OwnerDesk, type OwnerDeskDependencies, type TrainingRunner } from './owner-desk.ts';
