/**
 * Tags (pure): every taggable resource carries the environment, owner, cost centre, data classification and PCI
 * scope. The policy pack's `azure-native-general-resource-missing-required-tags` rule checks the same keys.
 */

export type DataClassification = "public" | "internal" | "confidential" | "restricted";
/** PCI DSS scoping: `cde` stores/processes card data, `connected` can affect it, `out-of-scope` neither. */
export type PciScope = "cde" | "connected" | "out-of-scope";

export interface TagContext {
  readonly environment: string;
  readonly owner: string;
  readonly costCenter: string;
  /** Extra tags from stack config (lib/config refuses a required tag's name in any case, and what Azure refuses: extraTagProblems). */
  readonly extra?: Readonly<Record<string, string>>;
}

export interface TagOptions {
  readonly dataClassification: DataClassification;
  readonly pciScope: PciScope;
  /** The tier that owns the resource (`platform`, `oltp`, `nosql`, …). */
  readonly component: string;
}

/** The tags the program puts on every taggable resource (`tagsFor`), in its order. */
export const REQUIRED_TAG_NAMES = [
  "environment",
  "owner",
  "cost-center",
  "data-classification",
  "pci-scope",
  "component",
  "managed-by",
] as const;

/**
 * Azure's tag limits that bind the stack's extra tags (MicrosoftDocs/azure-docs
 * articles/azure-resource-manager/management/tag-resources.md, "Limitations"): tag names are case-insensitive and
 * can't contain `<`, `>`, `%`, `&`, `\`, `?`, `/`; a name is at most 512 characters, 128 on storage accounts (the
 * stack has several), a value at most 256; Azure Private DNS zones, their A records and virtual network links (the
 * platform's `privatelink.*` zones) take only 15 tags.
 */
export const AZURE_TAG_LIMITS = {
  forbiddenNameCharacters: ["<", ">", "%", "&", "\\", "?", "/"],
  nameLength: 128,
  valueLength: 256,
  tagsPerResource: 15,
} as const;

/** How many extra tags fit next to the required ones on every resource (the private DNS zones' 15). */
export const MAX_EXTRA_TAGS = AZURE_TAG_LIMITS.tagsPerResource - REQUIRED_TAG_NAMES.length;

/**
 * What Azure or the program would refuse or drop in the stack's extra tags (pure), one problem per tag (`name`
 * absent for problems of the whole map): forbidden characters, lengths, a name that is a required tag's in any case
 * (the required one wins in `tagsFor`, and Azure treats names case-insensitively), two names equal but for case, and
 * more tags than fit next to the required ones.
 */
export function extraTagProblems(extra: Readonly<Record<string, string>>): { name?: string; message: string }[] {
  const problems: { name?: string; message: string }[] = [];
  const names = Object.keys(extra);
  const required: readonly string[] = REQUIRED_TAG_NAMES;
  const forbidden: readonly string[] = AZURE_TAG_LIMITS.forbiddenNameCharacters;
  for (const name of names) {
    if (name.trim() === "") {
      problems.push({ message: "has an empty tag name: every tag needs a name" });
      continue;
    }
    const bad = [...new Set([...name].filter((ch) => forbidden.includes(ch)))];
    if (bad.length > 0)
      problems.push({
        name,
        message: `the tag name contains ${bad.join(" ")}: Azure tag names can't contain any of ${forbidden.join(" ")} (tag-resources.md, Limitations)`,
      });
    if (name.length > AZURE_TAG_LIMITS.nameLength)
      problems.push({
        name,
        message: `the tag name has ${name.length} characters: at most ${AZURE_TAG_LIMITS.nameLength} (Azure's limit on storage accounts, which the stack has)`,
      });
    if ((extra[name] ?? "").length > AZURE_TAG_LIMITS.valueLength)
      problems.push({
        name,
        message: `the value has ${extra[name].length} characters: at most ${AZURE_TAG_LIMITS.valueLength} (Azure's tag value limit)`,
      });
    const clash = required.find((r) => r === name.toLowerCase());
    if (clash)
      problems.push({
        name,
        message: `is the required tag ${clash} (Azure tag names are case-insensitive): the program sets the required tags (${required.join(", ")}) itself; remove it or choose another name`,
      });
    const twin = names.find((other) => other !== name && other.toLowerCase() === name.toLowerCase());
    if (twin && names.indexOf(twin) < names.indexOf(name))
      problems.push({
        name,
        message: `is the same tag name as ${twin} (Azure tag names are case-insensitive): keep one`,
      });
  }
  if (names.length > MAX_EXTRA_TAGS)
    problems.push({
      message: `has ${names.length} tags: at most ${MAX_EXTRA_TAGS}, because every resource also carries the ${required.length} required tags (${required.join(", ")}) and Azure Private DNS zones, their A records and virtual network links take ${AZURE_TAG_LIMITS.tagsPerResource} tags at most (tag-resources.md, Limitations)`,
    });
  return problems;
}

export function tagsFor(ctx: TagContext, opts: TagOptions): Record<string, string> {
  return {
    ...(ctx.extra ?? {}),
    environment: ctx.environment,
    owner: ctx.owner,
    "cost-center": ctx.costCenter,
    "data-classification": opts.dataClassification,
    "pci-scope": opts.pciScope,
    component: opts.component,
    "managed-by": "pulumi",
  };
}
