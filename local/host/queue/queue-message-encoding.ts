/**
 * A queue message's text as the function sees it. With "base64" (the host's default) the text
 * must be base64 as .NET's Convert.FromBase64String reads it (whitespace ignored, padding
 * required); undefined when it is not, which the host treats as a message it cannot decode.
 */
export function decodeQueueMessage(text: string, encoding: 'base64' | 'none'): string | undefined {
  if (encoding === 'none') return text;
  const compact = text.replace(/[\s]+/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}
