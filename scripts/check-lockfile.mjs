// Every package in package-lock.json must carry its `integrity`: without it `npm ci` installs
// whatever the registry (or a registry in an `.npmrc`) serves under that name and version.
// Workspace links and the root have no tarball and are skipped.
import { readFileSync } from "node:fs";

const lock = JSON.parse(readFileSync(new URL("../package-lock.json", import.meta.url), "utf8"));
const missing = Object.entries(lock.packages ?? {})
  .filter(([path, entry]) => path !== "" && !entry.link && !entry.integrity)
  .map(([path, entry]) => `${path}@${entry.version}`);
if (missing.length > 0) {
  process.stderr.write(
    `package-lock.json: ${missing.length} package(s) without integrity:\n${missing.map((m) => `  ${m}\n`).join("")}` +
      "Reinstall them (npm install --save-exact <name>@<version>) so npm records their integrity.\n",
  );
  process.exit(1);
}
process.stdout.write(
  `package-lock.json: all ${Object.keys(lock.packages).length - 1} packages carry integrity\n`,
);
