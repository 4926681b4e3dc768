/**
 * The harness's RSA signing keys (access tokens, notification tokens, and the rogue key of the
 * auth check's unknown-kid token), generated once and kept in the CA's folder, so that every
 * harness on this machine signs with the same keys.
 *
 * Why: a bot keeps its Graph token for an hour and caches the notification signing keys (jose's
 * remote JWKS, MSAL, the Bot Framework SDK). A bot started by hand outlives the harness of one
 * `callreplay run` (Playwright starts a new worker, and so a new harness, after a failed test) and
 * serves several runs: with fresh keys every time, a correct bot would be refused its own token and
 * would refuse the harness's notifications. Kept keys also spare 0.5-1 s of RSA generation per start.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newPrivateKeyPem, signingKeyFromPem, type SigningKey } from '../engine/signing-key.js';

export type { SigningKey } from '../engine/signing-key.js';

export interface HarnessKeys {
  /** signs the access tokens the token endpoint issues */
  token: SigningKey;
  /** signs notification tokens (served in the notification JWKS) */
  notification: SigningKey;
  /** signs the auth check's unknown-kid tokens (never served) */
  rogue: SigningKey;
}

const KEY_FILE = 'signing-keys.json';
const ROLES = ['token', 'notification', 'rogue'] as const;
type StoredKeys = Record<(typeof ROLES)[number], string>;

/**
 * The keys kept in `dir` (created when missing or unreadable; written atomically, owner-only), or
 * fresh keys kept nowhere when `dir` is undefined.
 */
export async function loadHarnessKeys(dir: string | undefined): Promise<HarnessKeys> {
  if (dir) {
    const stored = await readStored(join(dir, KEY_FILE));
    if (stored) return fromStored(stored);
  }
  const pems = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await newPrivateKeyPem()] as const))) as StoredKeys;
  if (dir) await store(dir, pems);
  return fromStored(pems);
}

async function readStored(file: string): Promise<StoredKeys | undefined> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<StoredKeys>;
    return ROLES.every((r) => typeof value[r] === 'string') ? (value as StoredKeys) : undefined;
  } catch {
    return undefined;
  }
}

async function store(dir: string, pems: StoredKeys): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // several harnesses may start at once: each writes its own file and renames it into place; the
  // last rename wins and the others keep the keys they generated for their own lifetime
  const tmp = join(dir, `${KEY_FILE}.${process.pid}.${randomUUID()}.tmp`);
  await writeFile(tmp, JSON.stringify(pems), { mode: 0o600 });
  await rename(tmp, join(dir, KEY_FILE));
}

async function fromStored(pems: StoredKeys): Promise<HarnessKeys> {
  const entries = await Promise.all(ROLES.map(async (role) => [role, await signingKeyFromPem(pems[role])] as const));
  return Object.fromEntries(entries) as unknown as HarnessKeys;
}
