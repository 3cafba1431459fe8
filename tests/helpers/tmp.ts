/**
 * Temporary folders for tests, removed when the test process exits: a run of `npm test` leaves nothing behind in the
 * OS temp folder (each run used to leave about a hundred folders there, 10 MB of schema copies among them).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const made: string[] = [];

/** A new, empty folder named `<prefix>XXXXXX` under the OS temp folder, deleted at process exit. */
export function tempDir(prefix: string): string {
  if (made.length === 0)
    process.on("exit", () => {
      for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
    });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
