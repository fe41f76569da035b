// For the few plain HTML pages payments serve (checkout, its result): no template engine, no scripts.

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
