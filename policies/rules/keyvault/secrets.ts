/** Key Vault rules: the secrets (expiry, content type). */
import type * as keyvault from "@pulumi/azure-native/keyvault";
import { resourcePolicy } from "../../lib/policy";
import { isSet, who } from "../../lib/values";
import { SECRET } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------------------------

export const secretExpiry = resourcePolicy<keyvault.SecretArgs>(
  {
    name: "azure-native-keyvault-secret-require-expiration-date",
    description:
      "Key Vault secrets have an expiration date no further off than the configured validity, so credentials stored in them are changed periodically.",
    severity: "medium",
    // 8.6.3 (system and application account credentials), not 8.3.9 (user passwords, every 90 days).
    pci: ["8.6.3"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      "Set `properties.attributes.expires` (seconds since 1970-01-01T00:00:00Z) at most `maxValidityDays` ahead and rotate the secret before it.",
    url: "https://learn.microsoft.com/azure/key-vault/secrets/secrets-best-practices",
    config: {
      maxValidityDays: {
        type: "integer",
        minimum: 1,
        maximum: 3650,
        default: 365,
        description:
          "The longest a secret may stay valid from the preview (PCI DSS 8.6.3: changed periodically, at a frequency the entity defines).",
      },
    },
  },
  SECRET,
  (props, args, report) => {
    const { maxValidityDays } = args.getConfig<{ maxValidityDays: number }>();
    // attributes.expires absent = the secret never expires.
    if (!isSet(props.properties?.attributes, "expires")) {
      report(`${who(args)} never expires: set properties.attributes.expires.`);
      return;
    }
    // A date far off expires in name only (2100 passes "has an expiry"). A value computed from other resources cannot
    // be judged during a first preview (the runner reports it undecided, advisory).
    const expires = props.properties?.attributes?.expires;
    if (typeof expires === "number") {
      const days = Math.floor((expires * 1000 - Date.now()) / 86_400_000);
      if (days > maxValidityDays) {
        report(
          `${who(args)} expires in ${days} days, beyond the ${maxValidityDays}-day maximum validity: set properties.attributes.expires at most ${maxValidityDays} days ahead and rotate the secret before it.`,
        );
      }
    }
  },
);

export const secretContentType = resourcePolicy<keyvault.SecretArgs>(
  {
    name: "azure-native-keyvault-secret-require-content-type",
    description:
      "Key Vault secrets declare a content type, so their kind (password, connection string, certificate) and rotation procedure can be identified.",
    severity: "low",
    pci: ["8.6.3"],
    gdpr: ["32(1)(b)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps: 'Set `properties.contentType` (e.g. `"text/plain; kind=password"` or `"application/x-pkcs12"`).',
    url: "https://learn.microsoft.com/azure/key-vault/secrets/about-secrets",
    enforcementLevel: "advisory",
  },
  SECRET,
  (props, args, report) => {
    if (!isSet(props.properties, "contentType")) {
      report(`${who(args)} has no content type: set properties.contentType.`);
    }
  },
);
