import net from "node:net";

/** Fails fast, with one message, when the services the integration tests need are down. */
export default async function setup() {
  const down: string[] = [];
  for (const [name, url] of [
    ["PostgreSQL", process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"],
    ["Redis", process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"],
  ] as const) {
    const { hostname, port } = new URL(url);
    const reachable = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: hostname, port: Number(port) }, () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
      socket.setTimeout(2_000, () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (!reachable) down.push(`${name} at ${hostname}:${port}`);
  }
  if (down.length) {
    throw new Error(
      `The tests need ${down.join(" and ")}. Start them (see README: "Running the tests") and run again.`,
    );
  }
}
