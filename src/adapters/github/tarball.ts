import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import tar from "tar-stream";

const gunzipAsync = promisify(gunzip);

/** Snapshot files larger than this are left out. */
const SNAPSHOT_MAX_FILE_BYTES = 1024 * 1024;
/** A NUL byte within this many leading bytes marks a file as binary (git's heuristic). */
const BINARY_SNIFF_BYTES = 8000;

/**
 * The text files of a GitHub tarball, by path without the top folder
 * (`<owner>-<repo>-<short sha>/`) GitHub wraps them in. Binary files (a NUL byte near the
 * start), files over 1 MB, links and directories are left out. Long names (pax and GNU
 * headers) and the pax global header are handled by tar-stream.
 */
export async function readTarball(
  gzipped: Buffer,
): Promise<{ files: Map<string, string>; names: Set<string> }> {
  const data = await gunzipAsync(gzipped);
  const extract = tar.extract();
  const files = new Map<string, string>();
  /** Every path in the archive, text or not. */
  const names = new Set<string>();
  const reading = (async () => {
    for await (const entry of extract) {
      const { header } = entry;
      const slash = header.name.indexOf("/");
      const path = slash < 0 ? "" : header.name.slice(slash + 1);
      const regular = header.type === "file" || header.type === "contiguous-file";
      if (path && header.type !== "directory") names.add(path);
      if (!regular || !path || (header.size ?? 0) > SNAPSHOT_MAX_FILE_BYTES) {
        entry.resume();
        continue;
      }
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      const content = Buffer.concat(parts);
      if (content.subarray(0, BINARY_SNIFF_BYTES).includes(0)) continue;
      files.set(path, content.toString("utf8"));
    }
  })();
  extract.end(data);
  await reading;
  return { files, names };
}
