/**
 * The one copy-on-write walk step of the report values (body-cap.ts capBodies, redact.ts
 * redactValue): an array or object with `f` applied to each element or property, copied only when
 * one of them changes (so that a value with nothing to change is returned as it is).
 */
export function mapChildren(value: object, f: (child: unknown, key: string | undefined) => unknown): object {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = f(value[i], undefined);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  const src = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(src)) {
    const v = f(src[k], k);
    if (v !== src[k]) (out ??= { ...src })[k] = v;
  }
  return out ?? value;
}
