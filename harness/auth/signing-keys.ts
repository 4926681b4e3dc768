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
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
 * The keys kept in `dir` (created when missing, unreadable or damaged; written atomically,
 * owner-only), or fresh keys kept nowhere when `dir` is undefined.
 */
export async function loadHarnessKeys(dir: string | undefined): Promise<HarnessKeys> {
  const file = dir ? join(dir, KEY_FILE) : undefined;
  const stored = file ? await usable(await readStored(file)) : undefined;
  if (stored) return stored;
  const pems = Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await newPrivateKeyPem()] as const))) as StoredKeys;
  return (dir && file ? await store(dir, file, pems) : undefined) ?? fromStored(pems);
}

async function readStored(file: string): Promise<StoredKeys | undefined> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<StoredKeys>;
    return ROLES.every((r) => typeof value[r] === 'string') ? (value as StoredKeys) : undefined;
  } catch {
    return undefined;
  }
}

/** The keys of a stored file, or undefined when it holds none or a key that does not parse. */
async function usable(pems: StoredKeys | undefined): Promise<HarnessKeys | undefined> {
  if (!pems) return undefined;
  try {
    return await fromStored(pems);
  } catch {
    return undefined;
  }
}

/**
 * Keeps `pems` in `file` unless another harness started at the same moment kept its keys first:
 * then those are the keys (every harness of the machine signs alike). A damaged file is replaced.
 */
async function store(dir: string, file: string, pems: StoredKeys): Promise<HarnessKeys | undefined> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `${KEY_FILE}.${process.pid}.${randomUUID()}.tmp`);
  await writeFile(tmp, JSON.stringify(pems), { mode: 0o600 });
  try {
    await link(tmp, file); // atomic, and only when there is no file yet
    return undefined;
  } catch {
    const theirs = await usable(await readStored(file));
    if (theirs) return theirs;
    await rename(tmp, file);
    return undefined;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function fromStored(pems: StoredKeys): Promise<HarnessKeys> {
  const entries = await Promise.all(ROLES.map(async (role) => [role, await signingKeyFromPem(pems[role])] as const));
  return Object.fromEntries(entries) as unknown as HarnessKeys;
}
