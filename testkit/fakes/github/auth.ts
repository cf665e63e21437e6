// App authentication: an RSA key pair per process and RS256 JWT verification with node:crypto.
import { createPublicKey, generateKeyPair, type KeyObject, verify } from "node:crypto";
import { HttpError } from "./errors.ts";

export interface AppKeys {
  /** PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), the format GitHub hands out. */
  privateKey: string;
  publicKey: KeyObject;
}

let keysPromise: Promise<AppKeys> | undefined;

/** One key pair per process: generating RSA keys is the slowest part of start-up. */
export function appKeys(): Promise<AppKeys> {
  keysPromise ??= new Promise<AppKeys>((resolve, reject) => {
    generateKeyPair(
      "rsa",
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs1", format: "pem" },
      },
      (error, publicKey, privateKey) => {
        if (error) reject(error);
        else resolve({ privateKey, publicKey: createPublicKey(publicKey) });
      },
    );
  });
  return keysPromise;
}

function jwtError(message: string): HttpError {
  return new HttpError(401, { message, documentation_url: "https://docs.github.com/rest" });
}

function decodePart(part: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString()) as Record<string, unknown>;
  } catch {
    throw jwtError("A JSON web token could not be decoded");
  }
}

export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

/** Verifies an app JWT the way GitHub does; throws 401 with GitHub's messages. */
export function verifyAppJwt(
  token: string,
  publicKey: KeyObject,
  appId: number,
  nowMs: number,
): void {
  const parts = token.split(".");
  if (parts.length !== 3) throw jwtError("A JSON web token could not be decoded");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodePart(headerPart);
  const payload = decodePart(payloadPart);
  if (header.alg !== "RS256") throw jwtError("A JSON web token could not be decoded");
  const valid = verify(
    "RSA-SHA256",
    Buffer.from(`${headerPart}.${payloadPart}`),
    publicKey,
    Buffer.from(signaturePart, "base64url"),
  );
  if (!valid) throw jwtError("A JSON web token could not be decoded");
  const now = Math.floor(nowMs / 1000);
  if (typeof payload.iat !== "number") {
    throw jwtError(
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    );
  }
  if (typeof payload.exp !== "number" || payload.exp <= now) {
    throw jwtError(
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    );
  }
  if (payload.exp - now > 600 + 60) {
    throw jwtError("'Expiration time' claim ('exp') is too far in the future");
  }
  if (payload.iat > now + 60) {
    throw jwtError(
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    );
  }
  if (String(payload.iss) !== String(appId)) throw jwtError("Integration not found");
}
