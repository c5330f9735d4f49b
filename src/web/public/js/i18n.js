// Strings of the chat page itself (buttons, labels, hints). Answers (results, no match, rate
// limits…) come from the server already in the customer's language, from the conversation
// core's texts, so each sentence exists once.

const STRINGS = {
  en: {
    title: 'ShopLens',
    tagline: 'Send a photo — see similar products in stock',
    welcome: 'Hi! Send me a photo of something you like and I’ll show you the most similar products we have in stock. You can also type what you’re looking for, e.g. “red dress”.',
    messages: 'Conversation',
    attach: 'Choose a photo',
    camera: 'Take a photo',
    input: 'Type a product name, or attach a photo',
    placeholder: 'Product name…',
    card_number: '#{n}',
    send: 'Send',
    remove: 'Remove photo',
    preview: 'Photo to send',
    you: 'You',
    shop: 'Shop',
    your_photo: 'Your photo',
    searching: 'Searching…',
    // The same words as the conversation core's buttons (btn_more_like, btn_show_more), which its answers mention.
    more_like: 'More like #{n}',
    show_more: 'Show more ▸',
    open: 'View in shop',
    demo_banner: 'This shop shows a demo catalog. Try one of these sample photos:',
    demo_sample: 'Search with a photo of: {label}',
    empty_shop: 'This shop has no products in stock yet.',
    empty_owner: 'Are you the owner? Open the dashboard to add products or load a demo catalog.',
    dashboard: 'Owner dashboard',
    drop_here: 'Drop the photo to search',
    not_image: 'That file is not a picture. Please choose a photo (JPEG, PNG, WebP…).',
    too_large: 'That photo is too large ({size}). Please choose one under {limit}.',
    network: 'I couldn’t reach the shop. Check your connection and try again.',
    similar_to: 'More like #{n}',
    next_page: 'Show more',
  },
  ru: {
    title: 'ShopLens',
    tagline: 'Пришлите фото — покажем похожие товары в наличии',
    welcome: 'Здравствуйте! Пришлите фото вещи, которая вам нравится, и я покажу самые похожие товары в наличии. Можно и написать, что вы ищете, например «красное платье».',
    messages: 'Переписка',
    attach: 'Выбрать фото',
    camera: 'Сфотографировать',
    input: 'Напишите название товара или прикрепите фото',
    placeholder: 'Название товара…',
    card_number: '№{n}',
    send: 'Отправить',
    remove: 'Убрать фото',
    preview: 'Фото для отправки',
    you: 'Вы',
    shop: 'Магазин',
    your_photo: 'Ваше фото',
    searching: 'Ищу…',
    more_like: 'Похожие на №{n}',
    show_more: 'Ещё ▸',
    open: 'Открыть в магазине',
    demo_banner: 'Это демонстрационный каталог. Попробуйте одно из этих фото:',
    demo_sample: 'Искать по фото: {label}',
    empty_shop: 'В магазине пока нет товаров в наличии.',
    empty_owner: 'Вы владелец? Откройте панель управления, чтобы добавить товары или загрузить демо-каталог.',
    dashboard: 'Панель владельца',
    drop_here: 'Отпустите фото, чтобы искать',
    not_image: 'Это не картинка. Выберите фото (JPEG, PNG, WebP…).',
    too_large: 'Фото слишком большое ({size}). Выберите файл меньше {limit}.',
    network: 'Не удалось связаться с магазином. Проверьте подключение и попробуйте ещё раз.',
    similar_to: 'Похожие на №{n}',
    next_page: 'Ещё',
  },
};

/** The browser's preferred language if we have it, else English. */
export const lang = (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase().startsWith('ru') ? 'ru' : 'en';

/** A page string with `{name}` placeholders filled. */
export function t(key, params = {}) {
  const template = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Bytes as `12.3 MB`. */
export function megabytes(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
