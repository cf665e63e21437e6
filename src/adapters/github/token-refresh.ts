import { githubStatusOf } from "../../errors.ts";

// Installation tokens are cached for 59 minutes (Probot). GitHub may stop accepting one before
// that: the installation's permissions changed, the app was suspended and restored, the token
// was revoked. Without this, every call would fail with 401 until the cache entry expired.

type Request = (options: Record<string, unknown>) => Promise<unknown>;

interface HookedClient {
  hook: {
    wrap(
      name: "request",
      wrapper: (request: Request, options: Record<string, unknown>) => Promise<unknown>,
    ): void;
  };
}

/** The installation client's auth options (Probot passes its token cache along). */
interface InstallationAuthOptions {
  installationId?: number | string;
  cache?: { delete?: (key: string) => unknown };
}

/**
 * An Octokit plugin for installation clients: a request GitHub answers with 401 is sent once
 * more after the cached token is dropped, so a fresh token is created for it (and cached for
 * every later request). Other clients (the app's JWT client) are left as they are.
 */
export function refreshRejectedTokens(octokit: unknown, options: { auth?: unknown } = {}): void {
  const auth = options.auth as InstallationAuthOptions | undefined;
  const installationId = auth?.installationId;
  const cache = auth?.cache;
  if (installationId === undefined || typeof cache?.delete !== "function") return;
  (octokit as HookedClient).hook.wrap("request", async (request, requestOptions) => {
    try {
      return await request(requestOptions);
    } catch (error) {
      if (githubStatusOf(error) !== 401) throw error;
      // @octokit/auth-app caches a plain installation token under the installation id.
      await cache.delete?.(String(installationId));
      return request(requestOptions);
    }
  });
}
