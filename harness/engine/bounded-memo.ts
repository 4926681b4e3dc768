/**
 * A function's results remembered per string key, at most `limit` of them (all forgotten when
 * full): for hot paths that see the same few inputs again and again (a call's paths, the bot's
 * URLs). The function must be pure.
 */
export function boundedMemo<T>(limit: number, compute: (key: string) => T): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    let value = memo.get(key);
    if (value === undefined) {
      if (memo.size >= limit) memo.clear();
      value = compute(key);
      memo.set(key, value);
    }
    return value;
  };
}
