/**
 * The smallest range each subnet role takes (pure): what Azure or Microsoft's sizing asks of the subnets the stack puts
 * something in, checked when `subnets` is set (the default carving, config `vnetAddressSpace`, gives every role at
 * least these). The roles nothing is placed in yet (`functions`, `mlCompute`, `streamAnalytics`) have no rule here.
 */
import { parseCidr, size } from "../cidr";
import type { SubnetRole } from "./common";

/** Addresses Azure keeps in every subnet: "the first four addresses and the last address" (virtual-networks-faq). */
export const SUBNET_RESERVED_ADDRESSES = 5;
/** Private endpoints of the prod stack (the platform's and every tier's; tests/preview.spec.ts holds it to prod's). */
export const PROD_PRIVATE_ENDPOINTS = 32;

/** One problem with a subnet's range, under `subnets.<role>`. */
export interface SubnetSizeIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What the rules read besides the ranges. */
export interface SubnetSizeContext {
  readonly subnets?: Partial<Readonly<Record<SubnetRole, string>>>;
  /** The Application Gateway's autoscale maximum (`ingestion.gateway.maxInstances`). */
  readonly gatewayMaxInstances: number;
  /** The stack's environment (`environment`): prod is held to Microsoft's recommended sizes where they differ. */
  readonly environment: string;
}

/** The rules, one per role the stack places something in. */
export function subnetSizeIssues(c: SubnetSizeContext): SubnetSizeIssue[] {
  const issues: SubnetSizeIssue[] = [];
  const at = (role: SubnetRole) => {
    const text = c.subnets?.[role];
    return text ? parseCidr(text) : undefined;
  };
  const issue = (role: SubnetRole, message: string) => issues.push({ path: ["subnets", role], message });

  // Every private endpoint of the stack goes here: the smallest range with room for them and the endpoints a new tier
  // adds. The stacks' 32 take 46 addresses (some several); the offline preview counts them from the program
  // (tools/lib/hazards/subnetAddresses.ts, private-endpoint-subnet-full): a /26 holds 59.
  const endpoints = at("privateEndpoints");
  if (endpoints && endpoints.prefix > 26)
    issue(
      "privateEndpoints",
      `must be a /26 or larger (the stack's private endpoints, ${PROD_PRIVATE_ENDPOINTS} in prod, need an address each and some several, and Azure reserves five per subnet; the offline preview counts them)`,
    );

  // "AzureFirewallSubnet … must be at least /26" (Azure Firewall FAQ): a smaller one fails the firewall's create.
  const firewall = at("firewall");
  if (firewall && firewall.prefix > 26)
    issue("firewall", "must be a /26 or larger (Azure Firewall needs AzureFirewallSubnet of at least /26)");

  // Application Gateway v2 takes "one private IP address per instance" and, "if you specify the maximum instance
  // count, the subnet should have capacity for at least that many addresses" (application-gateway/
  // configuration-infrastructure, "Size of the subnet"; the gateway has no private frontend here): Azure refuses a
  // gateway whose maximum the subnet cannot hold ("Subnet does not [have] enough capacity", MicrosoftDocs/azure-docs#65925).
  const gateway = at("appGateway");
  if (gateway) {
    const free = size(gateway) - SUBNET_RESERVED_ADDRESSES;
    if (free < c.gatewayMaxInstances) {
      // The smallest range that holds them (Azure's smallest subnet is a /29).
      const smallest = Math.min(29, 32 - Math.ceil(Math.log2(c.gatewayMaxInstances + SUBNET_RESERVED_ADDRESSES)));
      issue(
        "appGateway",
        `must be a /${smallest} or larger with ingestion.gateway.maxInstances ${c.gatewayMaxInstances}: the gateway takes an address per instance up to its maximum, besides the five Azure reserves, and a /${gateway.prefix} has ${free} (Azure refuses the gateway); Microsoft recommends a /24 for Application Gateway v2 (room for its 125 instances and upgrades)`,
      );
    }
  }

  // Flex Consumption: "Minimum subnet size /27", "/27 (single app), /26 (multiple apps)" recommended; its apps'
  // outbound traffic goes through at most 27 shared gateways per subnet, and "integrating multiple apps with a /27 size
  // subnet reduces the available outbound network capacity for them" (azure-functions/functions-networking-options,
  // "Subnets"). Three apps share it here (the payment API, the fraud scorer and the relay): prod, held to the target
  // load, takes Microsoft's /26; dev may use the minimum.
  const flex = at("flexFunctions");
  const flexMinimum = c.environment === "prod" ? 26 : 27;
  if (flex && flex.prefix > flexMinimum)
    issue(
      "flexFunctions",
      flexMinimum === 26
        ? `must be a /26 or larger in prod: the payment API, the fraud scorer and the relay share it, and Microsoft recommends a /26 for several Flex Consumption apps (a /27 reduces their outbound capacity)`
        : `must be a /27 or larger (Flex Consumption's minimum: its apps' outbound traffic uses up to 27 shared gateways, one address each); Microsoft recommends a /26 for several apps, as here (the payment API, the fraud scorer and the relay)`,
    );
  return issues;
}
