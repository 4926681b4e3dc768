/** The check every command applies to a bot URL: callreplay only ever talks to a bot on loopback. */

/** Why a URL cannot be the bot's URL (http on loopback only, as `run --bot-url`), or undefined: "must be ..." / "\"x\" is not a URL". */
export function botUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL (expected e.g. http://127.0.0.1:3978/api/calls)`;
  }
  if (parsed.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
    return `must be an http URL on loopback (127.0.0.1, localhost, [::1]); callreplay never sends to another host (got ${url})`;
  }
  return undefined;
}
