// What signing in with GitHub keeps: the app's client credentials and callback URLs, the codes
// and user tokens it has issued, and organisation memberships. Part of the fake's state; the web
// flow that uses it is in oauth.ts.
import { randomBytes } from "node:crypto";

export type OrgRole = "admin" | "member";

interface CodeRec {
  login: string;
  clientId: string;
  redirectUri: string | null;
  expiresAt: number;
}

export interface UserTokenRec {
  token: string;
  login: string;
  expiresAt: number;
}

/** User tokens expire after 8 hours (expiring user tokens, GitHub's default for apps). */
export const USER_TOKEN_TTL_S = 8 * 3600;

/** Client credentials, callback URLs, codes, user tokens and organisation memberships. */
export class OAuthState {
  readonly clientId: string;
  readonly clientSecret = randomBytes(20).toString("hex");
  /** Registered callback URLs; empty accepts any redirect_uri (an unconfigured test app). */
  readonly callbackUrls: string[] = [];
  /** Who "is signed in to GitHub" in the browser; the consent page pre-fills it. */
  browserUser: string | null = null;
  readonly codes = new Map<string, CodeRec>();
  readonly userTokens = new Map<string, UserTokenRec>();
  /** org (lower-case) → login (lower-case) → role. */
  readonly memberships = new Map<string, Map<string, OrgRole>>();

  constructor(appId: number) {
    this.clientId = `Iv1.${appId.toString(16).padStart(16, "0")}`;
  }

  setMembership(org: string, login: string, role: OrgRole | null): void {
    const key = org.toLowerCase();
    const members = this.memberships.get(key) ?? new Map<string, OrgRole>();
    if (role === null) members.delete(login.toLowerCase());
    else members.set(login.toLowerCase(), role);
    this.memberships.set(key, members);
  }

  role(org: string, login: string): OrgRole | null {
    return this.memberships.get(org.toLowerCase())?.get(login.toLowerCase()) ?? null;
  }

  issueToken(login: string, nowMs: number): UserTokenRec {
    const record = {
      token: `ghu_${randomBytes(18).toString("hex")}`,
      login,
      expiresAt: nowMs + USER_TOKEN_TTL_S * 1000,
    };
    this.userTokens.set(record.token, record);
    return record;
  }

  liveUserToken(token: string, nowMs: number): UserTokenRec | undefined {
    const record = this.userTokens.get(token);
    return record && record.expiresAt > nowMs ? record : undefined;
  }
}
