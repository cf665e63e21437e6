// Runs before every npm script, in plain JavaScript so that an old Node can run it: the app
// needs Node 24 (it runs TypeScript directly), and an older one would die with
// ERR_UNKNOWN_FILE_EXTENSION and a stack trace. This says what is needed instead.

export const REQUIRED_MAJOR = 24;

/** One line naming the Node needed, the one found and a way to get it; null when it is new enough. */
export function nodeVersionProblem(version, script) {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major >= REQUIRED_MAJOR) return null;
  const command = script
    ? `npx -p node@${REQUIRED_MAJOR} npm run ${script}`
    : `npx -p node@${REQUIRED_MAJOR} npm start`;
  return `Build Practical needs Node.js ${REQUIRED_MAJOR} or newer; this is Node ${version}. Run it with \`${command}\`, or install Node ${REQUIRED_MAJOR} (https://nodejs.org).`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problem = nodeVersionProblem(process.version, process.env.npm_lifecycle_event);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
