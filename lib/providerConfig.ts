/**
 * The azure-native provider's own config that the program depends on. `azure-native:location` is the provider's
 * default region: any resource that sets no `location` (or a child the provider places by default) lands there.
 * A stack without it, or with a region outside the EU or different from `location`, could put data outside the
 * residency boundary or split the platform across regions, so it is refused with the other config problems,
 * before any resource registers.
 */
import { EU_REGIONS, PROJECT } from "./config";

export const PROVIDER_LOCATION_KEY = "azure-native:location";

/** What the program reads of the provider's config (`pulumi.Config("azure-native")`). */
export interface ProviderConfig {
  readonly location?: string;
}

/** One line per problem with the provider config, naming the key, the value and what is allowed. */
export function providerConfigProblems(provider: ProviderConfig, location: unknown): string[] {
  const got = provider.location;
  const fix = typeof location === "string" ? ` (pulumi config set ${PROVIDER_LOCATION_KEY} ${location})` : "";
  if (got === undefined || got === "") {
    return [
      `config ${PROVIDER_LOCATION_KEY}: got nothing (the key is missing); must be set to ${PROJECT}:location, the provider's default region for resources that name none${fix}`,
    ];
  }
  if (!EU_REGIONS.includes(got)) {
    return [
      `config ${PROVIDER_LOCATION_KEY}: got ${JSON.stringify(got)}; must be an EU region (GDPR data residency) equal to ${PROJECT}:location: one of ${EU_REGIONS.join(", ")}`,
    ];
  }
  if (typeof location === "string" && got !== location) {
    return [
      `config ${PROVIDER_LOCATION_KEY}: got ${JSON.stringify(got)}; must equal ${PROJECT}:location (${JSON.stringify(location)})${fix}`,
    ];
  }
  return [];
}
