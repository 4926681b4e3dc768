/** An RSA signing key (RS256) with its public half as a JWKS entry. Pure crypto: keeping keys is harness/auth/signing-keys.ts. */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** the public key as a JWK with its kid (the RFC 7638 thumbprint), `use` and `alg` */
  publicJwk: JWK;
  kid: string;
}

const generate = promisify(generateKeyPair);

/** A new 2048-bit RSA private key, PKCS#8 PEM. */
export async function newPrivateKeyPem(): Promise<string> {
  const { privateKey } = await generate('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export async function signingKeyFromPem(pem: string): Promise<SigningKey> {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, publicKey, kid, publicJwk: { ...jwk, kid, use: 'sig', alg: 'RS256' } };
}

/** A fresh key kept nowhere. */
export async function newSigningKey(): Promise<SigningKey> {
  return signingKeyFromPem(await newPrivateKeyPem());
}
