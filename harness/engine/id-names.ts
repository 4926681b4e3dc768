/**
 * The names of a run's minted ids, for messages: `p2pCall (8c0e...)` instead of a bare GUID, paths
 * as `/beta/app/calls/{p2pCall}/answer`, and ready-to-paste flow steps with `${p2pCall}`.
 */
import { stringify as stringifyYaml } from 'yaml';
import { actionLabel } from './explain.js';
import { GUID_IN_TEXT, isGuidLike, normalizeCallReference, normalizeId } from './ids.js';


export class IdNames {
  /** normalized id -> name */
  private readonly names = new Map<string, string>();
  /** id as minted -> name (the transcript's idNames) */
  readonly byValue: Record<string, string> = {};

  add(id: string, name: string): void {
    this.names.set(normalizeId(id), name);
    this.byValue[id] = name;
  }

  /** The name of an id (any spelling) or of a call path naming one. */
  nameOf(value: string): string | undefined {
    if (!isGuidLike(value) && !/calls\//i.test(value)) return undefined;
    return this.names.get(normalizeCallReference(value));
  }

  /** A value for messages: known ids by name. */
  describe(value: unknown): string {
    if (value === undefined) return 'nothing';
    if (typeof value === 'string') {
      const name = this.nameOf(value);
      if (name) return `${name} (${value})`;
      return JSON.stringify(this.describePath(value));
    }
    const text = JSON.stringify(value);
    return text.length > 160 ? `${text.slice(0, 157)}...` : text;
  }

  /** A path (or any text) with known ids replaced by {name}. */
  describePath(text: string): string {
    return text.replace(GUID_IN_TEXT, (m) => {
      const name = this.nameOf(m);
      return name ? `{${name}}` : m;
    });
  }

  /** A ready-to-paste expect step for a request the flow does not list. */
  suggestStep(method: string, path: string, canonical: string): string {
    const templated = path.split('?')[0]!.replace(GUID_IN_TEXT, (m) => {
      const name = this.nameOf(m);
      return name ? `\${${name}}` : m;
    });
    const step = { name: actionLabel(method, canonical), method, path: templated, respond: { status: method === 'DELETE' ? 204 : 202 } };
    return `- expect: ${stringifyYaml(step, { collectionStyle: 'flow', lineWidth: 0 }).trim()}`;
  }
}
