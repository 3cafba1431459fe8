/**
 * Protection of stateful data resources in production stacks: Pulumi `protect` (a `pulumi destroy` or a refactor
 * that drops the resource fails instead of deleting cardholder or personal data) and an Azure management lock
 * (`CanNotDelete`) so that a portal/CLI/other-pipeline deletion fails too. Both are needed: `protect` only guards the
 * Pulumi program, the lock only guards Azure Resource Manager.
 */
import type { Policies } from "@pulumi/policy";
import { requireProtect } from "./protect";
import { requireManagementLock } from "./locks";
import { requireWorkspaceDeleteGuard, requireMlWorkspaceDeleteGuard } from "./deleteGuards";
import { requireKeyIdentityProtection } from "./keyIdentities";

export * from "./shared";
export * from "./protect";
export * from "./locks";
export * from "./deleteGuards";
export * from "./keyIdentities";

export const protectionPolicies: Policies = [
  requireProtect,
  requireManagementLock,
  requireWorkspaceDeleteGuard,
  requireMlWorkspaceDeleteGuard,
  requireKeyIdentityProtection,
];
