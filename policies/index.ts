// The policy pack entry point for the Pulumi CLI (`pulumi preview --policy-pack policies`). It only constructs
// the pack: constructing it starts the analyzer's gRPC server, so nothing else may import this file.
import { PolicyPack } from "@pulumi/policy";
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
  description: "PCI DSS v4.0.1 and GDPR guardrails for the payments data platform's azure-native resources.",
  provider: "azure",
  tags: ["pci-dss", "gdpr", "soc2", "azure"],
  enforcementLevel: PACK_ENFORCEMENT_LEVEL,
  policies,
});
