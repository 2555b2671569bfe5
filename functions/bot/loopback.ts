const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for an http(s) URL whose host is a loopback name or address. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      (parsed.protocol === 'https:' || parsed.protocol === 'http:') && LOOPBACK.has(parsed.hostname)
    );
  } catch {
    return false;
  }
}
