/**
 * The harness's own certificate authority, for the ways in that speak TLS (the HTTPS gateway and
 * the HTTPS CONNECT proxy). A bot trusts it through the environment (NODE_EXTRA_CA_CERTS,
 * SSL_CERT_FILE, ...: see tlsTrustEnvironment in transports/connect-proxy.ts) and then accepts the
 * harness's server certificates for graph.microsoft.com, login.microsoftonline.com and loopback.
 *
 * Keys are generated with node:crypto (fast, native); node-forge only builds and signs the X.509
 * structures. The CA is kept in a folder and reused while it is valid for at least 7 more days, so
 * that a bot (or a developer) that was told to trust it once keeps trusting it across runs. Leaf
 * certificates live in memory only and are memoised per host list; they all share one key, kept
 * beside the CA's (no RSA generation at start once it exists).
 */
import { generateKeyPair as generateKeyPairCb, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface CertificateAuthority {
  /** the CA certificate (PEM): what a client must trust */
  caCertPem: string;
  /** the file holding caCertPem (for NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, ...) */
  caCertPath: string;
  /** a server certificate and its key (PEM) for these DNS names and IP addresses, signed by the CA; memoised */
  leaf(hosts: readonly string[]): { key: string; cert: string };
}

export interface CertificateAuthorityOptions {
  /** the folder for ca.pem and ca-key.pem (created when missing); an existing valid CA there is reused */
  dir: string;
}

export const CA_COMMON_NAME = 'callreplay test CA';
const CA_CERT_FILE = 'ca.pem';
const CA_KEY_FILE = 'ca-key.pem';
const LEAF_KEY_FILE = 'leaf-key.pem';
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_DAYS = 365;
/** a CA that expires sooner than this is replaced */
const CA_MIN_REMAINING_DAYS = 7;
const LEAF_LIFETIME_DAYS = 30;
/** certificates start a little in the past: clocks of other processes or containers may lag */
const BACKDATE_MS = 60 * 60 * 1000;
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

const generateKeyPairAsync = promisify(generateKeyPairCb);

/**
 * Loads the CA from `opts.dir`, or creates one there (RSA 2048, CN "callreplay test CA", valid a
 * year) when there is none, it cannot be read, or it expires within 7 days. Several processes may
 * call this at once on one folder: creation is serialised with a lock folder, so they all end up
 * with the CA that is on disk.
 */
export async function createCertificateAuthority(opts: CertificateAuthorityOptions): Promise<CertificateAuthority> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  let loaded = await loadCa(certPath, keyPath);
  if (!loaded) {
    const unlock = await lock(join(dir, '.lock'));
    try {
      loaded = await loadCa(certPath, keyPath); // another process may have made it meanwhile
      if (!loaded) {
        loaded = await generateCa();
        await writeAtomically(keyPath, loaded.keyPem, 0o600);
        await writeAtomically(certPath, loaded.certPem, 0o644);
      }
    } finally {
      await unlock();
    }
  }
  return new ForgeCertificateAuthority(loaded, certPath, await leafKey(join(dir, LEAF_KEY_FILE)));
}

/** The key of every leaf certificate: kept in `path`, made when missing or damaged. */
async function leafKey(path: string): Promise<string> {
  try {
    const pem = await readFile(path, 'utf8');
    forge.pki.privateKeyFromPem(pem);
    return pem;
  } catch {
    const pair = await generateKeyPairAsync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    // another process may write its own at the same moment: each uses the key it holds (leaves live in memory)
    await writeAtomically(path, pair.privateKey, 0o600);
    return pair.privateKey;
  }
}

interface LoadedCa {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  certPem: string;
  keyPem: string;
}

async function loadCa(certPath: string, keyPath: string): Promise<LoadedCa | undefined> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  } catch {
    return undefined;
  }
  try {
    const cert = forge.pki.certificateFromPem(certPem);
    const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
    const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
    if (publicKey.n.compareTo(key.n) !== 0 || publicKey.e.compareTo(key.e) !== 0) return undefined; // key of another CA
    if (cert.subject.getField('CN')?.value !== CA_COMMON_NAME) return undefined;
    if (!(cert.getExtension('basicConstraints') as { cA?: boolean } | undefined)?.cA) return undefined;
    const now = Date.now();
    if (cert.validity.notBefore.getTime() > now + BACKDATE_MS) return undefined;
    if (cert.validity.notAfter.getTime() < now + CA_MIN_REMAINING_DAYS * DAY_MS) return undefined;
    if (!cert.verify(cert)) return undefined;
    return { cert, key, certPem, keyPem };
  } catch {
    return undefined;
  }
}

async function generateCa(): Promise<LoadedCa> {
  const pair = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(pair.privateKey) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.publicKeyFromPem(pair.publicKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + CA_LIFETIME_DAYS * DAY_MS);
  const name = [
    { name: 'commonName', value: CA_COMMON_NAME },
    { name: 'organizationName', value: 'callreplay' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(key, forge.md.sha256.create());
  // keep the key in traditional RSA PEM: forge reads it back, and so does every TLS stack
  return { cert, key, certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(key) };
}

class ForgeCertificateAuthority implements CertificateAuthority {
  readonly caCertPem: string;
  private readonly leaves = new Map<string, { key: string; cert: string }>();
  private readonly authorityKeyId: string;

  constructor(
    private readonly ca: LoadedCa,
    readonly caCertPath: string,
    private readonly leafKeyPem: string,
  ) {
    this.caCertPem = ca.certPem;
    this.authorityKeyId = ca.cert.generateSubjectKeyIdentifier().getBytes();
  }

  leaf(hosts: readonly string[]): { key: string; cert: string } {
    const names = [...new Set(hosts.map((h) => h.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')).filter((h) => h !== ''))];
    if (names.length === 0) throw new Error('a leaf certificate needs at least one host name or IP address');
    const memo = names.join(',');
    let leaf = this.leaves.get(memo);
    if (!leaf) {
      leaf = this.issue(names);
      this.leaves.set(memo, leaf);
    }
    return leaf;
  }

  private issue(names: string[]): { key: string; cert: string } {
    const key = forge.pki.privateKeyFromPem(this.leafKeyPem) as forge.pki.rsa.PrivateKey;
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    cert.serialNumber = serialNumber();
    const now = Date.now();
    cert.validity.notBefore = new Date(now - BACKDATE_MS);
    // never outlive the CA
    cert.validity.notAfter = new Date(Math.min(now + LEAF_LIFETIME_DAYS * DAY_MS, this.ca.cert.validity.notAfter.getTime()));
    const commonName = names.find((n) => isIP(n) === 0) ?? names[0]!;
    cert.setSubject([
      { name: 'commonName', value: commonName },
      { name: 'organizationName', value: 'callreplay' },
    ]);
    cert.setIssuer(this.ca.cert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        // 2 = dNSName, 7 = iPAddress
        altNames: names.map((n) => (isIP(n) !== 0 ? { type: 7, ip: n } : { type: 2, value: n })),
      },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: this.authorityKeyId },
    ]);
    cert.sign(this.ca.key, forge.md.sha256.create());
    return { key: this.leafKeyPem, cert: forge.pki.certificateToPem(cert) };
  }
}

/** A positive 128-bit serial number (hex, first byte below 0x80 so that DER keeps it positive). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode); // the umask may have taken bits away; set exactly these
  await rename(tmp, path);
}

/** A lock folder (mkdir is atomic); a lock older than LOCK_STALE_MS is taken over. */
async function lock(path: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(path);
      return () => rm(path, { recursive: true, force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > LOCK_STALE_MS) await rm(path, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`callreplay: timed out waiting for the CA lock ${path} (remove it if no other callreplay is running)`);
    else await new Promise((r) => setTimeout(r, 50));
  }
}
