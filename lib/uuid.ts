/**
 * Name-based UUIDs (RFC 4122 version 5, SHA-1) for deterministic Azure names such as role assignments, which
 * must be GUIDs: the same scope, principal and role always give the same name, so re-running never duplicates.
 */
import { createHash } from "node:crypto";

/** Namespace for this platform's names (a v4 UUID chosen once; never change it, or every name changes). */
export const PLATFORM_NAMESPACE = "6f1f1c1e-7c8a-4c55-9a53-2b8c3f0e9d41";

function parse(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(hex, "hex");
}

export function uuidv5(name: string, namespace: string = PLATFORM_NAMESPACE): string {
  const hash = createHash("sha1").update(parse(namespace)).update(name, "utf8").digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Role assignment name: UUIDv5 of scope, principal and role definition (case-insensitive ARM ids). */
export function roleAssignmentName(scope: string, principalId: string, roleDefinitionId: string): string {
  return uuidv5([scope, principalId, roleDefinitionId].map((s) => s.toLowerCase()).join("|"));
}
