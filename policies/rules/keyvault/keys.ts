/** Key Vault rules: the keys (strength, HSM, expiry, operations, rotation). */
import type * as keyvault from "@pulumi/azure-native/keyvault";
import { resourcePolicy, stackOfUrn } from "../../lib/policy";
import { isProdStack, prodStacksKnob } from "../../lib/scope";
import { isSet, oneOf, presence, requireKnown, sameText, stringsAt, who } from "../../lib/values";
import { durationDays, KEY, PROD_STACKS } from "./shared";

// ---------------------------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------------------------

const RSA_TYPES = ["RSA", "RSA-HSM"];
const EC_TYPES = ["EC", "EC-HSM"];
const HSM_TYPES = ["RSA-HSM", "EC-HSM"];

export const keyStrength = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-enforce-minimum-key-strength",
    description:
      "Key Vault keys are strong: RSA keys have at least the configured size (3072 bits by default) and EC keys use an allowed NIST curve.",
    severity: "high",
    pci: ["3.5.1", "3.6.1", "4.2.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      "Set `properties.kty` explicitly; for `RSA`/`RSA-HSM` set `properties.keySize` to 3072 or 4096 (config `minRsaKeySize`); for `EC`/`EC-HSM` set `properties.curveName` to an allowed curve (P-256, P-384, P-521).",
    url: "https://learn.microsoft.com/azure/key-vault/keys/about-keys-details",
    config: {
      minRsaKeySize: { type: "integer", minimum: 2048, default: 3072, description: "Minimum RSA modulus in bits." },
      allowedCurves: {
        type: "array",
        items: { type: "string" },
        default: ["P-256", "P-384", "P-521"],
        description: "Elliptic curves allowed for EC keys (P-256K is not a NIST curve).",
      },
    },
  },
  KEY,
  (props, args, report) => {
    const { minRsaKeySize, allowedCurves } = args.getConfig<{ minRsaKeySize: number; allowedCurves: string[] }>();
    const p = props.properties;
    const kty = p?.kty;
    // kty absent: the key type is left to the service; require it so the strength can be assessed.
    if (kty === undefined) {
      report(`${who(args)} has no properties.kty: set it to "RSA-HSM", "RSA", "EC-HSM" or "EC".`);
      return;
    }
    if (oneOf(kty, RSA_TYPES)) {
      // keySize absent = 2048 (Azure default for RSA keys).
      const size = p?.keySize ?? 2048;
      if (size < minRsaKeySize) {
        report(`${who(args)} is a ${size}-bit ${kty} key: set properties.keySize to at least ${minRsaKeySize}.`);
      }
    } else if (oneOf(kty, EC_TYPES)) {
      // curveName absent = P-256 (Azure default for EC keys).
      const curve = p?.curveName ?? "P-256";
      if (!oneOf(curve, allowedCurves)) {
        report(`${who(args)} uses curve '${curve}': set properties.curveName to one of ${allowedCurves.join(", ")}.`);
      }
    } else {
      report(`${who(args)} has key type '${kty}': set properties.kty to an RSA or EC key type.`);
    }
  },
);

export const keyHsm = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-require-hsm-backed-key",
    description:
      "Key Vault keys in production stacks are HSM-protected (RSA-HSM or EC-HSM), as PCI DSS 3.6.1.2 expects for keys that encrypt cardholder data.",
    severity: "high",
    pci: ["3.6.1.2"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      'Set `properties.kty` to `"RSA-HSM"` or `"EC-HSM"` (the vault needs `properties.sku.name: "premium"`) in the stacks listed in `prodStacks`.',
    url: "https://learn.microsoft.com/azure/key-vault/keys/about-keys",
    config: { prodStacks: prodStacksKnob(PROD_STACKS) },
  },
  KEY,
  (props, args, report) => {
    if (!isProdStack(args)) args.notApplicable(`stack '${stackOfUrn(args.urn)}' is not in prodStacks`);
    const kty = props.properties?.kty;
    if (!oneOf(kty, HSM_TYPES)) {
      report(
        `${who(args)} is a software-protected key ('${kty ?? "unset"}') in stack '${stackOfUrn(args.urn)}': set properties.kty to "RSA-HSM" or "EC-HSM".`,
      );
    }
  },
);

export const keyExpiry = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-require-expiration-date",
    description: "Key Vault keys have an expiration date, which bounds their cryptoperiod.",
    severity: "medium",
    pci: ["3.6.1", "3.7.4"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      "Set `properties.attributes.expires` (seconds since 1970-01-01T00:00:00Z), and let the rotation policy (`properties.rotationPolicy.attributes.expiryTime`) set it for new versions.",
    url: "https://learn.microsoft.com/azure/key-vault/keys/about-keys-details#key-attributes",
  },
  KEY,
  (props, args, report) => {
    // attributes.expires absent = the key never expires.
    if (!isSet(props.properties?.attributes, "expires")) {
      report(`${who(args)} never expires: set properties.attributes.expires.`);
    }
  },
);

/** Operations a key may allow: wrapping data keys (every CMK), and signing (the Always Encrypted column master key). */
const KEY_OPERATIONS = ["wrapKey", "unwrapKey", "sign", "verify"];

export const keyUse = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-disallow-export-and-extra-operations",
    description:
      "Key Vault keys stay in the vault and serve one purpose: not exportable, no release policy, and their operations limited to wrapping keys (and signing, for Always Encrypted's column master key): no encrypt, decrypt or export.",
    severity: "high",
    pci: ["3.6.1", "3.6.1.2", "3.7.1"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      'Leave `properties.attributes.exportable` unset or false and `properties.releasePolicy` unset, and set `properties.keyOps` to `["wrapKey", "unwrapKey"]` (plus `"sign", "verify"` for an Always Encrypted column master key).',
    url: "https://learn.microsoft.com/azure/key-vault/keys/about-keys-details",
  },
  KEY,
  (props, args, report) => {
    const p = props.properties;
    // "Indicates if the private key can be exported" (the SDK's KeyAttributes); a release policy is what lets it out.
    if (p?.attributes?.exportable === true)
      report(`${who(args)} is exportable: leave properties.attributes.exportable unset or false.`);
    if (presence(props, "properties", "releasePolicy") === "set")
      report(`${who(args)} has a release policy (the key can leave the vault): remove properties.releasePolicy.`);
    // keyOps absent: every operation the key type supports, so require the list.
    if (presence(props, "properties", "keyOps") === "unknown") requireKnown(props, "properties", "keyOps");
    const ops = stringsAt(props, "properties", "keyOps");
    if (ops.length === 0) {
      report(`${who(args)} allows every operation (no properties.keyOps): set keyOps to ["wrapKey", "unwrapKey"].`);
      return;
    }
    const extra = ops.filter((o) => !KEY_OPERATIONS.some((k) => sameText(k, o)));
    if (extra.length > 0)
      report(`${who(args)} allows ${extra.join(", ")}: limit properties.keyOps to ${KEY_OPERATIONS.join(", ")}.`);
  },
);

export const keyRotation = resourcePolicy<keyvault.KeyArgs>(
  {
    name: "azure-native-keyvault-key-configure-rotation-policy",
    description:
      "Key Vault keys have a rotation policy with an automatic Rotate action and a new-version expiry no longer than the maximum cryptoperiod (P365D by default), rotating before the key expires.",
    severity: "medium",
    pci: ["3.6.1", "3.7.4"],
    gdpr: ["32(1)(a)"],
    soc2: ["CC6.1"],
    service: "keyvault",
    remediationSteps:
      'Set `properties.rotationPolicy.lifetimeActions` with `{ action: { type: "rotate" }, trigger: { timeAfterCreate: "P335D" } }` (or `timeBeforeExpiry`) and `properties.rotationPolicy.attributes.expiryTime` to at most `P365D` (config `maxExpiryTime`).',
    url: "https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation",
    config: {
      maxExpiryTime: {
        type: "string",
        default: "P365D",
        description: "Longest allowed cryptoperiod, as an ISO 8601 duration (e.g. P365D, P1Y, P90D).",
      },
    },
  },
  KEY,
  (props, args, report) => {
    const { maxExpiryTime } = args.getConfig<{ maxExpiryTime: string }>();
    const maxDays = durationDays(maxExpiryTime);
    if (maxDays === undefined) throw new Error(`maxExpiryTime '${maxExpiryTime}' is not an ISO 8601 duration`);
    const policy = props.properties?.rotationPolicy;
    // rotationPolicy absent = the key is never rotated automatically.
    if (policy === undefined) {
      report(
        `${who(args)} has no rotation policy: set properties.rotationPolicy with a "rotate" lifetime action and attributes.expiryTime ≤ ${maxExpiryTime}.`,
      );
      return;
    }
    const rotate = (policy.lifetimeActions ?? []).find((a) => sameText(a?.action?.type, "rotate"));
    if (!rotate || (!isSet(rotate.trigger, "timeAfterCreate") && !isSet(rotate.trigger, "timeBeforeExpiry"))) {
      report(
        `${who(args)} has no automatic rotation: add a properties.rotationPolicy.lifetimeActions entry with action.type "rotate" and a trigger (timeAfterCreate or timeBeforeExpiry).`,
      );
    }
    const expiryTime = policy.attributes?.expiryTime;
    const expiryDays = durationDays(expiryTime);
    if (expiryDays === undefined) {
      report(
        `${who(args)} has no valid properties.rotationPolicy.attributes.expiryTime ('${expiryTime ?? "unset"}'): set an ISO 8601 duration ≤ ${maxExpiryTime}.`,
      );
    } else if (expiryDays > maxDays) {
      report(
        `${who(args)} has a cryptoperiod of ${expiryTime}: set properties.rotationPolicy.attributes.expiryTime to at most ${maxExpiryTime}.`,
      );
    } else if (rotate) {
      const after = durationDays(rotate.trigger?.timeAfterCreate);
      if (after !== undefined && after >= expiryDays) {
        report(
          `${who(args)} rotates after ${rotate.trigger?.timeAfterCreate}, not before its versions expire (${expiryTime}): set the rotate trigger.timeAfterCreate below expiryTime.`,
        );
      }
    }
  },
);
